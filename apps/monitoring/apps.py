from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    """Transaction monitoring (AML rules), alerts, the compliance review queue, COAF reports."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.monitoring"
    label = "monitoring"
