"""The discount of future interest (pricing.prepayment), pure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from apps.loans.pricing import build_schedule
from apps.loans.pricing.dates import first_due_date, monthly_due_dates
from apps.loans.pricing.prepayment import periods_early, present_value

RELEASE = dt.date(2026, 1, 15)


def test_on_the_release_day_installment_k_is_k_periods_away():
    dues = monthly_due_dates(dt.date(2026, 2, 15), 12)
    for k, due in enumerate(dues, start=1):
        assert periods_early(today=RELEASE, due_date=due, release_date=RELEASE, due_dates=dues) == k


def test_inside_a_period_the_part_left_runs_by_its_calendar_days():
    dues = monthly_due_dates(dt.date(2026, 2, 15), 12)
    # 2026-02-05: 10 of February's period's 31 days (Jan 15 -> Feb 15) left.
    left = periods_early(
        today=dt.date(2026, 2, 5), due_date=dues[2], release_date=RELEASE, due_dates=dues
    )
    assert abs(left - (2 + Decimal(10) / Decimal(31))) < Decimal("1e-20")


def test_paid_on_or_after_its_due_date_there_is_no_discount():
    assert present_value(
        amount=Decimal("974.87"), monthly_rate=Decimal("2.5"), periods=Decimal(0)
    ) == Decimal("974.87")


def test_the_price_installments_on_the_release_day_are_worth_the_principal():
    rows = build_schedule(
        system="PRICE",
        principal=Decimal("10000.00"),
        monthly_rate=Decimal("2.5"),
        installments=12,
        first_due_date=dt.date(2026, 2, 15),
    )
    dues = [r.due_date for r in rows]
    total = sum(
        present_value(
            amount=r.amount,
            monthly_rate=Decimal("2.5"),
            periods=periods_early(
                today=RELEASE, due_date=r.due_date, release_date=RELEASE, due_dates=dues
            ),
        )
        for r in rows
    )
    assert abs(total - Decimal("10000.00")) <= Decimal("0.12")


@given(
    amount=st.decimals(min_value="0.01", max_value="1000000", places=2),
    rate=st.decimals(min_value="0", max_value="15", places=2),
    periods=st.decimals(min_value="0", max_value="60", places=4),
)
def test_a_discounted_value_is_never_above_the_amount_nor_below_zero(amount, rate, periods):
    value = present_value(amount=amount, monthly_rate=rate, periods=periods)
    assert Decimal("0") <= value <= amount
    assert value == value.quantize(Decimal("0.01"))


@given(day=st.integers(min_value=1, max_value=28), offset=st.integers(min_value=0, max_value=400))
def test_the_first_due_date_falls_on_the_day_at_least_28_days_on(day, offset):
    release = dt.date(2026, 1, 1) + dt.timedelta(days=offset)
    due = first_due_date(release, day)
    assert due.day == day
    assert 28 <= (due - release).days <= 28 + 31
