"""A reusable trigger function that makes a table append-only, applied to the audit log.

TRUNCATE is left to the table owner's privileges (the test runner empties tables with it);
in production the application role is granted INSERT and SELECT only on these tables.
"""

from django.db import migrations

FORBID_FUNCTION = """
CREATE OR REPLACE FUNCTION athena_forbid_mutation() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"""

AUDIT_TRIGGER = """
CREATE TRIGGER core_auditevent_append_only
BEFORE UPDATE OR DELETE ON core_auditevent
FOR EACH ROW EXECUTE FUNCTION athena_forbid_mutation();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunSQL(FORBID_FUNCTION, "DROP FUNCTION IF EXISTS athena_forbid_mutation();"),
        migrations.RunSQL(
            AUDIT_TRIGGER,
            "DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;",
        ),
    ]
