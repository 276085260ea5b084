"""What screening shows on the operations dashboard (apps.core.console): sanctions and PEP
hits nobody has cleared or confirmed yet."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core import console

from . import selectors


def _hits(day: console.Day):
    url = reverse("admin:compliance_screeninghit_changelist")
    yield console.Figure.of(
        _("Screening hits"),
        console.tally(selectors.open_screening_hits(), oldest="result__created_at"),
        url=f"{url}?status__exact=open",
        key="screening_hits",
    )


def register() -> None:
    console.register_panel(
        "compliance.hits",
        section=console.QUEUES,
        permission="compliance.view_screeninghit",
        figures=_hits,
        order=20,
    )
