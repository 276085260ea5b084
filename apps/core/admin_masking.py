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

from django.http import HttpRequest

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
