"""Reads of the compliance screening domain, for views, APIs and other apps."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import ListVersion, ScreeningHit, ScreeningResult


def open_screening_hits() -> QuerySet[ScreeningHit]:
    """Hits nobody has cleared or confirmed yet, oldest first (the compliance queue's
    screening alerts), with their screening and customer loaded."""
    return (
        ScreeningHit.objects.filter(status=ScreeningHit.Status.OPEN)
        .select_related("result", "result__customer", "list_entry", "watchlist_entry")
        .order_by("result__created_at", "pk")
    )


def screening_hits_of_customer(*, customer_id: int) -> QuerySet[ScreeningHit]:
    """Every hit recorded for a customer, newest first (evidence for an alert)."""
    return (
        ScreeningHit.objects.filter(result__customer_id=customer_id)
        .select_related("result")
        .order_by("-result__created_at", "-score")
    )


def active_versions() -> QuerySet[ListVersion]:
    return ListVersion.objects.filter(is_active=True).order_by("source")


def latest_result_of_customer(*, customer_id: int) -> ScreeningResult | None:
    return (
        ScreeningResult.objects.filter(customer_id=customer_id)
        .prefetch_related("hits")
        .order_by("-created_at", "-pk")
        .first()
    )
