from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """LGPD: data-subject requests (access, correction, erasure) and reviews of automated
    decisions."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.privacy"
    label = "privacy"
