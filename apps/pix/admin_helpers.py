"""Display helpers shared by the Pix console's admin modules (keys, transfers, charges, MED):
bank names, masked tax ids, links to ledger entries, the transition log, the queue filter."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from apps.core.admin_masking import (
    masked_key,
    xml_display,
)
from apps.core.admin_tools import entry_link, masked_tax_id_or_dash
from apps.core.documents import normalize_tax_id
from apps.pix import participants
from apps.pix.adapters import dict as dict_api

_BR = mark_safe("<br>")  # nosec B308  # a constant separator for format_html_join


def _bank(ispb: str) -> str:
    return f"{participants.name_of(ispb)} ({ispb})" if ispb else "-"


# Shared with the simulators' console (apps.simulators), hence in apps.core.
_masked = masked_key


_xml_display = xml_display


_entry_link = entry_link


def _full_tax_id(value: str) -> str:
    return normalize_tax_id(value) or "-"


_masked_tax_id = masked_tax_id_or_dash


def _owner_type(tax_id: str) -> str:
    return dict_api.NATURAL_PERSON if len(normalize_tax_id(tax_id)) == 11 else dict_api.LEGAL_PERSON


class QueueFilter(admin.SimpleListFilter):
    """A state filter whose default, with no parameter, is the work queue (`pending_states`);
    each state, and "all", are a click away."""

    title = _("queue")
    parameter_name = "queue"
    pending_states: tuple[str, ...] = ()
    PENDING = "pending"
    ALL = "all"

    def lookups(self, request, model_admin):
        states = model_admin.model._meta.get_field("state").choices
        return [(self.PENDING, _("waiting for a decision")), *states, (self.ALL, _("all"))]

    def value(self):
        return super().value() or self.PENDING

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.PENDING:
            return queryset.filter(state__in=self.pending_states)
        if value == self.ALL:
            return queryset
        if value in {str(lookup) for lookup, _title in self.lookup_choices}:
            return queryset.filter(state=value)
        raise IncorrectLookupParameters(f"Unknown queue {value!r}.")
