from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    """Transaction monitoring (AML rules), alerts, the compliance review queue, COAF reports."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.monitoring"
    label = "monitoring"
    verbose_name = _("Transaction monitoring")

    def ready(self) -> None:
        from apps.monitoring import handlers  # noqa: F401  (outbox handlers)
        from apps.monitoring.selectors import register_queue_sources

        register_queue_sources()

        from apps.monitoring import console

        # The dashboard's figures and the compliance queue's link in the console's header.
        console.register()
