"""Role groups with least-privilege permissions (see apps.core.roles.ROLE_PERMISSIONS).

Permissions normally appear at post_migrate, after every migration has run, so the map is
applied after creating them here. Later migrations that add models a role must see run
`sync_role_permissions_migration` again.
"""

from django.db import migrations

from apps.core.roles import delete_role_groups_migration, sync_role_permissions_migration


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_append_only_audit"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.RunPython(sync_role_permissions_migration, delete_role_groups_migration),
    ]
