"""The compliance queue's sources, registered by the apps that own the rows.

Each app registers, from its AppConfig.ready(), a function listing what waits for a
compliance officer (KYC reviews, MED cases, screening hits...) as `QueueItem`s, so the
queue (apps.monitoring.selectors.compliance_queue) imports no other domain app and a new
app plugs in by registering. Evidence providers work the same way for an alert's page.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from .models import SLA_DAYS

__all__ = [
    "SLA_DAYS",
    "QueueItem",
    "admin_url",
    "evidence",
    "register_evidence",
    "register_source",
    "source_labels",
    "sources",
]


@dataclass(frozen=True)
class QueueItem:
    type: str
    pk: int
    title: str
    customer: str
    state: str
    risk: int | None
    created_at: datetime
    due_at: datetime | None
    url: str
    assigned_to: str = ""

    @property
    def type_label(self) -> str:
        label = _labels.get(self.type)
        return str(label) if label is not None else self.type

    @property
    def age_days(self) -> int:
        return (timezone.now() - self.created_at).days

    @property
    def days_left(self) -> int | None:
        if self.due_at is None:
            return None
        return math.ceil((self.due_at - timezone.now()).total_seconds() / 86400)

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and timezone.now() > self.due_at


def admin_url(obj: Any) -> str:
    """The admin change page of a queue item's row ("" when its model has none)."""
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


Source = Callable[[], list[QueueItem]]

_sources: dict[str, Source] = {}
_labels: dict[str, Any] = {}
_evidence: dict[str, Callable[[int], list]] = {}


def register_source(name: str, *, label: Any, items: Source) -> None:
    """Add (or replace, on a repeated ready()) the queue source `name`."""
    _sources[name] = items
    _labels[name] = label


def _ordered(names) -> list[str]:
    # Monitoring's own alerts first, then the others by name: a stable order whatever the
    # order the apps registered in.
    return sorted(names, key=lambda name: (name != "alert", name))


def sources() -> dict[str, Source]:
    return {name: _sources[name] for name in _ordered(_sources)}


def source_labels() -> dict[str, Any]:
    """Type name -> its (lazy, translated) label, for the queue's filter."""
    return {name: _labels[name] for name in _ordered(_labels)}


def register_evidence(name: str, provider: Callable[[int], list]) -> None:
    """What an officer sees next to an alert: `provider(customer_id)` -> rows."""
    _evidence[name] = provider


def evidence(name: str, customer_id: int) -> list:
    provider = _evidence.get(name)
    return list(provider(customer_id)) if provider is not None else []
