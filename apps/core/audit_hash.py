"""The audit chain's hash and the offline check of an export: standard library only.

This module needs neither Django nor a database, so an auditor can check an export with a
bare Python 3 (`python3 audit_hash.py export.jsonl`, or `manage.py verify_audit_export`).

Each event's hash is SHA-256 over its canonical text: one JSON array, rendered the way
PostgreSQL renders `jsonb_build_array(...)::text` (the trigger of core migration 0008 builds
it there):

    [1, seq, prev_hash, id, at, action, actor_id, actor_label, ip, user_agent, request_id,
     object_type, object_id, object_repr, detail]

`1` is the version of this layout; `at` is UTC with microseconds; `detail` is the jsonb text
exactly as PostgreSQL prints it (its key order and number format are PostgreSQL's, so it is
carried as text and never re-rendered). Strings are escaped alike by PostgreSQL and by
`json.dumps(ensure_ascii=False)`; elements are separated by ", " in both.

An export is JSON lines: an `anchor` (the hash of the event just before the period, or the
genesis hash), one `event` line per event in chain order, and an `end` line with the count
and the last hash.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CHAIN_VERSION = 1
GENESIS_HASH = "0" * 64

#: The event's fields in the canonical array, after the version, seq and prev_hash.
EVENT_FIELDS = (
    "id",
    "at",
    "action",
    "actor_id",
    "actor_label",
    "ip",
    "user_agent",
    "request_id",
    "object_type",
    "object_id",
    "object_repr",
)


def canonical_text(*, seq: int, prev_hash: str, event: Mapping, detail_text: str) -> str:
    """The text that is hashed; `event` holds EVENT_FIELDS, `detail_text` the jsonb text."""
    values = (CHAIN_VERSION, seq, prev_hash, *(event[name] for name in EVENT_FIELDS))
    parts = [json.dumps(value, ensure_ascii=False) for value in values]
    parts.append(detail_text)
    return "[" + ", ".join(parts) + "]"


def hash_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class ExportCheck:
    ok: bool
    events: int = 0
    anchor_hash: str = ""
    last_seq: int | None = None
    last_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def first_problem(self) -> str:
        return self.problems[0] if self.problems else ""


def _check_event(record: dict, *, expected_seq: int | None, prev_hash: str) -> list[str]:
    seq = record.get("seq")
    where = f"event id={record.get('id')} seq={seq}"
    problems = []
    if expected_seq is not None and seq != expected_seq:
        problems.append(f"{where}: expected seq {expected_seq} (an event is missing or added)")
    if record.get("prev_hash") != prev_hash:
        problems.append(f"{where}: prev_hash does not match the hash of the event before it")
    canonical = record.get("canonical", "")
    if hash_text(canonical) != record.get("hash"):
        problems.append(f"{where}: hash does not match its canonical text")
    try:
        values = json.loads(canonical)
    except ValueError:
        return [*problems, f"{where}: canonical text is not JSON"]
    if not isinstance(values, list) or len(values) != 4 + len(EVENT_FIELDS):
        return [*problems, f"{where}: canonical text has the wrong shape"]
    if values[0] != CHAIN_VERSION or values[1] != seq or values[2] != record.get("prev_hash"):
        problems.append(f"{where}: seq or prev_hash differ from those inside the canonical text")
    # The readable copy must say what was hashed: a reader trusts the fields, not the text.
    hashed = dict(zip(EVENT_FIELDS, values[3:-1], strict=True), detail=values[-1])
    if record.get("event") != hashed:
        problems.append(f"{where}: the event's fields differ from its canonical text")
    if record.get("id") != hashed["id"]:
        problems.append(f"{where}: id differs from the canonical text")
    return problems


def verify_export(lines: Iterable[str], *, trusted_anchor: str | None = None) -> ExportCheck:
    """Check an export line by line; stops at the first broken event.

    `trusted_anchor`: a hash the auditor already holds for the event before the period (the
    last hash of the previous export); without it the anchor in the file is taken as given.
    """
    result = ExportCheck(ok=False)
    prev_hash: str | None = None
    expected_seq: int | None = None
    ended = False
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            result.problems.append(f"line {number}: not JSON")
            return result
        kind = record.get("type")
        if ended:
            result.problems.append(f"line {number}: content after the end line")
            return result
        if kind == "anchor":
            if prev_hash is not None:
                result.problems.append(f"line {number}: a second anchor")
                return result
            prev_hash = result.anchor_hash = str(record.get("hash", ""))
            if trusted_anchor is not None and prev_hash != trusted_anchor:
                result.problems.append(f"line {number}: the anchor is not the trusted hash")
                return result
            seq = record.get("seq")
            expected_seq = seq + 1 if isinstance(seq, int) else None
        elif kind == "event":
            if prev_hash is None:
                result.problems.append(f"line {number}: an event before the anchor")
                return result
            problems = _check_event(record, expected_seq=expected_seq, prev_hash=prev_hash)
            if problems:
                result.problems.extend(problems)
                return result
            result.events += 1
            prev_hash = result.last_hash = record["hash"]
            result.last_seq = record["seq"]
            expected_seq = record["seq"] + 1
        elif kind == "end":
            if record.get("count") != result.events or record.get("last_hash") != (
                result.last_hash or result.anchor_hash
            ):
                result.problems.append(
                    f"line {number}: the end line does not match the events (truncated?)"
                )
                return result
            ended = True
        else:
            result.problems.append(f"line {number}: unknown line type {kind!r}")
            return result
    if prev_hash is None:
        result.problems.append("no anchor line")
    elif not ended:
        result.problems.append("no end line (the export is truncated)")
    result.ok = not result.problems
    return result


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or len(args) > 2:
        print("usage: audit_hash.py EXPORT.jsonl [TRUSTED_ANCHOR_HASH]", file=sys.stderr)
        return 2
    with open(args[0], encoding="utf-8") as handle:
        result = verify_export(handle, trusted_anchor=args[1] if len(args) > 1 else None)
    if result.ok:
        print(f"OK: {result.events} events, anchor {result.anchor_hash}, last {result.last_hash}")
        return 0
    print(f"BROKEN: {result.first_problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
