from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KycConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.kyc"
    verbose_name = _("Identity verification (KYC)")
    label = "kyc"

    def ready(self) -> None:
        from apps.kyc import registrations

        registrations.register()  # compliance queue; data subject's rights (apps.privacy)

        from apps.kyc import console

        console.register()  # the operations dashboard's figures (apps.core.console)
