"""The Decimal context of loan math and its two roundings.

Money never touches a float. Every public function of this package runs inside
`exact_context()` (40 significant digits, wide exponents, traps on invalid operations), so
the caller's context does not change a result. Amounts are rounded to centavos HALF UP
(the banking habit for installments, interest and IOF); the CET is rounded HALF EVEN, as
ABNT NBR 5891 asks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import ParamSpec, TypeVar

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Decimal(1)
HUNDRED = Decimal(100)

# 40 digits hold any amount we accept (at most 13 digits before the point) with more than
# 25 digits to spare for powers, logarithms and the CET solver's 1e-12 tolerance.
PRECISION = 40
_CONTEXT = Context(
    prec=PRECISION,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

P = ParamSpec("P")
R = TypeVar("R")


def exact(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` inside this package's Decimal context (a copy: thread-safe)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with localcontext(_CONTEXT):
            return func(*args, **kwargs)

    return wrapper


def percent(text: str) -> Decimal:
    """ "0.0082" (percent) -> Decimal("0.000082") (a fraction), exactly."""
    return Decimal(text) / HUNDRED


def round_half_up(value: Decimal) -> Decimal:
    """To centavos, half up: 974.875 -> 974.88."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_half_even(value: Decimal) -> Decimal:
    """To two decimals, half even (ABNT NBR 5891): 1.245 -> 1.24, 1.255 -> 1.26."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def has_cents_only(value: Decimal) -> bool:
    """True when `value` has at most two decimal places (a real amount of money)."""
    return value.is_finite() and value == value.quantize(CENT, rounding=ROUND_HALF_UP)
