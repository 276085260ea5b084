"""The DICT and SPI simulators' models move to apps.simulators (its migration 0001 takes
them into its state first). Their tables stay as they are, data included: this migration
only removes the models from pix's state."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("pix", "0009_dict_lookups"),
        ("simulators", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="DictClaim"),
                migrations.DeleteModel(name="DictEntry"),
                migrations.DeleteModel(name="DictLookup"),
                migrations.DeleteModel(name="DictTokenBucket"),
                migrations.DeleteModel(name="SpiSimulatedMessage"),
            ],
        ),
    ]
