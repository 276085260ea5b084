from django.apps import AppConfig


class PixConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.pix"
    label = "pix"

    def ready(self) -> None:
        from apps.accounts import limits
        from apps.pix.limits import night_rule

        limits.register_rule("pix", night_rule)

        from apps.core.api_clients import register_scopes
        from apps.pix.api_v2.scopes import API_PIX_SCOPES

        register_scopes(API_PIX_SCOPES)

        # MED: the receiver that ends a block with its hold, and the "pix.med" e-mails.
        # notifications: a received Pix's webhook, live event and e-mail (outbox handlers).
        from apps.pix import med, med_notifications, notifications  # noqa: F401
