from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.loans"
    label = "loans"
    verbose_name = _("Loans")

    def ready(self) -> None:
        from apps.loans import ledger_lines, registrations

        ledger_lines.register()
        registrations.register()

        from apps.loans import console

        console.register()  # the operations dashboard's figures (apps.core.console)
