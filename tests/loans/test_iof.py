"""IOF: a daily rate on each amortization for its days (at most 365) plus an additional
rate on the principal, from the table row in force on the release date."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from apps.loans.pricing import PricingError, build_schedule
from apps.loans.pricing.iof import IOF_TABLE, iof_rates, loan_iof

RELEASE = date(2026, 1, 15)
CENT = Decimal("0.01")


def price_table(principal="10000.00", n=12, first_due=date(2026, 2, 15), system="PRICE"):
    return build_schedule(
        system=system,
        principal=Decimal(principal),
        monthly_rate=Decimal("2.5"),
        installments=n,
        first_due_date=first_due,
    )


def test_natural_person_price_example_computed_by_hand():
    # Amortizations of the PRICE table (R$ 10.000,00, 2.5%, 12x) and the calendar days
    # from 2026-01-15 to each due date (the 15th of Feb 2026 ... Jan 2027).
    amortizations = [
        "724.87", "742.99", "761.57", "780.61", "800.12", "820.12",
        "840.63", "861.64", "883.18", "905.26", "927.89", "951.12",
    ]  # fmt: skip
    days = [31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]
    daily = sum(Decimal(a) * d for a, d in zip(amortizations, days, strict=True))
    exact = daily * Decimal("0.000082") + Decimal("10000.00") * Decimal("0.0038")
    assert exact == Decimal("206.81791328")  # 168.81791328 + 38.00
    table = price_table()
    assert [str(r.amortization) for r in table] == amortizations
    assert [(r.due_date - RELEASE).days for r in table] == days
    iof = loan_iof(principal=Decimal("10000.00"), release_date=RELEASE, installments=table)
    assert iof == exact.quantize(CENT, rounding=ROUND_HALF_UP) == Decimal("206.82")


def test_sac_example():
    table = price_table(system="SAC")
    days = [31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]
    daily = Decimal("833.33") * sum(days[:-1]) + Decimal("833.37") * 365
    exact = daily * Decimal("0.000082") + Decimal("38.00")
    iof = loan_iof(principal=Decimal("10000.00"), release_date=RELEASE, installments=table)
    assert iof == exact.quantize(CENT, rounding=ROUND_HALF_UP) == Decimal("199.47")


def test_days_stop_counting_at_365():
    # 24 installments: from the 13th on, the due date is more than a year away.
    table = price_table(n=24)
    days = [(r.due_date - RELEASE).days for r in table]
    assert days[11] == 365 and days[12] == 396
    daily = sum(r.amortization * min(d, 365) for r, d in zip(table, days, strict=True))
    expected = (daily * Decimal("0.000082") + Decimal("38.00")).quantize(CENT, ROUND_HALF_UP)
    iof = loan_iof(principal=Decimal("10000.00"), release_date=RELEASE, installments=table)
    assert iof == expected
    # A single installment due in two years pays 365 days, not 730: 10000 x 0.0082% x 365
    # = 299.30, plus 38.00.
    (once,) = price_table(n=1, first_due=date(2028, 1, 15))
    assert loan_iof(principal=Decimal("10000.00"), release_date=RELEASE, installments=[once]) == (
        Decimal("337.30")
    )


def test_companies_under_decree_12_499():
    (row,) = price_table(n=1, first_due=date(2026, 2, 14))  # 30 days
    principal = Decimal("10000.00")

    def iof(borrower, amount=principal, table=(row,)):
        return loan_iof(
            principal=amount, release_date=RELEASE, installments=table, borrower=borrower
        )

    # company: 10000 x 0.0082% x 30 + 0.38% = 24.60 + 38.00
    assert iof("company") == Decimal("62.60")
    # Simples Nacional / MEI up to R$ 30.000: 10000 x 0.00274% x 30 = 8.22, + 38.00
    assert iof("company_simples") == Decimal("46.22")
    # above R$ 30.000 a Simples company pays the company rate
    (big,) = price_table(principal="30000.01", n=1, first_due=date(2026, 2, 14))
    big_iof = iof("company_simples", Decimal("30000.01"), (big,))
    exact = Decimal("30000.01") * (Decimal("0.000082") * 30 + Decimal("0.0038"))
    assert big_iof == exact.quantize(CENT, ROUND_HALF_UP) == Decimal("187.80")
    (edge,) = price_table(principal="30000.00", n=1, first_due=date(2026, 2, 14))
    assert iof("company_simples", Decimal("30000.00"), (edge,)) == Decimal("138.66")


def test_the_row_in_force_on_the_release_date():
    def company(day: date):
        return iof_rates(release_date=day, borrower="company", principal=Decimal("1000.00"))

    assert company(date(2025, 5, 31)).daily == Decimal("0.000041")  # before 12.466
    assert company(date(2025, 5, 31)).additional == Decimal("0.0038")
    assert company(date(2025, 6, 1)).additional == Decimal("0.0095")  # Decree 12.466
    assert company(date(2025, 6, 11)).daily == Decimal("0.000082")  # Decree 12.499
    assert company(date(2025, 6, 11)).additional == Decimal("0.0038")
    for row in IOF_TABLE:  # natural persons: 0.0082% + 0.38% throughout
        rates = iof_rates(
            release_date=row.effective_from, borrower="natural_person", principal=Decimal(1)
        )
        assert (rates.daily, rates.additional) == (Decimal("0.000082"), Decimal("0.0038"))
    assert [row.effective_from for row in IOF_TABLE] == sorted(
        row.effective_from for row in IOF_TABLE
    )


def test_release_dates_before_the_table_and_unknown_borrowers_are_refused():
    with pytest.raises(PricingError) as caught:
        iof_rates(release_date=date(2021, 12, 31), borrower="company", principal=Decimal(1))
    assert (caught.value.field, caught.value.rule) == ("release_date", "before_iof_table")
    with pytest.raises(PricingError) as caught:
        iof_rates(release_date=RELEASE, borrower="alien", principal=Decimal(1))
    assert caught.value.field == "borrower"
