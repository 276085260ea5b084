"""What people tell the fraud engine: the customer's "it was me" on a purchase, and an
officer closing a review (legitimate, or fraud: the card is blocked)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.cards.errors import CardNotFound
from apps.cards.fraud import countries, engine
from apps.cards.fraud.models import CardKnownAttribute, FraudReview
from apps.core.audit import record_event
from apps.core.errors import Conflict
from apps.core.fsm import apply_transition
from apps.core.models import AuditEvent


class ReviewClosed(Conflict):
    code = "card_fraud_review_closed"
    title = "The review is already closed"


def _learn_from(authorization: Any) -> None:
    items = [(CardKnownAttribute.Kind.COUNTRY, countries.normalize(authorization.country))]
    if not authorization.card_present and authorization.device_id:
        items.append((CardKnownAttribute.Kind.DEVICE, authorization.device_id))
    engine.remember(
        card=authorization.card, items=items, source=CardKnownAttribute.Source.CONFIRMED
    )
    # A device or country first seen by the engine is now vouched for by the customer.
    CardKnownAttribute.objects.filter(
        card=authorization.card,
        kind__in=[k for k, _ in items],
        value__in=[v for _, v in items],
    ).update(source=CardKnownAttribute.Source.CONFIRMED)


@transaction.atomic
def authorization_confirm(*, customer: Any, authorization_id: Any) -> Any:
    """The customer says a purchase of theirs was them: it is marked confirmed, its review
    (if any) closes, its device and country become known for the card and its amount joins
    the card's history, so the same pattern does not alert again. Idempotent."""
    from apps.cards.models import Authorization

    try:
        authorization_id = int(authorization_id)
    except (TypeError, ValueError):
        raise CardNotFound(_("Purchase not found.")) from None
    authorization = (
        Authorization.objects.select_for_update(of=("self",))
        .select_related("card")
        .filter(pk=authorization_id, card__customer=customer, reversal_of__isnull=True)
        .first()
    )
    if authorization is None:
        raise CardNotFound(_("Purchase not found."))
    if not authorization.customer_confirmed:
        authorization.customer_confirmed = True
        authorization.save(update_fields=["customer_confirmed", "updated_at"])
        record_event(
            AuditEvent.Action.BUSINESS,
            actor=getattr(customer, "user", None),
            obj=authorization,
            detail={"event": "cards.authorization_confirmed"},
        )
    review = FraudReview.objects.select_for_update().filter(authorization=authorization).first()
    if review is not None and review.state == FraudReview.State.OPEN:
        review.state = FraudReview.State.CONFIRMED
        review.closed_at = timezone.now()
        review._change_reason = "confirmed by the customer"
        review.save(update_fields=["state", "closed_at", "updated_at"])
    _learn_from(authorization)
    return authorization


@transaction.atomic
def review_close(*, review_id: int, actor: Any, fraud: bool, reason: str = "") -> FraudReview:
    """An officer's verdict on a review: legitimate (the purchase feeds the card's history
    as if confirmed), or fraud (the card is blocked)."""
    review = (
        FraudReview.objects.select_for_update(of=("self",))
        .select_related("authorization__card")
        .get(pk=review_id)
    )
    if review.state != FraudReview.State.OPEN:
        raise ReviewClosed(_("This review is already closed."))
    review.state = FraudReview.State.FRAUD if fraud else FraudReview.State.LEGITIMATE
    review.closed_at = timezone.now()
    review.closed_by = actor if getattr(actor, "is_authenticated", False) else None
    review._change_reason = (("fraud: " if fraud else "legitimate: ") + reason)[:100]
    review.save(update_fields=["state", "closed_at", "closed_by", "updated_at"])
    authorization = review.authorization
    if fraud:
        # The card's row is locked and blocked here, as services.card_block does: the fraud
        # package sits below the services (which ask it on every authorization).
        card = (
            type(authorization.card)
            .objects.select_for_update(of=("self",))
            .get(pk=authorization.card_id)
        )
        if card.state == card.State.ACTIVE:
            apply_transition(card, "block", by=actor, reason="fraud review")
    else:  # the card's history counts it again (engine._card_stats)
        _learn_from(authorization)
    record_event(
        AuditEvent.Action.BUSINESS,
        actor=actor,
        obj=review,
        detail={"event": "cards.fraud_review_closed", "fraud": fraud},
    )
    return review
