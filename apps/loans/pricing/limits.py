"""What the calculators accept: every range in one place, each with the rule code it breaks.

The limits keep every answer finite and printable as "123.45" with at most 15 digits before
the point (the API's amount format): no input reaches an overflow, a Decimal exception or a
date past the calendar.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .errors import PricingError
from .rounding import HUNDRED, ZERO, has_cents_only

MAX_INSTALLMENTS = 420  # 35 years of monthly installments (the longest mortgages)
MAX_MONTHLY_RATE = HUNDRED  # percent a month: far above any lawful rate, keeps powers finite
MAX_RATE_PLACES = 8  # decimal places of a rate in percent ("2.49999999")
RATE_QUANTUM = Decimal(1).scaleb(-MAX_RATE_PLACES)
MAX_AMOUNT = Decimal("10000000000.00")  # R$ 10 billion: principal, fees, an overdue amount
MAX_ANSWER = Decimal("999999999999999.99")  # the largest amount the API can print
MAX_FIRST_DUE_DAYS = 1096  # three years of grace at most between release and first due date
LAST_RELEASE_DATE = date(2100, 12, 31)
MAX_DAYS_LATE = 3650  # ten years (consumer debts prescribe in five: Civil Code art. 206)


def check_amount(field: str, value: Decimal, *, allow_zero: bool = False) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PricingError(field, "not_a_number")
    if value < ZERO or (value == ZERO and not allow_zero):
        raise PricingError(field, "not_positive" if not allow_zero else "negative")
    if value > MAX_AMOUNT:
        raise PricingError(field, "too_large", maximum=f"{MAX_AMOUNT:.2f}")
    if not has_cents_only(value):
        raise PricingError(field, "too_many_places", places=2)


def check_monthly_rate(field: str, value: Decimal, *, allow_zero: bool = False) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PricingError(field, "not_a_number")
    if value < ZERO or (value == ZERO and not allow_zero):
        raise PricingError(field, "not_positive" if not allow_zero else "negative")
    if value > MAX_MONTHLY_RATE:
        raise PricingError(field, "rate_too_large", maximum=f"{MAX_MONTHLY_RATE}")
    if value != value.quantize(RATE_QUANTUM):
        raise PricingError(field, "too_many_places", places=MAX_RATE_PLACES)


def check_count(field: str, value: int, *, minimum: int, maximum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise PricingError(field, "not_an_integer")
    if value < minimum:
        raise PricingError(field, "below_minimum", minimum=minimum)
    if value > maximum:
        raise PricingError(field, "above_maximum", maximum=maximum)
