"""Monthly due dates that never drift.

Installment k (0-based) falls k months after the FIRST due date, on the first due date's
day of month, or on the month's last day when the month is shorter: a first due date of
2026-01-31 gives 2026-02-28, 2026-03-31, 2026-04-30 (not 03-28 and 04-28, as adding a
month to the previous due date would). calendar.monthrange does it with the standard
library; python-dateutil's relativedelta(months=k) would give the same dates, but it is
only a transitive dependency here (Celery's), not one of our pins.
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(anchor: date, months: int) -> date:
    """`anchor` moved `months` months on, on the anchor's day or the month's last day."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(anchor.day, last_day))


def monthly_due_dates(first_due_date: date, count: int) -> list[date]:
    """The `count` monthly due dates starting at `first_due_date`."""
    return [add_months(first_due_date, k) for k in range(count)]


def days_between(start: date, end: date) -> int:
    """Calendar days from `start` to `end` (negative when `end` comes first)."""
    return (end - start).days


def first_due_date(release_date: date, due_day: int, *, min_days: int = 28) -> date:
    """The first date on `due_day` (or the month's last day when shorter) at least
    `min_days` after the release: a borrower picks the day of the month their income
    arrives, and the first installment never falls before a month has passed."""
    for months in range(3):
        month_start = add_months(date(release_date.year, release_date.month, 1), months)
        last_day = calendar.monthrange(month_start.year, month_start.month)[1]
        due = date(month_start.year, month_start.month, min(due_day, last_day))
        if (due - release_date).days >= min_days:
            return due
    raise AssertionError("unreachable: three months always hold a date min_days away")
