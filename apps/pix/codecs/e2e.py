"""Pix transaction identifiers: endToEndId, returnId and msgId, as BACEN's SPI defines them.

Pure Python, free of Django (the ISO 20022 codec and the SPI simulator use it).

    endToEndId  E + ISPB (8) + yyyyMMddHHmm (UTC) + 11 of [a-zA-Z0-9]   32 characters
    returnId    D + ISPB (8) + yyyyMMddHHmm (UTC) + 11 of [a-zA-Z0-9]   32 characters
    msgId       M + ISPB (8) + 23 of [a-zA-Z0-9]                        32 characters

The ISPB follows the SPI catalogue's pattern `[0-9A-Z]{8}`: every real institution's ISPB is
eight digits (the root of its CNPJ), but BACEN's own virtual participants used in
homologation have letters (99999A03, 99999A04), and the catalogue's XSDs accept them.

The timestamp segment is the minute the id was created, in UTC (not Brasília time), so a Pix
sent at 23:30 in São Paulo carries the next day's date. The random part comes from `secrets`
(62**11, about 5.2e19 values per ISPB and minute), so ids cannot be guessed or enumerated.
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import UTC, datetime
from typing import NamedTuple

ALPHABET = string.ascii_letters + string.digits  # BACEN: [a-zA-Z0-9]
ISPB_PATTERN = r"[0-9A-Z]{8}"
ID_LENGTH = 32
RANDOM_LENGTH = 11
MSG_ID_RANDOM_LENGTH = 23

_ISPB_RE = re.compile(rf"\A{ISPB_PATTERN}\Z")
_TX_ID_RE = re.compile(
    rf"\A(?P<kind>[ED])(?P<ispb>{ISPB_PATTERN})(?P<ts>[0-9]{{12}})[a-zA-Z0-9]{{{RANDOM_LENGTH}}}\Z"
)
_MSG_ID_RE = re.compile(rf"\AM(?P<ispb>{ISPB_PATTERN})[a-zA-Z0-9]{{{MSG_ID_RANDOM_LENGTH}}}\Z")


class InvalidIdError(ValueError):
    """A malformed endToEndId, returnId, msgId or ISPB; the message says what is wrong."""


class ParsedId(NamedTuple):
    kind: str  # "E" (endToEndId of a pacs.008) or "D" (returnId of a pacs.004)
    ispb: str  # the PSP that created the id
    created_at: datetime  # aware, UTC, to the minute


def is_valid_ispb(ispb: object) -> bool:
    return isinstance(ispb, str) and _ISPB_RE.match(ispb) is not None


def _check_ispb(ispb: object) -> str:
    if not is_valid_ispb(ispb):
        raise InvalidIdError(f"ISPB must be 8 characters of [0-9A-Z], got {ispb!r}")
    return ispb  # type: ignore[return-value]


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if not isinstance(now, datetime):
        raise TypeError("now must be a datetime")
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidIdError("now must be timezone-aware (a naive time is ambiguous)")
    return now.astimezone(UTC)


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _new_tx_id(kind: str, ispb: str, now: datetime | None) -> str:
    _check_ispb(ispb)
    stamp = _utc(now).strftime("%Y%m%d%H%M")
    return f"{kind}{ispb}{stamp}{_random(RANDOM_LENGTH)}"


def new_end_to_end_id(ispb: str, now: datetime | None = None) -> str:
    """A fresh endToEndId for a pacs.008 created by the PSP `ispb` at `now` (default: now)."""
    return _new_tx_id("E", ispb, now)


def new_return_id(ispb: str, now: datetime | None = None) -> str:
    """A fresh returnId (RtrId) for a pacs.004 created by the PSP `ispb`."""
    return _new_tx_id("D", ispb, now)


def new_msg_id(ispb: str) -> str:
    """A fresh message id (GrpHdr/MsgId and AppHdr/BizMsgIdr) for a message sent by `ispb`."""
    _check_ispb(ispb)
    return f"M{ispb}{_random(MSG_ID_RANDOM_LENGTH)}"


def parse_end_to_end_id(value: object, *, kind: str | None = None) -> ParsedId:
    """Split an endToEndId ("E...") or returnId ("D...") into (kind, ispb, created_at).

    kind: "E" or "D" to accept only that kind; None accepts both (as pacs.002's
    OrgnlInstrId does). Raises InvalidIdError for anything else, including timestamps that
    are not a real UTC minute (month 13, February 30, hour 24).
    """
    if kind not in (None, "E", "D"):
        raise ValueError('kind must be "E", "D" or None')
    if not isinstance(value, str):
        raise InvalidIdError("id must be a string")
    if len(value) != ID_LENGTH:
        raise InvalidIdError(f"id must be {ID_LENGTH} characters, got {len(value)}")
    match = _TX_ID_RE.match(value)
    if match is None:
        raise InvalidIdError(
            "id must be E or D + 8-character ISPB + yyyyMMddHHmm + 11 of [a-zA-Z0-9]"
        )
    if kind is not None and match["kind"] != kind:
        expected = "an endToEndId (E...)" if kind == "E" else "a returnId (D...)"
        raise InvalidIdError(f"expected {expected}, got one starting with {match['kind']}")
    try:
        created = datetime.strptime(match["ts"], "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidIdError(f"timestamp {match['ts']} is not a valid yyyyMMddHHmm") from exc
    return ParsedId(match["kind"], match["ispb"], created)


def parse_return_id(value: object) -> ParsedId:
    """Like parse_end_to_end_id, accepting only a returnId ("D...")."""
    return parse_end_to_end_id(value, kind="D")


def is_valid_end_to_end_id(value: object, *, kind: str | None = "E") -> bool:
    try:
        parse_end_to_end_id(value, kind=kind)
    except InvalidIdError:
        return False
    return True


def parse_msg_id(value: object) -> str:
    """Check a msgId ("M" + ISPB + 23 of [a-zA-Z0-9]); returns the sender's ISPB."""
    if not isinstance(value, str):
        raise InvalidIdError("msgId must be a string")
    match = _MSG_ID_RE.match(value)
    if match is None:
        raise InvalidIdError("msgId must be M + 8-character ISPB + 23 of [a-zA-Z0-9] (32 chars)")
    return match["ispb"]
