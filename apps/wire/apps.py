from django.apps import AppConfig


class WireConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.wire"
    label = "wire"
