"""The audit log becomes a hash chain (apps/core/audit_chain.py explains the design).

`athena_audit_canonical(row)` renders the hashed fields as one JSON array; a deferred
constraint trigger, at the commit of the inserting transaction, takes the chain's advisory
lock, reads the head and writes `seq`, `prev_hash` and `hash`. Existing rows are chained here, in id order, with the append-only trigger briefly
disabled (the migration runs as the table owner). The Python verifier rebuilds the same text
(apps/core/audit_hash.py); tests/core/test_audit_chain.py checks the two agree.
"""

import django.db.models.deletion
import django_fsm
import simple_history.models
from django.conf import settings
from django.db import migrations, models

GENESIS = "0" * 64

# Version 1 of the canonical text. Any change here is a new version: the verifier must keep
# reading old rows (apps/core/audit_hash.py, CHAIN_VERSION).
CANONICAL_FUNCTION = """
CREATE OR REPLACE FUNCTION athena_audit_canonical(e core_auditevent) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_array(
        1, e.seq, e.prev_hash, e.id,
        to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.action, e.actor_id, e.actor_label, host(e.ip), e.user_agent, e.request_id,
        e.object_type, e.object_id, e.object_repr, e.detail
    )::text
$$;
"""

# bandit B608: the only interpolation is the GENESIS constant; no input reaches this SQL.
BACKFILL = f"""
ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_append_only;
DO $$
DECLARE
    r core_auditevent;
    prev text := '{GENESIS}';
    n bigint := 0;
BEGIN
    FOR r IN SELECT * FROM core_auditevent ORDER BY id LOOP
        n := n + 1;
        r.seq := n;
        r.prev_hash := prev;
        r.hash := encode(sha256(convert_to(athena_audit_canonical(r), 'UTF8')), 'hex');
        UPDATE core_auditevent SET seq = r.seq, prev_hash = r.prev_hash, hash = r.hash
         WHERE id = r.id;
        prev := r.hash;
    END LOOP;
END
$$;
ALTER TABLE core_auditevent ENABLE TRIGGER core_auditevent_append_only;
"""  # nosec B608

# The audit table's own append-only rule: no DELETE, and no UPDATE except the chain
# trigger's one write of `seq`, `prev_hash` and `hash` into a row not chained yet (inside
# its inserting transaction: rows are chained before they commit) with nothing else
# changed. pg_trigger_depth() > 1: that UPDATE comes from a trigger, not from a client.
APPEND_ONLY = """
CREATE OR REPLACE FUNCTION athena_audit_forbid_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 AND OLD.seq IS NULL
       AND NEW.seq IS NOT NULL
       AND (NEW.id, NEW.at, NEW.action, NEW.actor_id, NEW.actor_label, NEW.ip,
            NEW.user_agent, NEW.request_id, NEW.object_type, NEW.object_id,
            NEW.object_repr, NEW.detail)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.at, OLD.action, OLD.actor_id, OLD.actor_label, OLD.ip,
            OLD.user_agent, OLD.request_id, OLD.object_type, OLD.object_id,
            OLD.object_repr, OLD.detail)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
DROP TRIGGER core_auditevent_append_only ON core_auditevent;
CREATE TRIGGER core_auditevent_append_only
BEFORE UPDATE OR DELETE ON core_auditevent
FOR EACH ROW EXECUTE FUNCTION athena_audit_forbid_mutation();
"""

UNDO_APPEND_ONLY = """
DROP TRIGGER core_auditevent_append_only ON core_auditevent;
CREATE TRIGGER core_auditevent_append_only
BEFORE UPDATE OR DELETE ON core_auditevent
FOR EACH ROW EXECUTE FUNCTION athena_forbid_mutation();
DROP FUNCTION IF EXISTS athena_audit_forbid_mutation();
"""

# Chained at COMMIT: a deferred constraint trigger runs when the inserting transaction
# commits, takes the chain's advisory lock, reads the head and writes the row's place.
# The lock makes the chain linear (two committers cannot read the same head) and is held
# only from that moment to the end of the commit, never while the transaction does its
# work, so audit writers do not queue behind each other's business and cannot deadlock
# with row locks taken after an event. A rolled-back event is never chained: no hole.
# bandit B608: the only interpolation is the GENESIS constant; no input reaches this SQL.
CHAIN_TRIGGER = f"""
CREATE OR REPLACE FUNCTION athena_audit_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_seq bigint;
    head_hash text;
    r core_auditevent;
BEGIN
    PERFORM pg_advisory_xact_lock(1096107081);  -- 'AUDI': the one chain of core_auditevent
    SELECT seq, hash INTO head_seq, head_hash FROM core_auditevent
     WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    r := NEW;
    r.seq := coalesce(head_seq, 0) + 1;
    r.prev_hash := coalesce(head_hash, '{GENESIS}');
    r.hash := encode(sha256(convert_to(athena_audit_canonical(r), 'UTF8')), 'hex');
    UPDATE core_auditevent SET seq = r.seq, prev_hash = r.prev_hash, hash = r.hash
     WHERE id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER core_auditevent_chain
AFTER INSERT ON core_auditevent
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION athena_audit_chain();
"""  # nosec B608

DROP_CHAIN_TRIGGER = """
DROP TRIGGER IF EXISTS core_auditevent_chain ON core_auditevent;
DROP FUNCTION IF EXISTS athena_audit_chain();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_api_token_cert_binding"),
    ]

    operations = [
        migrations.CreateModel(
            name="SystemAlert",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "kind",
                    models.CharField(
                        choices=[("audit_chain", "audit chain broken")],
                        max_length=40,
                        verbose_name="kind",
                    ),
                ),
                ("message", models.TextField(verbose_name="message")),
                ("detail", models.JSONField(default=dict, verbose_name="detail")),
                (
                    "state",
                    django_fsm.FSMField(
                        choices=[
                            ("open", "open"),
                            ("acknowledged", "acknowledged"),
                            ("resolved", "resolved"),
                        ],
                        default="open",
                        max_length=50,
                        protected=True,
                        verbose_name="state",
                    ),
                ),
            ],
            options={
                "verbose_name": "system alert",
                "verbose_name_plural": "system alerts",
            },
            bases=(django_fsm.ConcurrentTransitionMixin, models.Model),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(db_default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(db_default="", editable=False, max_length=64),
        ),
        # Nullable: a row is chained when its transaction commits (NULL until then, and
        # NULL in a committed row means it was inserted behind the trigger).
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, verbose_name="chain position"),
        ),
        migrations.RunSQL(
            CANONICAL_FUNCTION, "DROP FUNCTION IF EXISTS athena_audit_canonical(core_auditevent);"
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(
                editable=False, null=True, unique=True, verbose_name="chain position"
            ),
        ),
        migrations.RunSQL(APPEND_ONLY, UNDO_APPEND_ONLY),
        migrations.RunSQL(CHAIN_TRIGGER, DROP_CHAIN_TRIGGER),
        migrations.CreateModel(
            name="HistoricalSystemAlert",
            fields=[
                (
                    "id",
                    models.BigIntegerField(
                        auto_created=True, blank=True, db_index=True, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(blank=True, db_index=True, editable=False)),
                ("updated_at", models.DateTimeField(blank=True, editable=False)),
                (
                    "kind",
                    models.CharField(
                        choices=[("audit_chain", "audit chain broken")],
                        max_length=40,
                        verbose_name="kind",
                    ),
                ),
                ("message", models.TextField(verbose_name="message")),
                ("detail", models.JSONField(default=dict, verbose_name="detail")),
                (
                    "state",
                    django_fsm.FSMField(
                        choices=[
                            ("open", "open"),
                            ("acknowledged", "acknowledged"),
                            ("resolved", "resolved"),
                        ],
                        default="open",
                        max_length=50,
                        protected=True,
                        verbose_name="state",
                    ),
                ),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.TextField(null=True)),
                (
                    "history_type",
                    models.CharField(
                        choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical system alert",
                "verbose_name_plural": "historical system alerts",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
