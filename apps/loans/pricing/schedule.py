"""Amortization schedules: PRICE (French system, level installments) and SAC (constant
amortization), in centavos.

Monthly periods: the interest of installment k is i x balance(k-1), i the monthly rate,
whatever the number of days between due dates (as the brief and the market's tables do).

* PRICE: PMT = P.i / (1 - (1+i)^-n), rounded HALF UP to centavos; interest_k rounded HALF
  UP; amortization_k = PMT - interest_k.
* SAC: amortization P/n rounded HALF UP; interest_k = round_half_up(i x balance(k-1));
  amount_k = amortization + interest_k.
* Both: the LAST installment absorbs the residue of the roundings: its amortization is the
  remaining balance and its amount that plus its interest, so the balance ends at 0.00 and
  the amortizations add up to the principal exactly.

A rounded PMT is not the exact one, and in PRICE the difference compounds at the loan's
rate: at 2.5% a month over 420 months a fraction of a centavo grows past the last
balance, so the balance would go below zero before the last installment (and that
installment would be negative). Terms whose schedule cannot be written in centavos (a
balance below zero, or an installment of R$ 0,00) are refused with rule `not_amortizable`
on `installments`, never printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .dates import monthly_due_dates
from .errors import PricingError
from .limits import MAX_INSTALLMENTS, check_amount, check_count, check_monthly_rate
from .rounding import HUNDRED, ONE, ZERO, exact, round_half_up


class AmortizationSystem(StrEnum):
    PRICE = "PRICE"
    SAC = "SAC"


@dataclass(frozen=True, slots=True)
class Installment:
    number: int  # 1-based
    due_date: date
    amount: Decimal  # amortization + interest
    interest: Decimal
    amortization: Decimal
    balance: Decimal  # what is still owed after this installment


def parse_system(value: AmortizationSystem | str) -> AmortizationSystem:
    try:
        return AmortizationSystem(value)
    except ValueError:
        raise PricingError("system", "unknown_system") from None


def price_payment(*, principal: Decimal, rate: Decimal, installments: int) -> Decimal:
    """PMT = P.i / (1 - (1+i)^-n), HALF UP to centavos; `rate` a fraction (0.025)."""
    return round_half_up(principal * rate / (ONE - (ONE + rate) ** -installments))


@exact
def build_schedule(
    *,
    system: AmortizationSystem | str,
    principal: Decimal,
    monthly_rate: Decimal,
    installments: int,
    first_due_date: date,
) -> tuple[Installment, ...]:
    """The table of a loan of `principal` at `monthly_rate` PERCENT a month ("2.5")."""
    check_amount("principal", principal)
    check_monthly_rate("monthly_rate", monthly_rate)
    check_count("installments", installments, minimum=1, maximum=MAX_INSTALLMENTS)
    system = parse_system(system)
    rate = monthly_rate / HUNDRED
    try:
        due_dates = monthly_due_dates(first_due_date, installments)
    except (ValueError, OverflowError):  # past year 9999
        raise PricingError("first_due_date", "due_date_past_calendar") from None
    if system is AmortizationSystem.PRICE:
        fixed = price_payment(principal=principal, rate=rate, installments=installments)
    else:
        fixed = round_half_up(principal / installments)
    return _amortize(system, principal, rate, fixed, due_dates)


def _amortize(
    system: AmortizationSystem,
    principal: Decimal,
    rate: Decimal,
    fixed: Decimal,
    due_dates: Sequence[date],
) -> tuple[Installment, ...]:
    """Walk the balance down; `fixed` is the PMT (PRICE) or the amortization (SAC)."""
    balance = principal
    last = len(due_dates)
    rows: list[Installment] = []
    for number, due_date in enumerate(due_dates, start=1):
        interest = round_half_up(rate * balance)
        if number == last:
            amortization = balance  # the residue of every rounding ends here
        elif system is AmortizationSystem.PRICE:
            amortization = fixed - interest
        else:
            amortization = fixed
        amount = amortization + interest
        if amortization < ZERO or amortization > balance or amount <= ZERO:
            raise PricingError("installments", "not_amortizable", installments=last)
        balance -= amortization
        rows.append(
            Installment(
                number=number,
                due_date=due_date,
                amount=amount,
                interest=interest,
                amortization=amortization,
                balance=balance,
            )
        )
    return tuple(rows)
