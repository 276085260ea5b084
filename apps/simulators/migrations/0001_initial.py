"""The simulators' tables, moved from apps.pix with their data: they were created by pix
0001 (DictEntry, DictClaim, DictTokenBucket), 0002 (SpiSimulatedMessage) and 0009
(DictLookup), and keep those `pix_*` tables (Meta.db_table). This migration only takes
them into this app's state; the database is not touched (pix 0010 drops them from pix's
state, after this one)."""

import uuid

from django.db import migrations, models

import apps.core.crypto


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("pix", "0009_dict_lookups"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="DictLookup",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("end_to_end_id", models.CharField(max_length=32, unique=True)),
                        ("participant", models.CharField(max_length=8)),
                        ("payer_hash", models.CharField(max_length=64)),
                        ("policy", models.CharField(max_length=40)),
                        ("created_at", models.DateTimeField(db_index=True)),
                        ("credited_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "DICT look-up (simulator)",
                        "verbose_name_plural": "DICT look-ups (simulator)",
                        "db_table": "pix_dictlookup",
                    },
                ),
                migrations.CreateModel(
                    name="SpiSimulatedMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("end_to_end_id", models.CharField(max_length=32, unique=True)),
                        (
                            "original_end_to_end_id",
                            models.CharField(blank=True, db_index=True, max_length=32),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("pacs.008", "credit transfer"), ("pacs.004", "return")],
                                max_length=8,
                            ),
                        ),
                        (
                            "direction",
                            models.CharField(
                                choices=[
                                    ("OUTBOUND", "sent by us"),
                                    ("INBOUND", "delivered to us"),
                                ],
                                max_length=8,
                            ),
                        ),
                        ("debtor_ispb", models.CharField(max_length=8)),
                        ("creditor_ispb", models.CharField(max_length=8)),
                        ("amount_cents", models.BigIntegerField()),
                        ("xml", models.TextField()),
                        ("status", models.CharField(max_length=4)),
                        ("reason", models.CharField(blank=True, max_length=4)),
                        ("created_at", models.DateTimeField()),
                    ],
                    options={
                        "verbose_name": "SPI message (simulator)",
                        "verbose_name_plural": "SPI messages (simulator)",
                        "db_table": "pix_spisimulatedmessage",
                    },
                ),
                migrations.CreateModel(
                    name="DictClaim",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        (
                            "claim_type",
                            models.CharField(
                                choices=[
                                    ("OWNERSHIP", "ownership claim"),
                                    ("PORTABILITY", "portability"),
                                ],
                                max_length=11,
                            ),
                        ),
                        ("key", models.CharField(max_length=77)),
                        (
                            "key_type",
                            models.CharField(
                                choices=[
                                    ("CPF", "CPF"),
                                    ("CNPJ", "CNPJ"),
                                    ("PHONE", "phone"),
                                    ("EMAIL", "e-mail"),
                                    ("EVP", "random key (EVP)"),
                                ],
                                max_length=5,
                            ),
                        ),
                        ("claimer_participant", models.CharField(max_length=8)),
                        ("claimer_branch", models.CharField(max_length=4)),
                        ("claimer_account_number", models.CharField(max_length=20)),
                        ("claimer_account_type", models.CharField(max_length=4)),
                        ("claimer_account_opened_at", models.DateTimeField()),
                        ("claimer_type", models.CharField(max_length=14)),
                        ("claimer_tax_id", apps.core.crypto.EncryptedTextField()),
                        ("claimer_tax_id_hash", models.CharField(max_length=64)),
                        ("claimer_name", models.CharField(max_length=120)),
                        ("claimer_trade_name", models.CharField(blank=True, max_length=100)),
                        ("donor_participant", models.CharField(max_length=8)),
                        ("donor_key_ownership_date", models.DateTimeField()),
                        ("status", models.CharField(default="OPEN", max_length=18)),
                        ("created_at", models.DateTimeField()),
                        ("resolution_period_end", models.DateTimeField()),
                        ("completion_period_end", models.DateTimeField(blank=True, null=True)),
                        ("last_modified", models.DateTimeField()),
                        ("confirm_reason", models.CharField(blank=True, max_length=20)),
                        ("cancel_reason", models.CharField(blank=True, max_length=20)),
                        ("cancelled_by", models.CharField(blank=True, max_length=7)),
                        ("completion_request_id", models.UUIDField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "DICT claim (simulator)",
                        "verbose_name_plural": "DICT claims (simulator)",
                        "db_table": "pix_dictclaim",
                        "indexes": [
                            models.Index(
                                fields=["donor_participant", "last_modified"],
                                name="dict_claim_donor_idx",
                            ),
                            models.Index(
                                fields=["claimer_participant", "last_modified"],
                                name="dict_claim_claimer_idx",
                            ),
                            models.Index(
                                fields=["status", "resolution_period_end"],
                                name="dict_claim_due_idx",
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(
                                    ("status__in", ["OPEN", "WAITING_RESOLUTION", "CONFIRMED"])
                                ),
                                fields=("key",),
                                name="dict_claim_one_open_per_key",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="DictEntry",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=77, unique=True)),
                        (
                            "key_type",
                            models.CharField(
                                choices=[
                                    ("CPF", "CPF"),
                                    ("CNPJ", "CNPJ"),
                                    ("PHONE", "phone"),
                                    ("EMAIL", "e-mail"),
                                    ("EVP", "random key (EVP)"),
                                ],
                                max_length=5,
                            ),
                        ),
                        ("participant", models.CharField(max_length=8)),
                        ("branch", models.CharField(max_length=4)),
                        ("account_number", models.CharField(max_length=20)),
                        ("account_type", models.CharField(max_length=4)),
                        ("account_opened_at", models.DateTimeField()),
                        ("owner_type", models.CharField(max_length=14)),
                        ("owner_tax_id", apps.core.crypto.EncryptedTextField()),
                        ("owner_tax_id_hash", models.CharField(db_index=True, max_length=64)),
                        ("owner_name", models.CharField(max_length=120)),
                        ("owner_trade_name", models.CharField(blank=True, max_length=100)),
                        ("request_id", models.UUIDField()),
                        ("cid", models.CharField(max_length=64)),
                        ("created_at", models.DateTimeField()),
                        ("key_ownership_date", models.DateTimeField()),
                    ],
                    options={
                        "verbose_name": "DICT entry (simulator)",
                        "verbose_name_plural": "DICT entries (simulator)",
                        "db_table": "pix_dictentry",
                        "indexes": [
                            models.Index(
                                fields=["participant", "branch", "account_number"],
                                name="dict_entry_account_idx",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="DictTokenBucket",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("participant", models.CharField(max_length=8)),
                        ("payer_hash", models.CharField(max_length=64)),
                        ("payer_category", models.CharField(max_length=2)),
                        ("policy", models.CharField(max_length=40)),
                        ("capacity", models.IntegerField()),
                        ("refill_per_minute", models.FloatField()),
                        ("tokens", models.FloatField()),
                        ("updated_at", models.DateTimeField()),
                    ],
                    options={
                        "verbose_name": "DICT token bucket (simulator)",
                        "verbose_name_plural": "DICT token buckets (simulator)",
                        "db_table": "pix_dicttokenbucket",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("participant", "payer_hash", "policy"),
                                name="dict_bucket_uniq",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("tokens__gte", 0)), name="dict_bucket_nonneg"
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]
