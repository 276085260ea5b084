from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.compliance"
    label = "compliance"

    def ready(self) -> None:
        from apps.compliance import registrations, signals  # noqa: F401  (onboarding screening)

        registrations.register()  # onboarding gate; compliance queue and alert evidence
