"""Monthly due dates fall on the FIRST due date's day, or the month's last day: no drift."""

from __future__ import annotations

from datetime import date

from apps.loans.pricing.dates import add_months, monthly_due_dates


def test_a_month_end_first_due_date_never_drifts():
    assert monthly_due_dates(date(2026, 1, 31), 6) == [
        date(2026, 1, 31),
        date(2026, 2, 28),  # shorter month: its last day
        date(2026, 3, 31),  # back on the 31st, not the 28th
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]


def test_leap_years_give_february_29():
    assert monthly_due_dates(date(2027, 12, 31), 3) == [
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),
    ]
    assert monthly_due_dates(date(2024, 1, 30), 3) == [
        date(2024, 1, 30),
        date(2024, 2, 29),
        date(2024, 3, 30),
    ]


def test_a_february_29_first_due_date_keeps_the_29th():
    dates = monthly_due_dates(date(2028, 2, 29), 13)
    assert dates[1] == date(2028, 3, 29)
    assert dates[12] == date(2029, 2, 28)  # no 29th in 2029
    assert add_months(date(2028, 2, 29), 48) == date(2032, 2, 29)


def test_plain_days_and_year_turns():
    assert monthly_due_dates(date(2026, 11, 15), 4) == [
        date(2026, 11, 15),
        date(2026, 12, 15),
        date(2027, 1, 15),
        date(2027, 2, 15),
    ]
    assert add_months(date(2026, 1, 31), 420 - 1) == date(2060, 12, 31)
