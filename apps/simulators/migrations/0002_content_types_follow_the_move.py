"""The moved models' content types follow them from `pix` to `simulators`, so the
permissions granted on them (roles, groups) and the admin's log entries stay attached.

On a database created after the move there is nothing to rename: Django creates the
`simulators` content types itself after migrating.
"""

from django.db import migrations

MOVED = ("dictentry", "dictclaim", "dicttokenbucket", "dictlookup", "spisimulatedmessage")


def follow(apps, schema_editor, *, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        old = content_type.objects.filter(app_label=source, model=model).first()
        if old is None:
            continue
        if content_type.objects.filter(app_label=target, model=model).exists():
            continue  # both exist (created by hand): leave them to the operator
        old.app_label = target
        old.save(update_fields=["app_label"])


def forwards(apps, schema_editor) -> None:
    follow(apps, schema_editor, source="pix", target="simulators")


def backwards(apps, schema_editor) -> None:
    follow(apps, schema_editor, source="simulators", target="pix")


class Migration(migrations.Migration):
    dependencies = [
        ("simulators", "0001_initial"),
        ("pix", "0010_simulator_tables_move"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
