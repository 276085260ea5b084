from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BoletoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.boleto"
    label = "boleto"
    verbose_name = _("Boletos")

    def ready(self) -> None:
        # How boleto movements read on statements; the outbox handlers (a hybrid boleto
        # paid by Pix, the issuer's notifications).
        from apps.boleto import handlers, ledger_lines, notifications  # noqa: F401

        ledger_lines.register()

        from apps.boleto import console

        console.register()  # the operations dashboard's figures (apps.core.console)
