"""What cards show on the operations dashboard (apps.core.console): today's authorized
purchases, the fraud reviews and the clearing mismatches waiting for a person."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core import console

from . import selectors


def _purchases(day: console.Day):
    url = reverse("admin:cards_authorization_changelist")
    yield console.Figure.of(
        _("Card purchases"),
        selectors.authorizations_between(start=day.start, end=day.end),
        url=f"{url}?state__in=approved,captured&{day.as_filter('created_at')}",
        key="cards",
    )


def _fraud_reviews(day: console.Day):
    url = reverse("admin:cards_fraudreview_changelist")
    yield console.Figure.of(
        _("Card fraud reviews"),
        selectors.fraud_reviews_open(),
        url=f"{url}?state__exact=open",
        key="cards_fraud",
    )


def _clearing(day: console.Day):
    url = reverse("admin:cards_clearingexception_changelist")
    counted = selectors.clearing_exceptions_open()
    yield console.Figure.of(
        _("Card clearing mismatches"),
        counted,
        url=f"{url}?state__exact=open",
        status=console.WARNING if counted.count else "",
        key="cards_clearing",
    )


def register() -> None:
    console.register_panel(
        "cards.purchases",
        section=console.VOLUMES,
        permission="cards.view_authorization",
        figures=_purchases,
        order=60,
    )
    console.register_panel(
        "cards.fraud_reviews",
        section=console.QUEUES,
        permission="cards.view_fraudreview",
        figures=_fraud_reviews,
        order=50,
    )
    console.register_panel(
        "cards.clearing",
        section=console.RECONCILIATION,
        permission="cards.view_clearingexception",
        figures=_clearing,
        order=30,
    )
