"""What boletos show on the operations dashboard (apps.core.console): today's boletos paid
and the return files whose reprocessing waits for a second operator."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.core import console

from . import selectors


def _paid(day: console.Day):
    url = reverse("admin:boleto_boletopayment_changelist")
    yield console.Figure.of(
        _("Boletos paid"),
        selectors.payments_between(start=day.start, end=day.end),
        url=f"{url}?state__exact=paid&{day.as_filter('created_at')}",
        key="boleto_paid",
    )


def _reprocessing(day: console.Day):
    url = reverse("admin:boleto_cnabfile_changelist")
    yield console.Figure.of(
        _("CNAB return files to reprocess (four eyes)"),
        selectors.reprocessing_waiting_approval(),
        url=f"{url}?state__exact=rejected",
        key="boleto_reprocessing",
    )


def register() -> None:
    console.register_panel(
        "boleto.paid",
        section=console.VOLUMES,
        permission="boleto.view_boletopayment",
        figures=_paid,
        order=40,
    )
    console.register_panel(
        "boleto.reprocessing",
        section=console.APPROVALS,
        permission="boleto.view_cnabfile",
        figures=_reprocessing,
        order=60,
    )
