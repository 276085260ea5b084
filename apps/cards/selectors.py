"""Reads of the cards domain for other apps and the operations dashboard."""

from __future__ import annotations

from apps.core.console import Tally, tally

from .clearing.models import ClearingException
from .fraud.models import FraudReview
from .models import Authorization


def authorizations_between(*, start, end) -> Tally:
    """Card purchases authorized in [start, end) that stand (approved or captured)."""
    return tally(
        Authorization.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            state__in=(Authorization.State.APPROVED, Authorization.State.CAPTURED),
        ),
        amount="amount",
    )


def fraud_reviews_open() -> Tally:
    """Purchases the fraud engine flagged, waiting for a person."""
    return tally(
        FraudReview.objects.filter(state=FraudReview.State.OPEN),
        amount="authorization__amount",
        oldest="created_at",
    )


def clearing_exceptions_open() -> Tally:
    """Clearing mismatches waiting for an operator (their amounts sit in suspense)."""
    return tally(
        ClearingException.objects.filter(state=ClearingException.State.OPEN),
        amount="amount",
        oldest="created_at",
    )
