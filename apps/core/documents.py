"""Brazilian taxpayer numbers (CPF, CNPJ including the alphanumeric CNPJ) via validate-docbr.

validate-docbr rejects repeated-digit CPFs such as 111.111.111-11, which python-stdnum accepts.
"""

from __future__ import annotations

import re

from validate_docbr import CNPJ, CPF

_cpf = CPF()
_cnpj = CNPJ()


def normalize_tax_id(value: str) -> str:
    """Strip punctuation and upper-case: "12.abc.345/01de-35" -> "12ABC34501DE35"."""
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


def tax_id_kind(value: str) -> str | None:
    """'person' for a valid CPF, 'company' for a valid CNPJ, None otherwise."""
    normalized = normalize_tax_id(value)
    if len(normalized) == 11 and normalized.isdigit() and _cpf.validate(normalized):
        return "person"
    if len(normalized) == 14 and _cnpj.validate(normalized):
        return "company"
    return None


def mask_tax_id(value: str) -> str:
    """Show only the middle digits, as BACEN's DICT does: ***.456.789-** / **.345.678/0001-**."""
    n = normalize_tax_id(value)
    if len(n) == 11:
        return f"***.{n[3:6]}.{n[6:9]}-**"
    if len(n) == 14:
        return f"**.{n[2:5]}.{n[5:8]}/{n[8:12]}-**"
    return "***"
