"""Stored API responses and webhook payloads encrypted at rest: they may name a person (a
CPF key, a payer) (issue #11)."""

from django.db import migrations

import apps.core.crypto
from apps.core.crypto_migrations import JSON, decrypt_columns, encrypt_columns

TABLES = [
    ("core_idempotencyrecord", "id", {"response_body": JSON}),
    ("core_webhookdelivery", "id", {"payload": JSON}),
]


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_audit_hash_chain"),
    ]

    operations = [
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="response_body",
            field=apps.core.crypto.EncryptedJSONField(null=True),
        ),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="payload",
            field=apps.core.crypto.EncryptedJSONField(default=dict),
        ),
        migrations.RunPython(encrypt_columns(TABLES), decrypt_columns(TABLES), elidable=False),
    ]
