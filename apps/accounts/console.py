"""What the ledger shows on the operations dashboard (apps.core.console): today's book
transfers, reversals waiting for a second operator, open ledger alerts and the last
reconciliation. Registered in AccountsConfig.ready(); every figure comes from selectors."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core import console
from apps.core.timezones import BRASILIA

from . import selectors


def _book_transfers(day: console.Day):
    url = reverse("admin:accounts_journalentry_changelist")
    yield console.Figure.of(
        _("Book transfers"),
        selectors.book_transfers_between(start=day.start, end=day.end),
        url=f"{url}?kind=book_transfer&{day.as_filter('created_at')}",
        key="book_transfers",
    )


def _reversals(day: console.Day):
    url = reverse("admin:accounts_reversalrequest_changelist")
    yield console.Figure.of(
        _("Reversals waiting for a second operator"),
        selectors.reversal_requests_pending(),
        url=f"{url}?state__exact=pending",
        key="reversals_pending",
    )


def _ledger_alerts(day: console.Day):
    url = reverse("admin:accounts_ledgeralert_changelist")
    counted = selectors.ledger_alerts_open()
    yield console.Figure.of(
        _("Open ledger alerts"),
        counted,
        url=f"{url}?state__in=open,acknowledged",
        status=console.PROBLEM if counted.count else "",
        key="ledger_alerts",
    )


def _reconciliation(day: console.Day):
    run = selectors.last_reconciliation()
    if run is None:
        yield console.Figure(
            label=_("Last reconciliation"),
            url=reverse("admin:accounts_reconciliationrun_changelist"),
            status=console.WARNING,
            detail=_("never run"),
            key="reconciliation",
        )
        return
    when = run.started_at.astimezone(BRASILIA).strftime("%d/%m/%Y %H:%M")
    if run.ok:
        detail = gettext("the ledger is whole (%(when)s)") % {"when": when}
    else:
        detail = gettext(
            "%(mismatches)d balance differences, %(unbalanced)d unbalanced entries (%(when)s)"
        ) % {
            "mismatches": len(run.mismatches),
            "unbalanced": len(run.unbalanced_entries),
            "when": when,
        }
    yield console.Figure(
        label=_("Last reconciliation"),
        url=reverse("admin:accounts_reconciliationrun_change", args=[run.pk]),
        status=console.OK if run.ok else console.PROBLEM,
        detail=detail,
        key="reconciliation",
    )


def register() -> None:
    console.register_panel(
        "accounts.book_transfers",
        section=console.VOLUMES,
        permission="accounts.view_journalentry",
        figures=_book_transfers,
        order=30,
    )
    console.register_panel(
        "accounts.reversals",
        section=console.APPROVALS,
        permission="accounts.view_reversalrequest",
        figures=_reversals,
        order=10,
    )
    console.register_panel(
        "accounts.ledger_alerts",
        section=console.RECONCILIATION,
        permission="accounts.view_ledgeralert",
        figures=_ledger_alerts,
        order=20,
    )
    console.register_panel(
        "accounts.reconciliation",
        section=console.RECONCILIATION,
        permission="accounts.view_reconciliationrun",
        figures=_reconciliation,
        order=10,
    )
