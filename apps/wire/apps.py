from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_directory(sender, using="default", **kwargs) -> None:
    # A fresh or flushed database (tests) gets the shipped participant list back, as the
    # internal ledger accounts and permissions are.
    from apps.wire.services import directory_ensure

    directory_ensure()


class WireConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.wire"
    label = "wire"
    verbose_name = _("TED and participants")

    def ready(self) -> None:
        from apps.wire import ledger_lines, registrations

        ledger_lines.register()
        registrations.register()

        from apps.wire import console

        console.register()  # the operations dashboard's figures (apps.core.console)
        post_migrate.connect(_ensure_directory, sender=self)
