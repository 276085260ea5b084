"""Reads of loans for views, APIs and other apps.

For now the two calculators: pure functions of their inputs (apps.loans.pricing), no
database, nothing written. A refusal of the pricing package becomes the app's 422.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .errors import invalid_terms
from .pricing import (
    AmortizationSystem,
    Borrower,
    LateCharges,
    PricingError,
    Simulation,
    late_charges,
    simulate,
)


def loan_simulation(
    *,
    principal: Decimal,
    monthly_rate: Decimal,
    installments: int,
    system: AmortizationSystem | str,
    release_date: date,
    first_due_date: date,
    fees: Decimal,
    borrower: Borrower | str = Borrower.NATURAL_PERSON,
) -> Simulation:
    """The schedule, IOF, amount released and CET of a loan (apps.loans.pricing.simulate)."""
    terms = {
        "principal": principal,
        "monthly_rate": monthly_rate,
        "installments": installments,
        "system": system,
        "release_date": release_date,
        "first_due_date": first_due_date,
        "fees": fees,
        "borrower": borrower,
    }
    try:
        return simulate(**terms)
    except PricingError as error:
        raise invalid_terms(error, value=terms.get(error.field or "")) from None


def late_charges_due(*, amount: Decimal, monthly_rate: Decimal, days_late: int) -> LateCharges:
    """Interest, fine and default interest of an installment overdue `days_late` days."""
    terms = {"amount": amount, "monthly_rate": monthly_rate, "days_late": days_late}
    try:
        return late_charges(**terms)
    except PricingError as error:
        raise invalid_terms(error, value=terms.get(error.field or "")) from None
