"""What TED shows on the operations dashboard (apps.core.console): today's TEDs sent and
received."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core import console

from . import selectors


def _volumes(day: console.Day):
    sent = reverse("admin:wire_wire_changelist")
    yield console.Figure.of(
        _("TED sent"),
        selectors.wires_sent_between(start=day.start, end=day.end),
        url=f"{sent}?state__in=sent,settled&{day.as_filter('created_at')}",
        key="ted_out",
    )
    received = reverse("admin:wire_inboundwire_changelist")
    yield console.Figure.of(
        _("TED received"),
        selectors.wires_received_between(start=day.start, end=day.end),
        url=f"{received}?state__exact=credited&{day.as_filter('created_at')}",
        key="ted_in",
    )


def register() -> None:
    console.register_panel(
        "wire.volumes",
        section=console.VOLUMES,
        permission=("wire.view_wire", "wire.view_inboundwire"),
        figures=_volumes,
        order=50,
    )
