from django.apps import AppConfig


class KycConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.kyc"
    label = "kyc"

    def ready(self) -> None:
        from apps.kyc import registrations

        registrations.register()  # compliance queue; data subject's rights (apps.privacy)
