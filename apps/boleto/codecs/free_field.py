"""Athena Pay's own campo livre (barcode positions 20-44), the part each bank lays out.

Ours, documented here because FEBRABAN leaves it to the bank (reference doc 1.1):

| campo livre pos | len | content |
|---|---|---|
| 1-6   | 6  | zeros (reserved) |
| 7-23  | 17 | nosso numero: the issuer's agreement (7 digits) + its sequence (10 digits) |
| 24-25 | 2  | carteira: "17" (registered collection, simple) |

The nosso numero alone identifies a boleto of ours: CNAB files and the COMPE simulator
read it back from the barcode with `nosso_numero_of`.
"""

from __future__ import annotations

CARTEIRA = "17"
AGREEMENT_DIGITS = 7
SEQUENCE_DIGITS = 10
NOSSO_NUMERO_DIGITS = AGREEMENT_DIGITS + SEQUENCE_DIGITS


def nosso_numero(agreement: str, sequence: int) -> str:
    if len(agreement) != AGREEMENT_DIGITS or not agreement.isdigit():
        raise ValueError("the agreement has 7 digits")
    if not 0 < sequence < 10**SEQUENCE_DIGITS:
        raise ValueError("the sequence has at most 10 digits")
    return f"{agreement}{sequence:0{SEQUENCE_DIGITS}d}"


def free_field_for(nosso_numero_: str) -> str:
    if len(nosso_numero_) != NOSSO_NUMERO_DIGITS or not nosso_numero_.isdigit():
        raise ValueError("a nosso numero of ours has 17 digits")
    return f"000000{nosso_numero_}{CARTEIRA}"


def nosso_numero_of(free_field: str) -> str | None:
    """The nosso numero in a campo livre of ours, or None when it is not in our layout."""
    if len(free_field) != 25 or free_field[:6] != "000000" or free_field[23:] != CARTEIRA:
        return None
    return free_field[6:23]
