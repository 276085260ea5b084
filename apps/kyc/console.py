"""What KYC shows on the operations dashboard (apps.core.console): level upgrades waiting
for a compliance officer (the 45-day clock runs from submission)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core import console

from . import selectors


def _reviews(day: console.Day):
    url = reverse("admin:kyc_kycrequest_changelist")
    yield console.Figure.of(
        _("KYC reviews"),
        console.tally(selectors.kyc_requests_for_review(), oldest="submitted_at"),
        url=f"{url}?state__exact=in_review",
        key="kyc_reviews",
    )


def register() -> None:
    console.register_panel(
        "kyc.reviews",
        section=console.APPROVALS,
        permission="kyc.view_kycrequest",
        figures=_reviews,
        order=20,
    )
