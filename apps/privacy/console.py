"""What LGPD shows on the operations dashboard (apps.core.console): data-subject requests
waiting for an answer, and how many are past their 15-day deadline."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core import console

from . import selectors


def _requests(day: console.Day):
    url = reverse("admin:privacy_datasubjectrequest_changelist")
    pending = selectors.privacy_requests_pending()
    overdue = pending.filter(due_at__lt=day.now).count()
    yield console.Figure.of(
        _("LGPD requests"),
        console.tally(pending, oldest="requested_at"),
        url=f"{url}?state__in=received,in_progress",
        status=console.PROBLEM if overdue else "",
        detail=gettext("%(count)d overdue") % {"count": overdue} if overdue else "",
        key="privacy_requests",
    )


def register() -> None:
    console.register_panel(
        "privacy.requests",
        section=console.QUEUES,
        permission="privacy.view_datasubjectrequest",
        figures=_requests,
        order=30,
    )
