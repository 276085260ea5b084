from django.apps import AppConfig


class PixConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.pix"
    label = "pix"

    def ready(self) -> None:
        from apps.accounts import limits
        from apps.pix.limits import night_rule

        limits.register_rule("pix", night_rule)
