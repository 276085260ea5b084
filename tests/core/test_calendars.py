"""Bank business days (apps.core.due_amounts.B3) and what they do to boleto amounts: frozen
dates only, never today's."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.core import due_amounts
from apps.core.due_amounts import B3, BRAZIL, next_business_day

D = dt.date


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 2, 16),  # Carnival Monday: banks closed, not a national holiday
        D(2026, 2, 17),  # Carnival Tuesday
        D(2026, 6, 4),  # Corpus Christi
        D(2026, 11, 20),  # Consciencia Negra (national since 2024)
        D(2026, 12, 24),  # B3 closes (holidays 0.109, pinned)
        D(2026, 12, 31),  # the last business day of the year, closed by B3
        D(2026, 12, 25),
    ],
)
def test_bank_holidays(day):
    assert not B3.is_business_day(day)


def test_b3_closes_days_the_national_calendar_keeps():
    assert BRAZIL.is_business_day(D(2026, 2, 16)) and not B3.is_business_day(D(2026, 2, 16))


def test_rolling_forward_over_christmas_and_the_year_end():
    assert next_business_day(D(2026, 12, 24), B3) == D(2026, 12, 28)
    assert next_business_day(D(2026, 12, 31), B3) == D(2027, 1, 4)
    assert next_business_day(D(2026, 12, 30), B3) == D(2026, 12, 30)


def test_a_boleto_due_on_a_weekend_is_paid_monday_without_charges():
    terms = due_amounts.terms_from_json(
        10_000,
        {
            "multa": {"modalidade": 2, "valorPerc": "2.00"},
            "juros": {"modalidade": 3, "valorPerc": "1.00"},
        },
    )
    due = D(2026, 10, 31)  # a Saturday
    monday = due_amounts.amount_due(terms, due=due, pay_date=D(2026, 11, 3), calendar=B3)
    assert monday.final == 10_000  # Nov 2 is a holiday: Tuesday the 3rd is the adjusted due
    late = due_amounts.amount_due(terms, due=due, pay_date=D(2026, 11, 4), calendar=B3)
    assert late.multa == 200 and late.juros == 3  # 1% a month over 30 days, for one day
    assert late.final == 10_203


def test_month_end_due_date_on_a_sunday():
    # 2026-05-31 is a Sunday: due moves to Monday June 1st.
    assert due_amounts.adjusted_due_date(D(2026, 5, 31), B3) == D(2026, 6, 1)
    assert due_amounts.last_payable_date(D(2026, 5, 31), 3, B3) == D(2026, 6, 5)  # 4th: Corpus
