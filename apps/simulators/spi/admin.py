"""The simulated SPI's console: every message that went through it, read-only, with the
ISO 20022 XML (CPF/CNPJ masked unless the viewer may see them)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.core.admin_masking import FullTaxIdSwapMixin
from apps.core.admin_masking import xml_display as _xml_display
from apps.core.admin_tools import ReadOnlyAdmin
from apps.core.money import format_brl
from apps.pix import selectors as pix_selectors
from apps.simulators.spi.models import SpiSimulatedMessage


def _bank(ispb: str) -> str:
    return f"{pix_selectors.name_of(ispb)} ({ispb})" if ispb else "-"


@admin.register(SpiSimulatedMessage)
class SpiSimulatedMessageAdmin(FullTaxIdSwapMixin, ReadOnlyAdmin):
    list_display = (
        "end_to_end_id",
        "kind",
        "direction",
        "debtor_bank",
        "creditor_bank",
        "amount_display",
        "status",
        "reason",
        "created_at",
    )
    list_filter = ("kind", "direction", "status", "reason")
    search_fields = ("end_to_end_id",)  # see get_search_results
    search_help_text = _("Exact endToEndId or returnId (also finds the returns of a Pix).")
    ordering = ("-created_at", "-pk")
    fields = (
        "end_to_end_id",
        "original_end_to_end_id",
        "kind",
        "direction",
        "debtor_bank",
        "creditor_bank",
        "amount_display",
        "status",
        "reason",
        "created_at",
        "xml_display",
    )
    readonly_fields = fields
    full_tax_id_swaps = {"xml_display": "xml_full"}

    xml_display = _xml_display("xml", _("message"), full=False)
    xml_full = _xml_display("xml", _("message"), full=True)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(end_to_end_id=term) | Q(original_end_to_end_id=term)), False

    @admin.display(description=_("debtor institution"))
    def debtor_bank(self, obj: SpiSimulatedMessage) -> str:
        return _bank(obj.debtor_ispb)

    @admin.display(description=_("creditor institution"))
    def creditor_bank(self, obj: SpiSimulatedMessage) -> str:
        return _bank(obj.creditor_ispb)

    @admin.display(description=_("amount"), ordering="amount_cents")
    def amount_display(self, obj: SpiSimulatedMessage) -> str:
        return format_brl(obj.amount_cents)
