"""A loan simulation: the schedule, its IOF, the amount released and the CET, in one call.

The entry point other code uses (apps.loans.selectors for the API). It checks the terms in
the order the API lists them and raises PricingError naming the input at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .cet import CetNotSolvable, cet_rate, publish
from .errors import PricingError
from .iof import Borrower, loan_iof, parse_borrower, table_row
from .limits import (
    LAST_RELEASE_DATE,
    MAX_FIRST_DUE_DAYS,
    MAX_INSTALLMENTS,
    check_amount,
    check_count,
    check_monthly_rate,
)
from .rounding import ZERO, exact
from .schedule import AmortizationSystem, Installment, build_schedule, parse_system


@dataclass(frozen=True, slots=True)
class Simulation:
    installments: tuple[Installment, ...]
    total_interest: Decimal
    iof: Decimal
    fees: Decimal
    released_amount: Decimal  # principal - IOF - fees: what reaches the borrower
    cet_annual_rate: Decimal  # the solver's rate, a fraction, unrounded
    cet_annual_percent: Decimal  # as published: percent, two decimals, HALF EVEN


@exact
def simulate(
    *,
    principal: Decimal,
    monthly_rate: Decimal,
    installments: int,
    system: AmortizationSystem | str,
    release_date: date,
    first_due_date: date,
    fees: Decimal = ZERO,
    borrower: Borrower | str = Borrower.NATURAL_PERSON,
) -> Simulation:
    """Price a loan of `principal` at `monthly_rate` PERCENT a month in `installments`
    monthly installments, released on `release_date`, the first due on `first_due_date`."""
    check_amount("principal", principal)
    check_monthly_rate("monthly_rate", monthly_rate)
    check_count("installments", installments, minimum=1, maximum=MAX_INSTALLMENTS)
    system = parse_system(system)
    _check_dates(release_date, first_due_date)
    check_amount("fees", fees, allow_zero=True)
    borrower = parse_borrower(borrower)
    schedule = build_schedule(
        system=system,
        principal=principal,
        monthly_rate=monthly_rate,
        installments=installments,
        first_due_date=first_due_date,
    )
    iof = loan_iof(
        principal=principal, release_date=release_date, installments=schedule, borrower=borrower
    )
    released = principal - iof - fees
    if released <= ZERO:
        raise PricingError("fees", "charges_exceed_principal", iof=f"{iof:.2f}")
    flows = [(row.due_date, row.amount) for row in schedule]
    try:
        rate = cet_rate(released=released, release_date=release_date, flows=flows)
    except CetNotSolvable as error:
        raise PricingError(
            _cet_culprit(error, released, fees, release_date, flows), error.rule
        ) from None
    return Simulation(
        installments=schedule,
        total_interest=sum((row.interest for row in schedule), ZERO),
        iof=iof,
        fees=fees,
        released_amount=released,
        cet_annual_rate=rate,
        cet_annual_percent=publish(rate, released=released, release_date=release_date, flows=flows),
    )


def _cet_culprit(
    error: CetNotSolvable, released: Decimal, fees: Decimal, release_date: date, flows
) -> str:
    """The input to blame when no CET can be given. What falls due on the release date, or
    a month's interest for a few days, is the first due date's doing; fees that leave
    almost nothing released are the fees' (the CET without them would have been fine)."""
    if error.rule == "cet_too_large" and fees > ZERO:
        try:
            cet_rate(released=released + fees, release_date=release_date, flows=flows)
        except CetNotSolvable:
            return "first_due_date"
        return "fees"
    return "first_due_date"


def _check_dates(release_date: date, first_due_date: date) -> None:
    table_row(release_date)  # a release before the IOF table has no rates
    if release_date > LAST_RELEASE_DATE:
        raise PricingError("release_date", "release_too_late", latest=LAST_RELEASE_DATE.isoformat())
    if first_due_date < release_date:
        raise PricingError("first_due_date", "before_release")
    if (first_due_date - release_date).days > MAX_FIRST_DUE_DAYS:
        raise PricingError("first_due_date", "too_far", days=MAX_FIRST_DUE_DAYS)
