"""The internal ledger accounts that stand for the outside world, and the sequence of
customer account numbers."""

from django.db import migrations

from apps.accounts.migrations import INTERNAL_ACCOUNTS


def create(apps, schema_editor):
    Account = apps.get_model("accounts", "Account")
    for code, name in INTERNAL_ACCOUNTS:
        Account.objects.get_or_create(
            code=code, defaults={"kind": "internal", "name": name, "state": "active"}
        )


def remove(apps, schema_editor):
    """Accounts are never deleted (a trigger refuses it): reversing leaves them in place."""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_ledger_sql")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS athena_account_number_seq START 100001;",
            "DROP SEQUENCE IF EXISTS athena_account_number_seq;",
        ),
        migrations.RunPython(create, remove),
    ]
