"""The TED window on B3 business days, in Brasilia time (frozen moments, no real clock)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings

from apps.core import due_amounts
from apps.core.timezones import BRASILIA
from apps.wire import windows


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRASILIA)


@pytest.mark.parametrize(
    ("now", "goes"),
    [
        (at(2026, 12, 2, 10, 0), at(2026, 12, 2, 10, 0)),  # a Wednesday, open: now
        (at(2026, 12, 2, 6, 29), at(2026, 12, 2, 6, 30)),  # before the opening: today's
        (at(2026, 12, 2, 17, 0), at(2026, 12, 3, 6, 30)),  # the cut-off itself: tomorrow
        (at(2026, 12, 11, 17, 30), at(2026, 12, 14, 6, 30)),  # Friday 17:30: Monday
        (at(2026, 12, 12, 11, 0), at(2026, 12, 14, 6, 30)),  # Saturday
        (at(2027, 2, 8, 10, 0), at(2027, 2, 10, 6, 30)),  # Carnival Monday: Ash Wednesday
        (at(2026, 12, 31, 9, 0), at(2027, 1, 4, 6, 30)),  # B3 closes Dec 31 (holidays 0.109)
        (at(2026, 11, 20, 10, 0), at(2026, 11, 23, 6, 30)),  # Consciencia Negra (national)
    ],
)
def test_next_opening(now, goes):
    assert windows.next_opening(now) == goes
    assert windows.is_open(now) == (goes == now)


def test_carnival_is_closed_on_the_b3_calendar():
    assert not due_amounts.B3.is_business_day(dt.date(2027, 2, 8))
    assert not due_amounts.B3.is_business_day(dt.date(2027, 2, 9))
    assert due_amounts.B3.is_business_day(dt.date(2027, 2, 10))


def test_brasilia_midnight_is_not_utc_midnight():
    # 02:30 UTC on Thursday is still Wednesday 23:30 in Brasilia: closed, Thursday 06:30.
    now = dt.datetime(2026, 12, 3, 2, 30, tzinfo=dt.UTC)
    assert windows.next_opening(now) == at(2026, 12, 3, 6, 30)


@override_settings(WIRE_WINDOW="08:00-16:00")
def test_the_cut_off_is_a_setting():
    assert windows.next_opening(at(2026, 12, 2, 7, 0)) == at(2026, 12, 2, 8, 0)
    assert windows.next_opening(at(2026, 12, 2, 16, 30)) == at(2026, 12, 3, 8, 0)
