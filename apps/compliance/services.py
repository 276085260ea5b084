"""Screening services: list imports, the in-memory match index, and recorded screenings.

Other apps call `screen_customer` (onboarding, KYC upgrades) and `screen_counterparty`
(payees of outbound Pix, TED and boleto); compliance's API calls `screen`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.audit import record_event
from apps.core.documents import mask_tax_id
from apps.core.errors import ValidationFailed
from apps.core.transactions import keep_despite_rollback

from .countries import country_key
from .importers import PARSERS, ImportOutcome, ListImportError, store_version
from .matching import IndexedEntry, NameIndex
from .models import (
    EntryName,
    ListEntry,
    ListVersion,
    ScreeningHit,
    ScreeningResult,
    Source,
    WatchlistEntry,
)

logger = logging.getLogger(__name__)

DATA_DIR = Path(settings.BASE_DIR) / "data" / "sanctions"
SHIPPED = {Source.OFAC: DATA_DIR / "ofac", Source.UN: DATA_DIR / "un" / "UN_consolidated.xml"}


def alert_threshold() -> int:
    return int(getattr(settings, "SCREENING_ALERT_THRESHOLD", 88))


@dataclass(frozen=True)
class ScreeningMatch:
    list: str
    entry_id: str
    name: str
    score: int
    matched_name: str = ""
    entry_pk: int | None = None
    watchlist_pk: int | None = None


# --- the per-process index ------------------------------------------------------------------


class _IndexCache:
    """One `NameIndex` per process for the current active versions and watchlist, rebuilt
    when they change. The check costs one query, made at most every TTL seconds (0 under
    tests, where every test may import its own lists)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: tuple | None = None
        self.index: NameIndex | None = None
        self.version_ids: tuple[int, ...] = ()
        self.checked_at = 0.0

    def ttl(self) -> float:
        default = 0 if getattr(settings, "TESTING", False) else 5
        return float(getattr(settings, "SCREENING_INDEX_TTL_SECONDS", default))

    def invalidate(self) -> None:
        with self.lock:
            self.stamp = None
            self.checked_at = 0.0

    def current_stamp(self) -> tuple:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT coalesce(array_agg(id ORDER BY id), '{}') FROM"
                " compliance_listversion WHERE is_active),"
                " (SELECT count(*) || ':' || coalesce(max(updated_at)::text, '')"
                " FROM compliance_watchlistentry)"
            )
            ids, watch = cursor.fetchone()
        return tuple(ids), watch

    def get(self) -> tuple[NameIndex, tuple[int, ...]]:
        now = time.monotonic()
        if self.index is not None and self.stamp is not None and now - self.checked_at < self.ttl():
            return self.index, self.version_ids
        stamp = self.current_stamp()
        with self.lock:
            if self.index is None or stamp != self.stamp:
                self.index = build_index(version_ids=stamp[0], watchlist=True)
                self.stamp = stamp
                self.version_ids = stamp[0]
            self.checked_at = time.monotonic()
            return self.index, self.version_ids


_cache = _IndexCache()


def invalidate_index() -> None:
    _cache.invalidate()


def build_index(
    *, version_ids: tuple[int, ...] = (), entry_filter: dict | None = None, watchlist: bool
) -> NameIndex:
    """An index of the entries of `version_ids` (optionally narrowed by `entry_filter`),
    plus the active internal watchlist."""
    index = NameIndex()
    entries = ListEntry.objects.filter(version_id__in=version_ids)
    if entry_filter:
        entries = entries.filter(**entry_filter)
    rows = entries.values_list(
        "pk", "version__source", "entry_id", "primary_name", "birth_years", "countries"
    ).order_by("pk")
    names: dict[int, list[str]] = {}
    name_rows = EntryName.objects.filter(entry__in=entries.values("pk")).values_list(
        "entry_id", "name"
    )
    for entry_pk, name in name_rows.iterator(chunk_size=5000):
        names.setdefault(entry_pk, []).append(name)
    for pk, source, entry_id, primary, years, countries in rows.iterator(chunk_size=5000):
        index.add(
            IndexedEntry(
                source=source,
                entry_id=entry_id,
                primary_name=primary,
                pk=pk,
                years=frozenset(years),
                countries=frozenset(countries),
            ),
            names.get(pk, [primary]),
        )
    if watchlist:
        for item in WatchlistEntry.objects.filter(is_active=True):
            country = country_key(item.country)
            index.add(
                IndexedEntry(
                    source=Source.INTERNAL,
                    entry_id=str(item.pk),
                    primary_name=item.name,
                    watchlist_pk=item.pk,
                    years=frozenset([item.birth_date.year]) if item.birth_date else frozenset(),
                    countries=frozenset([country]) if country else frozenset(),
                ),
                item.all_names(),
            )
    return index


def _search(
    index: NameIndex, name: str, *, birth_date: date | None, country: str | None
) -> list[ScreeningMatch]:
    candidates = index.search(
        name,
        threshold=alert_threshold(),
        birth_year=birth_date.year if birth_date else None,
        country=country_key(country),
    )
    return [
        ScreeningMatch(
            list=c.entry.source,
            entry_id=c.entry.entry_id,
            name=c.entry.primary_name,
            score=int(round(c.score)),
            matched_name=c.matched_name,
            entry_pk=c.entry.pk,
            watchlist_pk=c.entry.watchlist_pk,
        )
        for c in candidates
    ]


def screen(
    name: str, *, birth_date: date | None = None, country: str | None = None
) -> list[ScreeningMatch]:
    """Hits at or above the alert threshold, best first; an empty list means clear."""
    index, _versions = _cache.get()
    return _search(index, name, birth_date=birth_date, country=country)


# --- recorded screenings ----------------------------------------------------------------


def _record(
    *,
    subject_type: str,
    name: str,
    matches: list[ScreeningMatch],
    version_ids: tuple[int, ...],
    customer=None,
    tax_id: str = "",
    birth_date: date | None = None,
    country: str = "",
    context: str = "",
) -> ScreeningResult:
    result = ScreeningResult.objects.create(
        subject_type=subject_type,
        customer=customer,
        screened_name=name[:500],
        tax_id_masked=mask_tax_id(tax_id)[:20] if tax_id else "",
        birth_date=birth_date,
        country=(country or "")[:120],
        context=context[:60],
        threshold=alert_threshold(),
        hit_count=len(matches),
    )
    if version_ids:
        result.list_versions.set(version_ids)
    ScreeningHit.objects.bulk_create(_hit(result, m) for m in matches)
    return result


def _hit(result: ScreeningResult, match: ScreeningMatch) -> ScreeningHit:
    return ScreeningHit(
        result=result,
        source=match.list,
        list_entry_id=match.entry_pk,
        watchlist_entry_id=match.watchlist_pk,
        entry_id=match.entry_id,
        listed_name=match.name[:500],
        matched_name=match.matched_name[:500],
        score=match.score,
    )


@transaction.atomic
def screen_customer(customer, *, context: str = "onboarding") -> ScreeningResult:
    """Screen a customer (its name, and birth date/nationality when the profile has them)
    and keep the result; hits become alerts for the compliance queue."""
    birth_date = getattr(customer, "birth_date", None)
    country = getattr(customer, "nationality", None) or ""
    index, versions = _cache.get()
    matches = _search(index, customer.full_name, birth_date=birth_date, country=country)
    result = _record(
        subject_type=ScreeningResult.Subject.CUSTOMER,
        name=customer.full_name,
        matches=matches,
        version_ids=versions,
        customer=customer,
        tax_id=customer.tax_id,
        birth_date=birth_date,
        country=country,
        context=context,
    )
    if matches:
        record_event(
            "compliance.screening_hit",
            obj=result,
            actor_label="screening",
            detail={"hits": len(matches), "context": context},
        )
    return result


@dataclass(frozen=True)
class CounterpartyScreening:
    """A payee screened and not yet recorded: what `record_counterparty` keeps."""

    name: str
    tax_id: str
    context: str
    matches: list[ScreeningMatch]
    version_ids: tuple[int, ...]


def screen_counterparty_unrecorded(
    *, name: str, tax_id: str = "", context: str = ""
) -> CounterpartyScreening:
    """Screen a payee without writing: for a payment whose refusal rolls its own writes
    back, which records the screening itself where the record survives (see
    apps.core.transactions.keep_despite_rollback)."""
    index, versions = _cache.get()
    matches = _search(index, name, birth_date=None, country=None)
    return CounterpartyScreening(name, tax_id, context, matches, versions)


def record_counterparty(screening: CounterpartyScreening) -> ScreeningResult:
    with transaction.atomic():
        return _record(
            subject_type=ScreeningResult.Subject.COUNTERPARTY,
            name=screening.name,
            matches=screening.matches,
            version_ids=screening.version_ids,
            tax_id=screening.tax_id,
            context=screening.context,
        )


def screen_counterparty(*, name: str, tax_id: str = "", context: str = "") -> ScreeningResult:
    """Screen the payee of a payment (context: "pix", "ted", "boleto"...) and keep the
    result. The caller decides what a hit means for the payment."""
    return record_counterparty(
        screen_counterparty_unrecorded(name=name, tax_id=tax_id, context=context)
    )


#: Lists whose hit refuses a payment. A PEP is not barred from receiving money (BCB
#: Circular 3.978 asks for enhanced diligence, not refusal): PEP hits are only recorded.
BLOCKING_LISTS = frozenset({"ofac", "un", "internal"})


def payee_blocking_lists(*, name: str, tax_id: str = "", context: str, record: bool) -> set[str]:
    """Screen a payment's payee (Pix, boleto beneficiary, TED) before money moves; return
    the blocking lists it is on (empty: it may be paid).

    `record=True` (a preview) records every screening; otherwise only those with hits are
    recorded (the compliance queue must see a stopped payment, and a PEP payee), kept apart
    from the payment's own transaction, which a refusal rolls back (keep_despite_rollback)."""
    name = (name or "").strip()
    if not name:
        return set()
    found = screen_counterparty_unrecorded(name=name, tax_id=tax_id or "", context=context)
    if record:
        record_counterparty(found)
    elif found.matches:
        keep_despite_rollback(lambda: record_counterparty(found))
    return {match.list for match in found.matches} & BLOCKING_LISTS


# --- imports ----------------------------------------------------------------------------


def import_list(*, source: str, path: str | Path) -> ImportOutcome:
    """Parse and store a list file as the new active version of `source` (no-op when the
    file is the active one), then, after commit, rescreen customers against what changed."""
    parser = PARSERS.get(source)
    if parser is None:
        raise ListImportError(
            _("Unknown source %(source)r: one of %(sources)s."),
            params={"source": source, "sources": ", ".join(PARSERS)},
            field="source",
        )
    parsed = parser(Path(path))
    with transaction.atomic():
        outcome = store_version(parsed)
        if outcome.created:
            version_pk = outcome.version.pk
            transaction.on_commit(invalidate_index)
            transaction.on_commit(lambda: _enqueue_rescreen(version_pk))
            record_event(
                "compliance.list_imported",
                obj=outcome.version,
                actor_label="import_lists",
                detail={"entries": outcome.version.entry_count, "changed": outcome.changed_count},
            )
    return outcome


def _enqueue_rescreen(version_pk: int) -> None:
    from .tasks import rescreen_customers_task

    rescreen_customers_task.delay(version_pk)


def rescreen_customers(*, version_id: int) -> int:
    """Screen every customer against the entries the version added or renamed; record one
    result per customer with hits. Returns the number of customers hit. Idempotent."""
    from apps.accounts.models import Customer

    with transaction.atomic():
        version = ListVersion.objects.select_for_update().get(pk=version_id)
        if version.rescreened_at is not None or not version.is_active:
            return 0
        index = build_index(
            version_ids=(version.pk,), entry_filter={"is_changed": True}, watchlist=False
        )
        hit_customers = 0
        if len(index):
            customers = Customer.objects.only("pk", "state", "full_name", "tax_id").order_by("pk")
            for customer in customers.iterator(chunk_size=2000):
                matches = _search(index, customer.full_name, birth_date=None, country=None)
                if not matches:
                    continue
                hit_customers += 1
                _record(
                    subject_type=ScreeningResult.Subject.CUSTOMER,
                    name=customer.full_name,
                    matches=matches,
                    version_ids=(version.pk,),
                    customer=customer,
                    tax_id=customer.tax_id,
                    context=f"rescreen:{version.source}",
                )
        version.rescreened_at = timezone.now()
        version.save(update_fields=["rescreened_at"])
    return hit_customers


def load_shipped_lists(*, stdout=None) -> list[ImportOutcome]:
    """Import the OFAC and UN copies shipped in data/sanctions/ for each source that has no
    active version yet (make run, a new installation screens from its first minute)."""
    outcomes = []
    for source, path in SHIPPED.items():
        if ListVersion.objects.filter(source=source, is_active=True).exists():
            continue
        if not Path(path).exists():
            logger.warning("shipped list %s missing at %s", source, path)
            continue
        outcome = import_list(source=source, path=path)
        outcomes.append(outcome)
        if stdout is not None:
            stdout.write(f"{source}: {outcome.version.entry_count} entries imported")
    return outcomes


def hit_set_status(*, hit: ScreeningHit, status: str, actor) -> ScreeningHit:
    """Clear (false positive) or confirm a hit; audited."""
    if status not in ScreeningHit.Status.values:
        raise ValidationFailed(
            _("Unknown status %(status)r."), params={"status": status}, field="status", value=status
        )
    with transaction.atomic():
        hit = ScreeningHit.objects.select_for_update().get(pk=hit.pk)
        hit.status = status
        hit._change_reason = f"hit {status}"
        hit.save(update_fields=["status"])
        # "compliance.hit_confirmed": the audit action column holds 32 characters.
        record_event("compliance.hit_" + status, actor=actor, obj=hit)
        customer_id = hit.result.customer_id
    if status == ScreeningHit.Status.CLEARED and customer_id is not None:
        # The last open hit of a pending customer cleared: onboarding may complete now.
        transaction.on_commit(lambda: _onboarding_continue(customer_id))
    return hit


# --- onboarding gate ----------------------------------------------------------------------


def onboarding_screening_gate(customer) -> str | None:
    """Registered with accounts' onboarding gates (apps.py): clear once the customer was
    screened and no hit of theirs is open; "screening_review" keeps them pending in the
    compliance queue (the open hits are its screening alerts)."""
    results = ScreeningResult.objects.filter(customer_id=customer.pk)
    if not results.exists():
        return "screening_pending"
    if ScreeningHit.objects.filter(
        result__customer_id=customer.pk, status=ScreeningHit.Status.OPEN
    ).exists():
        return "screening_review"
    return None


def _onboarding_continue(customer_id: int) -> None:
    from apps.accounts.services import customer_onboarding_complete

    customer_onboarding_complete(customer_id=customer_id)


__all__ = [
    "ScreeningMatch",
    "screen",
    "screen_customer",
    "screen_counterparty",
    "import_list",
    "rescreen_customers",
    "load_shipped_lists",
    "hit_set_status",
    "invalidate_index",
]
