"""The value today of an installment paid before its due date (CDC art. 52, par. 2; CMN
Res. 3.516): its amount discounted at the contract rate over the time left, in the
schedule's own periods.

The schedule charges one month's interest per period, whatever the period's calendar days
(a 31-day January and a 28-day February each earn i), so the discount counts periods the
same way: whole periods between the next due date and the installment's, plus the part of
the current period still to run, pro rata by its calendar days. Paid on the release day,
the installments are worth the principal (give or take the PMT's centavo roundings); paid
on or after its due date, an installment gets no discount.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from .limits import check_amount, check_monthly_rate
from .rounding import HUNDRED, ONE, exact, round_half_up


@exact
def periods_early(
    *, today: date, due_date: date, release_date: date, due_dates: Sequence[date]
) -> Decimal:
    """How many of the schedule's periods lie between `today` and `due_date` (0 when due)."""
    if due_date <= today:
        return Decimal(0)
    bounds = [release_date, *due_dates]
    nxt = bisect_right(bounds, today)  # the first bound after today
    start, end = bounds[nxt - 1], bounds[nxt]
    part = Decimal((end - today).days) / Decimal((end - start).days)
    whole = bounds.index(due_date) - nxt
    return whole + part


@exact
def present_value(*, amount: Decimal, monthly_rate: Decimal, periods: Decimal) -> Decimal:
    """`amount` due `periods` periods from now, paid today: rounded HALF UP to centavos."""
    check_amount("amount", amount)
    check_monthly_rate("monthly_rate", monthly_rate, allow_zero=True)
    if periods <= 0:
        return amount
    return round_half_up(amount / (ONE + monthly_rate / HUNDRED) ** periods)
