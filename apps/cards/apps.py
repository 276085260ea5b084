from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.cards"
    label = "cards"
    verbose_name = _("Cards")

    def ready(self) -> None:
        from apps.cards import ledger_lines, registrations
        from apps.cards.fraud import registrations as fraud_registrations

        ledger_lines.register()
        registrations.register()
        # The fraud reviews in the compliance queue, the default rules after every migrate.
        fraud_registrations.register()

        from apps.cards import console

        console.register()  # the operations dashboard's figures (apps.core.console)
