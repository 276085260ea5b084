"""What each app holds about a data subject, registered by the app that holds it.

Privacy answers the data subject's rights (LGPD art. 18 and 20) for rows it does not own:
each app registers, from its AppConfig.ready(), a *section* saying how to export its
data about a customer, why an erasure must wait, and how to erase or retain its rows; and
the app whose automated decisions a person may review registers how. So privacy imports
no other domain app, and a new app (boleto, cards, loans) plugs in by registering.

    register_section("pix", export=..., blockers=..., release=..., erase=..., order=40)

- export(customer, account_ids) -> JSON-friendly data, under the section's name.
- blockers(customer, account_ids) -> reasons (translated) the erasure must wait.
- release(customer, actor) -> summary: before the erasure's transaction, for work that
  commits on its own (Pix keys leaving the DICT). A failure leaves nothing anonymised.
- erase(ctx: ErasureContext) -> summary or None: inside the erasure's transaction;
  anonymise what no law makes us keep, `ctx.retain` the rest until the retention date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models


def iso(value: Any) -> Any:
    """Dates as ISO 8601 text, anything else unchanged (for the JSON export)."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def plain_fields(instance: models.Model, *, document_url: str | None = None) -> dict:
    """Every concrete field as JSON-friendly data; file contents never (a link instead)."""
    out: dict[str, Any] = {}
    for model_field in instance._meta.concrete_fields:
        value = getattr(instance, model_field.attname)
        if isinstance(model_field, (models.FileField, models.BinaryField)):
            continue
        if isinstance(value, (bytes, memoryview)):
            continue
        out[model_field.name] = iso(value)
    if document_url:
        out["download_url"] = document_url
    return out


def anonymise_history(model: type[models.Model], pk_values: Iterable, **values: Any) -> int:
    """simple-history rows are plain rows (no append-only trigger): blank the personal
    columns of every version. `update()` on purpose: history of history is not wanted."""
    return model.history.model.objects.filter(id__in=list(pk_values)).update(**values)


@dataclass
class ErasureContext:
    """What a section's `erase` gets: the subject, and how to keep rows blocked.

    `retain(model, ids, key=...)` records the rows as retained (blocked until
    `retention_until`) and returns how many; with `key`, the count is also listed under
    that name in the erasure's summary of retained records."""

    customer: Any
    account_ids: list[int]
    actor: Any
    retention_until: date
    anonymous_name: str
    keep: Callable[[type[models.Model], Iterable], int]
    retained: dict[str, int] = field(default_factory=dict)

    def retain(self, model: type[models.Model], ids: Iterable, *, key: str = "") -> int:
        count = self.keep(model, ids)
        if key:
            self.retained[key] = count
        return count


@dataclass(frozen=True)
class Section:
    name: str
    order: int
    export: Callable[[Any, list[int]], Any] | None = None
    blockers: Callable[[Any, list[int]], list[str]] | None = None
    release: Callable[[Any, Any], dict] | None = None
    erase: Callable[[ErasureContext], dict | None] | None = None


_sections: dict[str, Section] = {}


def register_section(
    name: str,
    *,
    export: Callable[[Any, list[int]], Any] | None = None,
    blockers: Callable[[Any, list[int]], list[str]] | None = None,
    release: Callable[[Any, Any], dict] | None = None,
    erase: Callable[[ErasureContext], dict | None] | None = None,
    order: int = 100,
) -> None:
    """Add (or replace, on a repeated ready()) the section `name`; `order` places it in
    the export (and the order sections are erased in)."""
    _sections[name] = Section(name, order, export, blockers, release, erase)


def sections() -> list[Section]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.name))


# --- Automated decisions (LGPD art. 20) -----------------------------------------------------


@dataclass(frozen=True)
class DecisionSource:
    """An app's automated decisions about a customer a person may be asked to review.

    latest_rejected(customer) -> the reference of the newest rejection, or "".
    is_rejected(customer, ref) -> whether `ref` names one of the customer's rejections.
    reopen(customer, ref, actor, reason) -> True when the decision was reopened.
    """

    name: str
    latest_rejected: Callable[[Any], str]
    is_rejected: Callable[[Any, str], bool]
    reopen: Callable[..., bool]


_decision_sources: dict[str, DecisionSource] = {}


def register_decision_source(
    name: str,
    *,
    latest_rejected: Callable[[Any], str],
    is_rejected: Callable[[Any, str], bool],
    reopen: Callable[..., bool],
) -> None:
    _decision_sources[name] = DecisionSource(name, latest_rejected, is_rejected, reopen)


def decision_sources() -> list[DecisionSource]:
    """The apps whose automated decisions a person may review, in registration order."""
    return list(_decision_sources.values())


def decision_source() -> DecisionSource | None:
    """The first registered source (KYC's), kept for callers that know only one."""
    return next(iter(_decision_sources.values()), None)


def decision_source_for(customer: Any, ref: str) -> DecisionSource | None:
    """The source one of whose rejections of `customer` `ref` names, if any."""
    return next((s for s in _decision_sources.values() if s.is_rejected(customer, ref)), None)
