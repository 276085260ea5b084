from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.core"
    label = "core"
    verbose_name = _("Platform and users")

    def ready(self) -> None:
        from apps.core import audit, fsm, schema  # noqa: F401  (receivers, extensions)

        audit.connect_allauth_receivers()

        from apps.core import console_panels

        console_panels.register()  # the outbox lag, webhooks, system alerts on the dashboard
        _throttle_admin_login()
        # Every migrate ends by applying the role map, so models added later are covered.
        post_migrate.connect(_sync_roles, sender=self, dispatch_uid="athena_sync_roles")


def _throttle_admin_login() -> None:
    """The admin's password form counts failures as the portal's login does."""
    from django.contrib import admin

    from apps.core.admin_login import ThrottledAdminLoginForm

    admin.site.login_form = ThrottledAdminLoginForm


def _sync_roles(sender, using, **kwargs) -> None:
    from apps.core.roles import sync_role_permissions

    sync_role_permissions(using=using)
