"""The one Brasilia time zone: banking days, limits, statements and schedules count in it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BRASILIA = ZoneInfo("America/Sao_Paulo")


def brasilia_now(now: datetime | None = None) -> datetime:
    from django.utils import timezone  # lazy: this module is imported by settings-free code

    return (now or timezone.now()).astimezone(BRASILIA)


def brasilia_today(now: datetime | None = None) -> date:
    return brasilia_now(now).date()
