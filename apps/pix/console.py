"""What Pix shows on the operations dashboard (apps.core.console): today's Pix sent and
received, and the MED reports waiting for a decision. Registered in PixConfig.ready()."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core import console

from . import selectors


def _volumes(day: console.Day):
    url = reverse("admin:pix_pixtransfer_changelist")
    states = "state__in=sent,settled"
    for direction, label in (("out", _("Pix sent")), ("in", _("Pix received"))):
        yield console.Figure.of(
            label,
            selectors.transfers_between(direction=direction, start=day.start, end=day.end),
            url=f"{url}?direction__exact={direction}&{states}&{day.as_filter('created_at')}",
            key=f"pix_{direction}",
        )


def _med(day: console.Day):
    yield console.Figure.of(
        _("MED infraction reports"),
        selectors.med_reports_open(),
        url=reverse("admin:pix_infractionreport_changelist"),  # its default: the work queue
        key="pix_med",
    )


def register() -> None:
    console.register_panel(
        "pix.volumes",
        section=console.VOLUMES,
        permission="pix.view_pixtransfer",
        figures=_volumes,
        order=10,
    )
    console.register_panel(
        "pix.med",
        section=console.QUEUES,
        permission="pix.view_infractionreport",
        figures=_med,
        order=40,
    )
