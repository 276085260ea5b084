"""What the cards app plugs into other apps' extension points (from CardsConfig.ready()):
its records in a data subject's export and erasure (apps.privacy)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def export_cards(customer: Any, account_ids: list[int]) -> dict:
    from apps.cards.models import Authorization, Card
    from apps.core.money import cents_to_str
    from apps.privacy.registry import iso

    cards = [
        {
            "id": str(card.public_id),
            "card": card.masked_pan,  # never more than BIN + last four, even to its owner
            "kind": card.kind,
            "state": card.state,
            "expiry": card.expiry,
            "created_at": iso(card.created_at),
        }
        for card in Card.objects.filter(customer_id=customer.pk).order_by("pk")
    ]
    authorizations = [
        {
            "card": f"{row.card.bin[:6]}******{row.card.last4}",
            "merchant": row.merchant_name,
            "mcc": row.mcc,
            "amount": cents_to_str(row.amount),
            "response_code": row.response_code,
            "state": row.state,
            "at": iso(row.created_at),
        }
        for row in Authorization.objects.filter(card__customer_id=customer.pk)
        .select_related("card")
        .order_by("pk")
    ]
    return {"cards": cards, "authorizations": authorizations}


def erasure_blockers(customer: Any, account_ids: list[int]) -> list[str]:
    from apps.cards.models import Authorization, Card

    reasons = []
    if Card.objects.filter(customer_id=customer.pk, state__in=Card.LIVE_STATES).exists():
        reasons.append(_("There are cards still valid: cancel them first."))
    if Authorization.objects.filter(
        card__customer_id=customer.pk, state=Authorization.State.APPROVED
    ).exists():
        reasons.append(_("There are card purchases not yet settled."))
    return reasons


def erase_cards(ctx) -> None:
    """Authorizations are payments, kept for AML; the cards stay (encrypted PAN, needed to
    answer a chargeback) until the retention date."""
    from apps.cards.models import Authorization, Card

    ctx.retain(
        Card,
        Card.objects.filter(customer_id=ctx.customer.pk).values_list("pk", flat=True),
        key="cards",
    )
    ctx.retain(
        Authorization,
        Authorization.objects.filter(card__customer_id=ctx.customer.pk).values_list(
            "pk", flat=True
        ),
        key="card_authorizations",
    )
    return None


def register() -> None:
    from apps.cards.iso.scopes import CARD_AUTH_SCOPES
    from apps.core.api_clients import register_scopes
    from apps.privacy.registry import register_section

    # The acquirers' JSON channel (apps/cards/api.py) is granted to API clients by scope.
    register_scopes(CARD_AUTH_SCOPES)
    register_section(
        "cards", export=export_cards, blockers=erasure_blockers, erase=erase_cards, order=47
    )
