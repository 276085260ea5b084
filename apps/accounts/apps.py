from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Accounts and ledger")

    def ready(self) -> None:
        from apps.accounts import (
            handlers,  # noqa: F401  (outbox handlers)
            receivers,
        )

        receivers.connect_receivers()

        from apps.accounts import privacy_sections

        privacy_sections.register()  # the data subject's export and erasure (apps.privacy)

        from apps.accounts import console

        console.register()  # the operations dashboard's figures (apps.core.console)

        post_migrate.connect(_ensure_internal_accounts, sender=self, dispatch_uid="athena_internal")


def _ensure_internal_accounts(sender, **kwargs) -> None:
    from apps.accounts.services import ensure_internal_accounts

    ensure_internal_accounts()
