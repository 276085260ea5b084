from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PixConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.pix"
    verbose_name = _("Pix")
    label = "pix"

    def ready(self) -> None:
        from apps.accounts import registry as account_registry
        from apps.pix.transfers.limits import night_rule

        account_registry.register_limit_rule("pix", night_rule)

        # How Pix movements read on statements (accounts' rendered ledger lines).
        from apps.pix import ledger_lines

        ledger_lines.register()

        from apps.core.api_clients import register_scopes
        from apps.pix.api_v2.scopes import API_PIX_SCOPES

        register_scopes(API_PIX_SCOPES)

        # MED: the receiver that ends a block with its hold, and the "pix.med" e-mails.
        # notifications: a received Pix's webhook, live event and e-mail (outbox handlers).
        # ONBOARD: MED cases in the compliance queue; Pix in the LGPD export and erasure.
        from apps.pix import registrations
        from apps.pix.charges import events as charge_events  # noqa: F401
        from apps.pix.med import notifications as med_notifications  # noqa: F401
        from apps.pix.med import services as med_services  # noqa: F401
        from apps.pix.transfers import notifications  # noqa: F401

        registrations.register()

        from apps.pix import console

        console.register()  # the operations dashboard's figures (apps.core.console)
