from django.apps import AppConfig


class BoletoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.boleto"
    label = "boleto"
