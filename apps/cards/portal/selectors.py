"""What the cards' portal pages and the card-management API read: a customer's cards and a
card's authorizations. Another customer's card does not exist (CardNotFound, a 404)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import Customer
from apps.accounts.selectors import customer_of_user
from apps.cards.errors import CardNotFound
from apps.cards.models import Authorization, Card
from apps.core.errors import Forbidden


def customer_for(*, user: Any) -> Customer:
    customer = customer_of_user(user=user)
    if customer is None:
        raise Forbidden(_("Only customers have cards."))
    return customer


def cards_of(*, customer: Customer) -> QuerySet[Card]:
    return (
        Card.objects.filter(customer=customer)
        .select_related("account", "replaces")
        .order_by("-created_at", "-pk")
    )


def card_of(*, customer: Customer, public_id: Any) -> Card:
    try:
        key = uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        raise CardNotFound(_("Card not found.")) from None
    card = cards_of(customer=customer).filter(public_id=key).first()
    if card is None:
        raise CardNotFound(_("Card not found."))
    return card


def replacement_of(card: Card) -> Card | None:
    return Card.objects.filter(replaces=card).first()


def authorizations_of(*, card: Card) -> QuerySet[Authorization]:
    """The card's purchases, newest first (a reversal's own row is not a purchase: the
    purchase it reversed shows "reversed")."""
    return Authorization.objects.filter(card=card, reversal_of__isnull=True).order_by(
        "-created_at", "-pk"
    )


def _review_threshold() -> float:
    return float(getattr(settings, "CARDS_FRAUD_REVIEW_THRESHOLD", 0.5))


def is_flagged(authorization: Authorization) -> bool:
    """The fraud engine doubted it: declined as suspected fraud (59), or scored at or above
    the review threshold (approved, and sent to the compliance queue). Its reasons are
    recorded for every decision, so they alone do not flag a purchase."""
    if authorization.response_code == "59":
        return True
    score = authorization.fraud_score
    return score is not None and score >= _review_threshold()


def flagged_q() -> Q:
    return Q(response_code="59") | Q(fraud_score__gte=_review_threshold())
