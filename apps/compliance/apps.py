from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.compliance"
    verbose_name = _("Sanctions and PEP screening")
    label = "compliance"

    def ready(self) -> None:
        from apps.compliance import registrations, signals  # noqa: F401  (onboarding screening)

        registrations.register()  # onboarding gate; compliance queue and alert evidence

        from apps.compliance import console

        console.register()  # the operations dashboard's figures (apps.core.console)
