"""When a TED can go: the customer cut-off on bank business days, in Brasilia time.

The STR itself opens earlier and closes later than banks let customers order TEDs; each
bank sets its own customer window inside it. Ours is a setting (WIRE_WINDOW, "06:30-17:00"
by default, the hours Brazilian banks publish; BACEN's own "grade horaria do STR" was not
available to check), on the B3/ANBIMA calendar of business days (Carnival and Corpus
Christi included, `holidays` pinned: apps.core.due_amounts.B3).

A TED ordered inside the window goes at once; outside it (after the cut-off, before the
opening, on a weekend or a holiday) it is scheduled for the start of the next window, and
the customer is shown that moment before confirming.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from apps.core import due_amounts
from apps.core.timezones import BRASILIA


@dataclass(frozen=True)
class Window:
    opens: dt.time
    closes: dt.time


def window() -> Window:
    opens, _, closes = settings.WIRE_WINDOW.partition("-")
    return Window(dt.time.fromisoformat(opens.strip()), dt.time.fromisoformat(closes.strip()))


def _at(day: dt.date, moment: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, moment, tzinfo=BRASILIA)


def is_open(now: dt.datetime | None = None) -> bool:
    local = (now or timezone.now()).astimezone(BRASILIA)
    hours = window()
    return due_amounts.B3.is_business_day(local.date()) and hours.opens <= local.time() < (
        hours.closes
    )


def next_opening(now: dt.datetime | None = None) -> dt.datetime:
    """The moment a TED ordered at `now` can go: `now` itself when the window is open, else
    the next opening (today's, before it opens on a business day)."""
    now = now or timezone.now()
    if is_open(now):
        return now
    local = now.astimezone(BRASILIA)
    hours = window()
    day = local.date()
    if due_amounts.B3.is_business_day(day) and local.time() < hours.opens:
        return _at(day, hours.opens)
    return _at(
        due_amounts.next_business_day(day + dt.timedelta(days=1), due_amounts.B3), hours.opens
    )


def opening_on(day: dt.date) -> dt.datetime:
    """The start of the window on `day` (a business day)."""
    return _at(day, window().opens)
