from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    """LGPD: data-subject requests (access, correction, erasure) and reviews of automated
    decisions."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.privacy"
    verbose_name = _("Privacy (LGPD)")
    label = "privacy"

    def ready(self) -> None:
        from apps.privacy import console

        console.register()  # the operations dashboard's figures (apps.core.console)
