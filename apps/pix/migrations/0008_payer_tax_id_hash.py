from django.db import migrations, models

from apps.core.crypto import tax_id_lookup_hash

BATCH = 2000


def backfill_tax_id_hashes(apps, schema_editor):
    """Transfers (and their history rows) written before the column: hash the decrypted tax
    id of each, in batches."""
    for name in ("PixTransfer", "HistoricalPixTransfer"):
        model = apps.get_model("pix", name)
        key = model._meta.pk.attname
        batch = []
        rows = model.objects.only(key, "counterparty_tax_id")  # encrypted: no filter
        for row in rows.iterator(chunk_size=BATCH):
            if row.counterparty_tax_id:
                row.counterparty_tax_id_hash = tax_id_lookup_hash(row.counterparty_tax_id)
                batch.append(row)
            if len(batch) >= BATCH:
                model.objects.bulk_update(batch, ["counterparty_tax_id_hash"])
                batch = []
        if batch:
            model.objects.bulk_update(batch, ["counterparty_tax_id_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("pix", "0007_internal_payee_account"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalpixtransfer",
            name="counterparty_tax_id_hash",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name="pixtransfer",
            name="counterparty_tax_id_hash",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.RunPython(backfill_tax_id_hashes, migrations.RunPython.noop),
    ]
