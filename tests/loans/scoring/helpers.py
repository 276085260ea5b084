"""An ordinary applicant for the scoring tests, to vary one fact at a time."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from apps.loans.scoring.features import Applicant

BASE = Applicant(
    installments=12,
    principal_cents=500_000,  # R$ 5.000,00
    monthly_income_cents=400_000,  # R$ 4.000,00
    installment_cents=49_000,  # 12.25% of the income
    age_years=38,
    employment_years=5,
    housing="rent",
    purpose="furniture",
    average_balance_cents=60_000,
    minimum_balance_cents=5_000,
    monthly_inflow_cents=360_000,
    balance_volatility=Decimal("0.8000"),
    returned_payments=0,
    account_age_days=400,
    loan_history="none",
    open_loans=0,
)


def applicant(**changes: Any) -> Applicant:
    return replace(BASE, **changes)
