"""What monitoring shows on the operations console (apps.core.console): the alerts waiting
in the compliance queue (the oldest, the overdue), the COAF communications waiting for a
second officer, and the compliance queue's link in the console's header."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core import console

from . import selectors


def _alerts(day: console.Day):
    counted, overdue = selectors.alerts_waiting()
    yield console.Figure.of(
        _("Compliance queue: alerts"),
        counted,
        url=reverse("admin:monitoring_alert_queue"),
        status=console.PROBLEM if overdue else "",
        detail=gettext("%(count)d past the SLA") % {"count": overdue} if overdue else "",
        key="monitoring_alerts",
    )


def _coaf(day: console.Day):
    url = reverse("admin:monitoring_coafreport_changelist")
    yield console.Figure.of(
        _("COAF communications to approve"),
        selectors.coaf_reports_waiting_approval(),
        url=f"{url}?state__exact=draft",
        key="monitoring_coaf",
    )


def register() -> None:
    console.register_panel(
        "monitoring.alerts",
        section=console.QUEUES,
        permission="monitoring.view_alert",
        figures=_alerts,
        order=10,
    )
    console.register_panel(
        "monitoring.coaf",
        section=console.APPROVALS,
        permission="monitoring.view_coafreport",
        figures=_coaf,
        order=40,
    )
    console.register_nav_link(
        "compliance_queue",
        label=_("Compliance queue"),
        url_name="admin:monitoring_alert_queue",
        permission="monitoring.view_alert",
        order=10,
    )
