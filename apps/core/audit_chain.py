"""The audit log as a hash chain: verify it, export a period, alert on a break.

How the chain is written (core migration 0008): a deferred constraint trigger on
`core_auditevent` runs when the inserting transaction commits. It takes a
transaction-scoped advisory lock, reads the head (highest `seq`) and writes the row's
`seq = head + 1`, `prev_hash = head.hash` and `hash = SHA-256(canonical text)`. Why so:
- every insert is chained, whoever writes it (`record_event`, a bulk insert, raw SQL);
  nothing in Python can forget to;
- the lock makes the chain linear under concurrency: the next committer waits until this
  one has committed, so it reads the right head. Taken at commit, it is held for the end of
  the commit only, not while the transaction does its work: audit events are written on hot
  paths (a Pix received, inside a batch of the outbox drain), and a lock taken at the insert
  would queue every such transaction behind the others until they commit, and could
  deadlock with row locks taken after the event. The cost per event is one index probe,
  one SHA-256 of a few hundred bytes and one UPDATE of the row just inserted;
- a rolled-back event never reaches the chain, so a rollback leaves no hole;
- the hash is computed from what PostgreSQL stored (its jsonb text, its timestamp), so a
  JSON value that would print differently after a round trip cannot fake a break;
- the append-only trigger lets that one write through (a row not chained yet, only the
  three chain columns, from inside a trigger) and refuses every other UPDATE and DELETE.

`seq` (not `id`) is the chain order: an id is drawn before the lock is taken, so two
concurrent inserts can get ids in the opposite order of their chain positions.

What the chain proves: any change, insertion or deletion inside the chain breaks it at that
row. It cannot by itself reveal a rewrite of everything after a point by someone who also
recomputes the hashes; the head hash logged at each verification (and the anchor of each
export, kept outside the database) is what such a rewrite would have to match.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO

from django.db import connection, transaction
from django.utils.translation import gettext

from apps.core.audit_hash import EVENT_FIELDS, GENESIS_HASH, canonical_text, hash_text
from apps.core.models import AuditEvent, SystemAlert

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000

# The columns rendered exactly as the trigger's canonical function renders them.
_COLUMNS = """
    seq, prev_hash, hash, id,
    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    action, actor_id, actor_label, host(ip), user_agent, request_id,
    object_type, object_id, object_repr, detail::text
"""


@dataclass(frozen=True)
class ChainRow:
    seq: int | None
    prev_hash: str
    hash: str
    event: dict
    detail_text: str

    @property
    def id(self) -> int:
        return self.event["id"]

    def canonical(self) -> str:
        return canonical_text(
            seq=self.seq, prev_hash=self.prev_hash, event=self.event, detail_text=self.detail_text
        )

    def export_record(self) -> dict:
        canonical = self.canonical()
        return {
            "type": "event",
            "seq": self.seq,
            "id": self.id,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "event": {**self.event, "detail": json.loads(self.detail_text)},
            "canonical": canonical,
        }


@dataclass
class ChainBreak:
    id: int
    seq: int | None
    problems: list[str]

    def __str__(self) -> str:
        return f"audit event id={self.id} seq={self.seq}: " + "; ".join(self.problems)


@dataclass
class ChainCheck:
    checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    broken: ChainBreak | None = None
    anchors_checked: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken is None


def _rows(where: str = "", params: tuple = ()) -> Iterator[ChainRow]:
    """The chain in `seq` order, streamed through a server-side cursor (one snapshot)."""
    # bandit B608: _COLUMNS is a constant and `where` one of this module's fixed clauses;
    # values go as bound parameters.
    sql = f"SELECT {_COLUMNS} FROM core_auditevent {where} ORDER BY seq NULLS LAST, id"  # nosec B608
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(CHUNK_SIZE):
            for row in batch:
                seq, prev_hash, row_hash, *values, detail_text = row
                yield ChainRow(
                    seq=seq,
                    prev_hash=prev_hash,
                    hash=row_hash,
                    event=dict(zip(EVENT_FIELDS, values, strict=True)),
                    detail_text=detail_text,
                )


def row_problems(row: ChainRow, *, expected_seq: int, prev_hash: str) -> list[str]:
    if row.seq is None:
        return ["not chained (no seq): inserted behind the chain's trigger"]
    problems = []
    if row.seq != expected_seq:
        problems.append(
            f"seq {row.seq} where {expected_seq} was expected "
            f"(events {expected_seq}..{row.seq - 1} are missing)"
            if row.seq > expected_seq
            else f"seq {row.seq} where {expected_seq} was expected"
        )
    if row.prev_hash != prev_hash:
        problems.append(
            f"prev_hash {row.prev_hash[:16]}... is not the hash of the event before it "
            f"({prev_hash[:16]}...)"
        )
    recomputed = hash_text(row.canonical())
    if recomputed != row.hash:
        problems.append(
            f"hash {row.hash[:16]}... does not match the row's contents "
            f"(recomputed {recomputed[:16]}...)"
        )
    return problems


def verify_chain(*, anchors: dict[int, str] | None = None) -> ChainCheck:
    """Walk the whole chain; stop at the first broken row.

    `anchors` ({seq: hash}, e.g. heads logged by earlier runs) must still be in the chain:
    that catches a rewrite of the chain's tail with recomputed hashes.
    """
    anchors = dict(anchors or {})
    result = ChainCheck()
    expected_seq, prev_hash = 1, GENESIS_HASH
    for row in _rows():
        problems = row_problems(row, expected_seq=expected_seq, prev_hash=prev_hash)
        if row.seq in anchors:
            if anchors.pop(row.seq) != row.hash:
                problems.append("hash differs from the trusted anchor for this seq")
            else:
                result.anchors_checked.append(row.seq)
        if problems:
            result.broken = ChainBreak(id=row.id, seq=row.seq, problems=problems)
            return result
        result.checked += 1
        expected_seq, prev_hash = row.seq + 1, row.hash
        result.head_seq, result.head_hash = row.seq, row.hash
    if anchors:
        seq = min(anchors)
        result.broken = ChainBreak(
            id=0, seq=seq, problems=[f"the trusted anchor seq {seq} is no longer in the chain"]
        )
    return result


def export_period(out: IO[str], *, start: datetime, end: datetime) -> int:
    """Write the events of [start, end) as JSON lines that verify offline
    (apps.core.audit_hash.verify_export); returns how many events were written.

    The period is the contiguous run of the chain from the first to the last event whose
    `at` falls in it: chain order is commit order, so an event of a transaction that
    straddled a boundary may sit inside the run with an `at` just outside it.
    """
    with transaction.atomic():
        bounds = AuditEvent.objects.filter(at__gte=start, at__lt=end).order_by()
        first = bounds.order_by("seq").values_list("seq", flat=True).first()
        last = bounds.order_by("-seq").values_list("seq", flat=True).first()
        if first is None:
            anchor = (
                AuditEvent.objects.filter(at__lt=start).order_by("-seq").values("seq", "hash")
            ).first() or {"seq": 0, "hash": GENESIS_HASH}
            _write(out, {"type": "anchor", "seq": anchor["seq"], "hash": anchor["hash"]})
            _write(out, {"type": "end", "count": 0, "last_hash": anchor["hash"]})
            return 0
        before = AuditEvent.objects.filter(seq=first - 1).values_list("hash", flat=True).first()
        anchor_hash = before if before is not None else GENESIS_HASH
        _write(out, {"type": "anchor", "seq": first - 1, "hash": anchor_hash})
        count, last_hash = 0, anchor_hash
        for row in _rows("WHERE seq BETWEEN %s AND %s", (first, last)):
            _write(out, row.export_record())
            count, last_hash = count + 1, row.hash
        _write(out, {"type": "end", "count": count, "last_hash": last_hash})
    return count


def _write(out: IO[str], record: dict) -> None:
    out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")


def verify_and_alert() -> ChainCheck:
    """The scheduled check: verify, log the head (an anchor kept outside the database) and,
    on a break, open a SystemAlert for staff (one open alert per broken row)."""
    result = verify_chain()
    if result.ok:
        logger.info(
            "audit chain ok",
            extra={"events": result.checked, "head_seq": result.head_seq, "head": result.head_hash},
        )
        return result
    broken = result.broken
    logger.error("audit chain broken: %s", broken, extra={"audit_event": broken.id})
    already = SystemAlert.objects.filter(
        kind=SystemAlert.Kind.AUDIT_CHAIN,
        state__in=[SystemAlert.State.OPEN, SystemAlert.State.ACKNOWLEDGED],
        detail__event_id=broken.id,
    ).exists()
    if not already:
        SystemAlert.objects.create(
            kind=SystemAlert.Kind.AUDIT_CHAIN,
            message=gettext(
                "The audit trail's hash chain is broken at event %(id)s (position %(seq)s): "
                "%(problem)s"
            )
            % {"id": broken.id, "seq": broken.seq, "problem": "; ".join(broken.problems)},
            detail={
                "event_id": broken.id,
                "seq": broken.seq,
                "problems": broken.problems,
                "verified_before_break": result.checked,
                "last_good_seq": result.head_seq,
                "last_good_hash": result.head_hash,
            },
        )
    return result
