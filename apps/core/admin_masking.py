"""CPF/CNPJ masking for the operations console, wherever a tax id hides in free text.

The console shows a CPF/CNPJ in full only to staff holding `accounts.view_full_tax_id`
(compliance officers, admins); operators see it as BACEN's DICT shows it
(`***.456.789-**`). Model fields are masked by the admins themselves; this module covers
what carries tax ids inside other text: ISO 20022 messages (debtor and creditor ids, CPF/CNPJ
keys), webhook payloads, a charge's `devedor` JSON, history deltas.

Only digit runs that *validate* as a CPF or CNPJ (check digits included) are masked, so
account numbers, ids and amounts stay readable; the rare account number that happens to
validate as a CPF is masked too, which errs on the side of privacy.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from lxml import etree
from simple_history.template_utils import HistoricalRecordContextHelper

from apps.core.documents import mask_tax_id, tax_id_kind

FULL_TAX_ID_PERMISSION = "accounts.view_full_tax_id"

# Bare (11 digits, 14 alphanumerics) or punctuated (123.456.789-09, 12.ABC.345/01DE-35),
# never inside a longer run of letters and digits (endToEndIds, message ids, UUIDs).
_TAX_ID_LIKE = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:\d{3}\.\d{3}\.\d{3}-\d{2}"
    r"|[0-9A-Za-z]{2}\.[0-9A-Za-z]{3}\.[0-9A-Za-z]{3}/[0-9A-Za-z]{4}-\d{2}"
    r"|\d{11}"
    r"|[0-9A-Za-z]{14})"
    r"(?![0-9A-Za-z])"
)


def sees_full_tax_ids(request: HttpRequest) -> bool:
    return request.user.has_perm(FULL_TAX_ID_PERMISSION)


def _mask_match(match: re.Match) -> str:
    text = match.group(0)
    return mask_tax_id(text) if tax_id_kind(text) else text


def mask_tax_ids_in_text(text: str) -> str:
    """Every valid CPF/CNPJ in `text` masked; everything else untouched."""
    if not text:
        return text
    return _TAX_ID_LIKE.sub(_mask_match, text)


def mask_tax_ids_in_data(value: Any) -> Any:
    """The same over JSON-like data (dicts, lists, strings), returning a masked copy."""
    if isinstance(value, str):
        return mask_tax_ids_in_text(value)
    if isinstance(value, dict):
        return {key: mask_tax_ids_in_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_tax_ids_in_data(item) for item in value]
    return value


# --- Admin mixins shared by the domain consoles and the simulators' ---------------------------


def masked_key(key_type: str, key: str) -> str:
    """A Pix key as the console shows it without the full-tax-id permission: CPF and CNPJ
    keys masked, other keys whole (they are what the customer gave to be paid with)."""
    return mask_tax_id(key) if key_type in ("CPF", "CNPJ") else key


def _looks_like_tax_id(value) -> bool:
    text = str(value or "")
    return len(text) in (11, 14) and text.isalnum()


class _MaskedKeyHistory(HistoricalRecordContextHelper):
    """History deltas with CPF/CNPJ keys masked, for staff who may not see them."""

    def prepare_delta_change_value(self, change, value):
        if change.field == "key" and _looks_like_tax_id(value):
            return mask_tax_id(value)
        return super().prepare_delta_change_value(change, value)


class TaxIdKeyMaskingMixin:
    """Shows the `key` field, or `shown_key` (CPF/CNPJ masked) to staff without the
    full-tax-id permission; the same in the list, the form and the history."""

    def _key_field(self, request: HttpRequest) -> str:
        return "key" if sees_full_tax_ids(request) else "shown_key"

    def _swap(self, request: HttpRequest, names) -> tuple:
        return tuple(self._key_field(request) if n == "key" else n for n in names)

    def get_list_display(self, request: HttpRequest):
        return self._swap(request, super().get_list_display(request))

    def get_fields(self, request: HttpRequest, obj=None):
        return self._swap(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self._swap(request, super().get_readonly_fields(request, obj))

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record):
        if sees_full_tax_ids(request):
            return super().get_historical_record_context_helper(request, historical_record)
        return _MaskedKeyHistory(self.model, historical_record)

    @admin.display(description=_("key"))
    def shown_key(self, obj) -> str:
        return masked_key(obj.key_type, obj.key)


class _MaskedTaxIdHistory(HistoricalRecordContextHelper):
    """History deltas with every CPF/CNPJ masked, for staff who may not see them."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        return mask_tax_ids_in_text(value) if isinstance(value, str) else value


class FullTaxIdSwapMixin:
    """Detail fields are declared masked; staff holding `accounts.view_full_tax_id` get each
    one's full twin instead (`full_tax_id_swaps`: masked name -> full name). Lists stay
    masked for everyone; history deltas are masked for those without the permission."""

    full_tax_id_swaps: dict[str, str] = {}

    def _swap_full(self, request: HttpRequest, names) -> tuple:
        if not sees_full_tax_ids(request):
            return tuple(names)
        return tuple(self.full_tax_id_swaps.get(name, name) for name in names)

    def get_fields(self, request: HttpRequest, obj=None):
        return self._swap_full(request, super().get_fields(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self._swap_full(request, super().get_readonly_fields(request, obj))

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record):
        if sees_full_tax_ids(request):
            return super().get_historical_record_context_helper(request, historical_record)
        return _MaskedTaxIdHistory(self.model, historical_record)


def pretty_xml(xml: str, *, full_tax_ids: bool) -> str:
    """An ISO 20022 message indented inside <pre>, escaped; CPF/CNPJ masked unless allowed.

    The stored text is evidence: a message that does not parse, or declares a DTD (which
    libxml2 is never handed, so no entity is ever expanded), is shown as stored."""
    if not xml:
        return "-"
    text = xml
    if "<!DOCTYPE" not in xml and "<!ENTITY" not in xml:
        parser = etree.XMLParser(
            resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
        )
        try:
            root = etree.fromstring(xml.encode("utf-8"), parser)
        except (etree.XMLSyntaxError, ValueError):
            root = None
        if root is not None:
            etree.indent(root, space="  ")
            text = etree.tostring(root, encoding="unicode")
    if not full_tax_ids:
        text = mask_tax_ids_in_text(text)
    return format_html(
        '<pre class="iso20022" style="margin:0;white-space:pre-wrap;max-height:40em;'
        'overflow:auto">{}</pre>',
        text,
    )


def xml_display(field: str, description, *, full: bool):
    """A read-only display of the XML column `field` (masked, or in full)."""

    @admin.display(description=description)
    def display(self, obj) -> str:
        # Historical versions do not keep the messages (excluded from history): "-".
        return pretty_xml(getattr(obj, field, "") or "", full_tax_ids=full)

    return display
