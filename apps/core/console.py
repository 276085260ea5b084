"""The operations dashboard: what each app reports about today, through a registry.

The shared kernel imports no domain app, so the dashboard (the admin's index page, see
`templates/admin/index.html`) knows no product: each app registers its figures in its
`AppConfig.ready()` with `register_panel`, computed by its own selectors, and the header
links of the console (the compliance queue) with `register_nav_link`. A panel is shown only
to staff holding its permission (the view permission of the list it links to), so each role
sees what it may open.

Figures are plain data: a label, a count, an amount in centavos, the oldest item's time, a
link to the filtered list and a status. "Today" is the Brasilia calendar day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Min, QuerySet, Sum
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from apps.core.money import format_brl
from apps.core.timezones import BRASILIA, brasilia_now

logger = logging.getLogger(__name__)

VOLUMES = "volumes"
APPROVALS = "approvals"
QUEUES = "queues"
RECONCILIATION = "reconciliation"

#: The dashboard's sections, in the order they are shown.
SECTIONS: tuple[tuple[str, Any], ...] = (
    (VOLUMES, _("Today's volumes")),
    (APPROVALS, _("Waiting for approval")),
    (QUEUES, _("Queues")),
    (RECONCILIATION, _("Reconciliation")),
)

OK = "ok"
WARNING = "warning"
PROBLEM = "problem"


@dataclass(frozen=True)
class Day:
    """A Brasilia calendar day as the half-open interval [start, end) of aware datetimes."""

    date: date
    start: datetime
    end: datetime
    now: datetime

    def as_filter(self, field_name: str) -> str:
        """The admin changelist query of this day on a datetime column (`?f__gte=..&f__lt=..`),
        the form Django's own date filter writes, in Brasilia time."""
        from urllib.parse import urlencode

        return urlencode(
            {
                f"{field_name}__gte": self.start.isoformat(sep=" "),
                f"{field_name}__lt": self.end.isoformat(sep=" "),
            }
        )


def brasilia_day(now: datetime | None = None) -> Day:
    """Today in Brasilia: midnight to midnight there, whatever the server's zone."""
    local = brasilia_now(now)
    start = datetime.combine(local.date(), time.min, tzinfo=BRASILIA)
    end = datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=BRASILIA)
    return Day(date=local.date(), start=start, end=end, now=now or timezone.now())


@dataclass(frozen=True)
class Tally:
    """What a selector reports for a dashboard line: how many, how much, since when."""

    count: int
    amount_cents: int | None = None
    oldest_at: datetime | None = None


def tally(queryset: QuerySet, *, amount: str | None = None, oldest: str | None = None) -> Tally:
    """One aggregate query over an app's own queryset (its selectors call this)."""
    aggregates: dict[str, Any] = {"count": Count("pk")}
    if amount:
        aggregates["amount"] = Sum(amount)
    if oldest:
        aggregates["oldest"] = Min(oldest)
    row = queryset.order_by().aggregate(**aggregates)
    return Tally(
        count=row["count"],
        amount_cents=int(row["amount"] or 0) if amount else None,
        oldest_at=row.get("oldest"),
    )


@dataclass(frozen=True)
class Figure:
    """One line of a panel. `count` and `amount_cents` are what the linked list holds."""

    label: Any
    count: int | None = None
    amount_cents: int | None = None
    oldest_at: datetime | None = None
    url: str = ""
    status: str = ""  # OK, WARNING, PROBLEM or "" (nothing to say)
    detail: Any = ""
    #: Filled by `dashboard_for`: the panel's key, for element ids and tests.
    key: str = ""

    @classmethod
    def of(cls, label: Any, counted: Tally, *, url: str = "", **more: Any) -> Figure:
        return cls(
            label=label,
            count=counted.count,
            amount_cents=counted.amount_cents,
            oldest_at=counted.oldest_at,
            url=url,
            **more,
        )

    @property
    def amount_display(self) -> str:
        return "" if self.amount_cents is None else format_brl(self.amount_cents)

    @property
    def oldest_display(self) -> str:
        """When the oldest item arrived, in Brasilia time."""
        if self.oldest_at is None:
            return ""
        return self.oldest_at.astimezone(BRASILIA).strftime("%d/%m/%Y %H:%M")

    def age_display(self, now: datetime) -> str:
        if self.oldest_at is None:
            return ""
        return timesince(self.oldest_at, now, depth=2)


@dataclass(frozen=True)
class Panel:
    key: str
    section: str
    #: "app.codename" the user needs (any of them, when several): the view permission of
    #: the list the figures link to.
    permissions: tuple[str, ...]
    figures: Callable[[Day], Iterable[Figure]]
    order: int = 100
    title: Any = ""


@dataclass(frozen=True)
class NavLink:
    key: str
    label: Any
    url_name: str
    permissions: tuple[str, ...]
    order: int = 100


_PANELS: dict[str, Panel] = {}
_NAV_LINKS: dict[str, NavLink] = {}


def _as_tuple(permission: str | Iterable[str]) -> tuple[str, ...]:
    return (permission,) if isinstance(permission, str) else tuple(permission)


def register_panel(
    key: str,
    *,
    section: str,
    permission: str | Iterable[str],
    figures: Callable[[Day], Iterable[Figure]],
    order: int = 100,
    title: Any = "",
) -> None:
    """Register (or replace, on a second `ready()`) the figures an app shows."""
    if section not in dict(SECTIONS):
        raise ValueError(f"unknown dashboard section {section!r}")
    _PANELS[key] = Panel(
        key=key,
        section=section,
        permissions=_as_tuple(permission),
        figures=figures,
        order=order,
        title=title,
    )


def register_nav_link(
    key: str, *, label: Any, url_name: str, permission: str | Iterable[str], order: int = 100
) -> None:
    """A link in the console's header (e.g. the compliance queue) for those who may open it."""
    _NAV_LINKS[key] = NavLink(
        key=key, label=label, url_name=url_name, permissions=_as_tuple(permission), order=order
    )


def _allowed(user, permissions: tuple[str, ...]) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_staff", False)) and any(
        user.has_perm(p) for p in permissions
    )


def nav_links_for(user) -> list[NavLink]:
    return sorted(
        (link for link in _NAV_LINKS.values() if _allowed(user, link.permissions)),
        key=lambda link: (link.order, link.key),
    )


@dataclass
class Section:
    key: str
    title: Any
    figures: list[Figure] = field(default_factory=list)


def dashboard_for(user, *, now: datetime | None = None) -> list[Section]:
    """The sections this user may see, each with its figures; empty sections are left out.

    A panel that fails is shown as unavailable instead of taking the page down with it."""
    day = brasilia_day(now)
    sections = {key: Section(key=key, title=title) for key, title in SECTIONS}
    for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key)):
        if not _allowed(user, panel.permissions):
            continue
        try:
            figures = list(panel.figures(day))
        except Exception:  # one broken panel must not hide the others
            logger.exception("dashboard panel %s failed", panel.key)
            figures = [
                Figure(label=panel.title or panel.key, status=PROBLEM, detail=_("unavailable"))
            ]
        sections[panel.section].figures.extend(
            Figure(**{**f.__dict__, "key": f.key or panel.key}) for f in figures
        )
    return [s for s in sections.values() if s.figures]
