"""A finalized COAF communication is immutable in the database, whoever writes: UPDATE and
DELETE are refused, except recording once when it was sent and its SISCOAF protocol.
Also seeds the rules with their default parameters and gives compliance its permissions.
"""

from django.db import migrations

from apps.core.roles import sync_role_permissions_migration

FORBID_FINAL = """
CREATE OR REPLACE FUNCTION monitoring_coaf_final_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state <> 'finalized' THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.sent_at IS NULL
       AND (to_jsonb(NEW) - 'sent_at' - 'protocol' - 'updated_at')
           = (to_jsonb(OLD) - 'sent_at' - 'protocol' - 'updated_at') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'monitoring_coafreport %: a finalized COAF communication is immutable (% refused)',
        OLD.id, TG_OP USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER monitoring_coafreport_final_guard
BEFORE UPDATE OR DELETE ON monitoring_coafreport
FOR EACH ROW EXECUTE FUNCTION monitoring_coaf_final_guard();
"""

UNDO = """
DROP TRIGGER IF EXISTS monitoring_coafreport_final_guard ON monitoring_coafreport;
DROP FUNCTION IF EXISTS monitoring_coaf_final_guard();
"""


def seed_rules(apps, schema_editor) -> None:
    from apps.monitoring.rules import rules

    MonitoringRule = apps.get_model("monitoring", "MonitoringRule")
    for code, spec in rules().items():
        MonitoringRule.objects.using(schema_editor.connection.alias).get_or_create(
            code=code,
            defaults={
                "name": str(spec.name),
                "description": str(spec.description),
                "parameters": dict(spec.defaults),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [
        migrations.RunSQL(FORBID_FINAL, UNDO),
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
        migrations.RunPython(sync_role_permissions_migration, migrations.RunPython.noop),
    ]
