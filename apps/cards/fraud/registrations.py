"""What the fraud engine plugs into other apps (call `register()` from CardsConfig.ready()):
its open reviews in the compliance queue (apps.monitoring), and the default rules seeded
after every migrate (a flushed test database gets them back; staff edits are kept), and
the engine's rule cache emptied when a rule is saved."""

from __future__ import annotations

from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy


def review_queue_items() -> list:
    from apps.cards.fraud.models import FraudReview
    from apps.core.money import format_brl
    from apps.monitoring.registry import QueueItem, admin_url

    items = []
    reviews = FraudReview.objects.filter(state=FraudReview.State.OPEN).select_related(
        "authorization__card__customer"
    )
    for review in reviews:
        auth = review.authorization
        items.append(
            QueueItem(
                type="card_fraud",
                pk=review.pk,
                title=str(
                    gettext_lazy("Card purchase %(amount)s at %(merchant)s on %(card)s")
                    % {
                        "amount": format_brl(auth.amount),
                        "merchant": auth.merchant_name or auth.mcc,
                        "card": auth.card.masked_pan,
                    }
                ),
                customer=auth.card.customer.full_name,
                state=review.get_state_display(),
                risk=round((auth.fraud_score or 0) * 100),
                created_at=review.created_at,
                due_at=review.due_at,
                url=admin_url(review),
            )
        )
    return items


def rules_ensure(**kwargs) -> int:
    """Create the default rules that are missing (by code); never touch existing ones."""
    from apps.cards.fraud.models import FraudRule
    from apps.cards.fraud.rules import DEFAULT_RULES

    existing = set(FraudRule.objects.values_list("code", flat=True))
    missing = [
        FraudRule(code=r["code"], kind=r["kind"], weight=r["weight"], params=r["params"])
        for r in DEFAULT_RULES
        if r["code"] not in existing
    ]
    FraudRule.objects.bulk_create(missing, ignore_conflicts=True)
    return len(missing)


def register() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    from apps.cards.fraud import engine
    from apps.cards.fraud.models import FraudRule
    from apps.monitoring.registry import register_source

    register_source(
        "card_fraud", label=gettext_lazy("card purchase under review"), items=review_queue_items
    )
    post_migrate.connect(
        rules_ensure, sender=apps.get_app_config("cards"), dispatch_uid="cards_fraud_rules"
    )
    post_save.connect(engine.rules_changed, sender=FraudRule, dispatch_uid="cards_fraud_cache")
    post_delete.connect(engine.rules_changed, sender=FraudRule, dispatch_uid="cards_fraud_cache_d")
