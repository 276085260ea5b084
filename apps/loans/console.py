"""What loans show on the operations dashboard (apps.core.console): today's loans released
and installments collected, and the applications waiting for a credit analyst."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core import console

from . import selectors


def _volumes(day: console.Day):
    loans = reverse("admin:loans_loan_changelist")
    yield console.Figure.of(
        _("Loans released"),
        selectors.disbursed_between(start=day.start, end=day.end),
        url=f"{loans}?{day.as_filter('disbursed_at')}",
        key="loans_released",
    )
    payments = reverse("admin:loans_loanpayment_changelist")
    yield console.Figure.of(
        _("Loan installments collected"),
        selectors.payments_between(start=day.start, end=day.end),
        url=f"{payments}?{day.as_filter('created_at')}",
        key="loans_collected",
    )


def _analyst(day: console.Day):
    url = reverse("admin:loans_loan_changelist")
    yield console.Figure.of(
        _("Loan applications for an analyst"),
        selectors.applications_waiting_for_analyst(),
        url=f"{url}?state__exact=scored",
        key="loans_analyst",
    )


def register() -> None:
    console.register_panel(
        "loans.volumes",
        section=console.VOLUMES,
        permission=("loans.view_loan", "loans.view_loanpayment"),
        figures=_volumes,
        order=70,
    )
    console.register_panel(
        "loans.analyst",
        section=console.APPROVALS,
        permission="loans.view_loan",
        figures=_analyst,
        order=30,
    )
