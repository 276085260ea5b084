"""Money at the edges: centavos inside, "123.45" at the API, "R$ 1.234,56" for people.

Amounts never pass through float. Parsing is strict, as BACEN's API Pix is: a plain decimal
with exactly two places at the API (`\\d{1,10}\\.\\d{2}`), or up to two places where a form
allows "12" or "12.3".
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_CENTS = 10**17  # far above any real balance, far below BigIntegerField's limit

# re.ASCII: \d would otherwise accept any Unicode digit ("١٢.٣٤").
_API_AMOUNT = re.compile(r"^\d{1,15}\.\d{2}$", re.ASCII)
_LOOSE_AMOUNT = re.compile(r"^\d{1,15}(?:[.,]\d{1,2})?$", re.ASCII)


class AmountError(ValueError):
    """An amount string that is not a valid amount; the message says why."""


def parse_amount(text: str, *, strict: bool = True, allow_zero: bool = False) -> int:
    """Parse "123.45" into 12345 centavos.

    strict: exactly two decimal places with a dot (the API format); otherwise up to two
    places with a dot or a comma (portal forms, "12,5" meaning R$ 12,50).
    """
    if not isinstance(text, str):
        raise AmountError('amount must be a string such as "123.45"')
    value = text.strip()
    pattern = _API_AMOUNT if strict else _LOOSE_AMOUNT
    if value.startswith("-"):
        raise AmountError("amount must be positive")
    if not pattern.match(value):
        if strict:
            raise AmountError("amount must have the form 123.45 (two decimal places)")
        raise AmountError("amount must be a number with at most two decimal places")
    try:
        cents = int((Decimal(value.replace(",", ".")) * 100).to_integral_exact())
    except InvalidOperation as exc:  # unreachable after the regex, kept as a guard
        raise AmountError("amount is not a number") from exc
    if cents == 0 and not allow_zero:
        raise AmountError("amount must be greater than zero")
    if cents >= MAX_CENTS:
        raise AmountError("amount is too large")
    return cents


def cents_to_str(cents: int) -> str:
    """12345 -> "123.45"; negative amounts keep their sign ("-0.05")."""
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise TypeError("cents must be an int")
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def format_brl(cents: int) -> str:
    """12345678 -> "R$ 123.456,78"; -5 -> "-R$ 0,05" (pt-BR grouping and decimal comma)."""
    text = cents_to_str(cents)
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    whole, frac = text.split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}R$ {grouped},{frac}"
