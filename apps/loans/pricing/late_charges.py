"""What an overdue installment adds, CMN Resolution 4.882/2020 (in force 01/02/2021): only
three charges are allowed, each rounded HALF UP to centavos, and the total is the sum of
the three rounded values.

* remuneratory interest at the contract's rate, compounded per day of delay:
  amount x ((1 + monthly rate)^(days/30) - 1);
* the fine (multa): 2% of the amount, the ceiling for consumer credit (Consumer Defence
  Code art. 52 par. 1, Law 9.298/1996);
* default interest (juros de mora): 1% a month, simple, pro rata die:
  amount x 1% x days/30 (the usual ceiling for bank contracts, STJ Sumula 379).

Any other charge (comissao de permanencia included) is forbidden. No delay, no charge:
0 days gives zeros.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .errors import PricingError
from .limits import (
    MAX_ANSWER,
    MAX_DAYS_LATE,
    check_amount,
    check_count,
    check_monthly_rate,
)
from .rounding import HUNDRED, ONE, ZERO, exact, percent, round_half_up

FINE = percent("2")
DEFAULT_INTEREST_MONTHLY = percent("1")
DAYS_IN_MONTH = Decimal(30)


@dataclass(frozen=True, slots=True)
class LateCharges:
    interest: Decimal
    fine: Decimal
    default_interest: Decimal
    total: Decimal


@exact
def late_charges(*, amount: Decimal, monthly_rate: Decimal, days_late: int) -> LateCharges:
    """The charges on `amount` overdue `days_late` days, `monthly_rate` in PERCENT ("2.5");
    a contract rate of zero is allowed (then only the fine and default interest apply)."""
    check_amount("amount", amount)
    check_monthly_rate("monthly_rate", monthly_rate, allow_zero=True)
    check_count("days_late", days_late, minimum=0, maximum=MAX_DAYS_LATE)
    if days_late == 0:
        return LateCharges(interest=ZERO, fine=ZERO, default_interest=ZERO, total=ZERO)
    months = Decimal(days_late) / DAYS_IN_MONTH
    growth = (ONE + monthly_rate / HUNDRED) ** months  # Decimal ** Decimal: no float
    exact_interest = amount * (growth - ONE)
    if exact_interest > MAX_ANSWER:  # checked before rounding: quantize needs the digits
        raise PricingError("days_late", "charges_too_large", maximum=f"{MAX_ANSWER:.2f}")
    interest = round_half_up(exact_interest)
    fine = round_half_up(amount * FINE)
    # Divided last, so a result that is exactly half a centavo stays exact (15.00 for one
    # day is 0.005 -> 0.01; multiplying by a rounded 1/30 would give 0.00499... -> 0.00).
    default_interest = round_half_up(amount * DEFAULT_INTEREST_MONTHLY * days_late / DAYS_IN_MONTH)
    total = interest + fine + default_interest
    if total > MAX_ANSWER:
        raise PricingError("days_late", "charges_too_large", maximum=f"{MAX_ANSWER:.2f}")
    return LateCharges(interest=interest, fine=fine, default_interest=default_interest, total=total)
