"""ISO 8583:1987 on the wire, free of Django: pyiso8583's `default_ascii` spec (every field
ASCII, LLVAR/LLLVAR lengths in ASCII digits, the bitmap as 16 hex characters) framed by a
2-byte big-endian length header that counts the message's bytes (not itself).

What travels where (our profile; Brazilian acquirers vary, so this is written down here and
in docs):

* DE 2 the PAN, or DE 35 track 2 (`PAN=YYMM...`, separator `=` or `D`): the PAN and the
  expiry are taken from track 2 when DE 2 / DE 14 are absent.
* DE 48 (LLLVAR) private subelements, each `TT` tag (2 digits) + `LL` length (2 digits) +
  value, after Mastercard's DE 48 layout: subelement 92 the CVV2 (Mastercard's CVC 2
  subelement), subelement 99 a device fingerprint the acquirer saw (e-commerce; ours).
* DE 52 the PIN block: 16 hex characters of an ISO 9564-1 format 0 block. In production
  the block arrives encrypted under the zone PIN key and only an HSM turns it into the
  clear block (it never leaves the HSM in clear); here, for the network simulator and the
  test acquirers, the format 0 block travels in clear and `pin_from_block` reads the PIN
  from it with the PAN. `pin_block` builds one.
* DE 90 original data elements (42 digits): original MTI (4) + original STAN (6) +
  original transmission date and time (10) + acquirer (11) + forwarder (11).

`loggable()` is the only form of a message that may reach a log line or a stored row:
the PAN as BIN + last four, track 2, the PIN block and the CVV2 gone. pyiso8583's own
`pp()` prints whole card numbers: never call it on a live message.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

import iso8583
from iso8583.specs import default_ascii

SPEC = default_ascii
HEADER = struct.Struct(">H")
MAX_FRAME = 0xFFFF

CVV2_TAG = "92"
DEVICE_TAG = "99"

_DIGITS = re.compile(r"^\d+$")
_PAN = re.compile(r"^\d{12,19}$")
_TRACK2 = re.compile(r"^(\d{12,19})[=D](\d{4})")

# Fields never kept or logged, even masked.
SECRET_FIELDS = ("35", "45", "52", "55")


class FormatError(ValueError):
    """The message cannot be read as ours: answered with DE 39 = 30 when its MTI is known."""

    def __init__(self, reason: str, *, field: str = "", partial: dict | None = None):
        super().__init__(reason if not field else f"{reason} (DE {field})")
        self.reason = reason
        self.field = field
        self.partial = partial or {}


def frame(body: bytes | bytearray) -> bytes:
    if len(body) > MAX_FRAME:
        raise ValueError("message longer than a 2-byte length header allows")
    return HEADER.pack(len(body)) + bytes(body)


def decode(body: bytes | bytearray) -> dict:
    """The decoded message (field number -> str, "t" the MTI); FormatError otherwise, with
    what could be read before the error (`partial`) so the answer can still echo it."""
    try:
        doc, _ = iso8583.decode(bytes(body), SPEC)
    except iso8583.DecodeError as exc:
        raise FormatError(exc.msg, field=exc.field, partial=dict(exc.doc_dec)) from None
    except (ValueError, UnicodeDecodeError) as exc:  # defensive: never a crash
        raise FormatError(type(exc).__name__) from None
    doc.pop("p", None)
    doc.pop("1", None)
    return doc


def encode(doc: dict) -> bytes:
    fields = {key: value for key, value in doc.items() if value not in (None, "")}
    raw, _ = iso8583.encode(fields, SPEC)
    return bytes(raw)


def mask_pan(pan: str) -> str:
    """BIN (6) + last four, never more (PCI DSS)."""
    if len(pan) < 10:
        return "*" * len(pan)
    return f"{pan[:6]}{'*' * (len(pan) - 10)}{pan[-4:]}"


def loggable(doc: dict) -> dict:
    """The message as it may be logged or stored: PAN masked; track 2, PIN block, CVV2 and
    chip data left out (their presence kept as "***")."""
    out = {}
    for key, value in doc.items():
        if key in ("p", "1", "h"):
            continue
        if key == "2":
            out[key] = mask_pan(str(value))
        elif key in SECRET_FIELDS:
            out[key] = "***"
        elif key == "48":
            elements = subelements(str(value))
            if elements is None:
                out[key] = "***"  # unreadable: may hold anything
            else:
                out[key] = {tag: ("***" if tag == CVV2_TAG else val) for tag, val in elements}
        else:
            out[key] = value
    return out


def subelements(value: str) -> list[tuple[str, str]] | None:
    """DE 48 as [(tag, value)], None when it does not follow `TT LL value`."""
    out = []
    pos = 0
    while pos < len(value):
        head = value[pos : pos + 4]
        if len(head) < 4 or not head.isdigit():
            return None
        size = int(head[2:])
        data = value[pos + 4 : pos + 4 + size]
        if len(data) < size:
            return None
        out.append((head[:2], data))
        pos += 4 + size
    return out


def build_subelements(items: dict[str, str]) -> str:
    return "".join(f"{tag}{len(val):02d}{val}" for tag, val in items.items() if val)


@dataclass(frozen=True)
class Track2:
    pan: str
    expiry: str


def track2(value: str) -> Track2 | None:
    match = _TRACK2.match(value)
    return Track2(match.group(1), match.group(2)) if match else None


def _pan_field(pan: str) -> int:
    return int("0000" + pan[:-1][-12:].rjust(12, "0"), 16)


def pin_block(pin: str, pan: str) -> str:
    """An ISO 9564-1 format 0 PIN block in clear (16 hex characters)."""
    pin_field = int(f"0{len(pin):X}{pin}".ljust(16, "F"), 16)
    return f"{pin_field ^ _pan_field(pan):016X}"


def pin_from_block(block: str, pan: str) -> str:
    """The PIN in a clear format 0 block; FormatError when it is not one."""
    if len(block) != 16 or not re.fullmatch(r"[0-9A-Fa-f]{16}", block):
        raise FormatError("PIN block is not 16 hex characters", field="52")
    field = f"{int(block, 16) ^ _pan_field(pan):016X}"
    length = int(field[1], 16)
    pin = field[2 : 2 + length]
    if (
        field[0] != "0"
        or not 4 <= length <= 12
        or not pin.isdigit()
        or set(field[2 + length :]) - {"F"}
    ):
        raise FormatError("PIN block is not an ISO 9564 format 0 block", field="52")
    return pin


def is_pan(value: str) -> bool:
    return bool(_PAN.match(value))


def is_digits(value: str, size: int | None = None) -> bool:
    return bool(_DIGITS.match(value)) and (size is None or len(value) == size)


def answer_mti(mti: str) -> str | None:
    """0100 -> 0110, 0101 (repeat) -> 0110, 0420/0421 -> 0430, 0800 -> 0810; None for an
    answer or an MTI we cannot read."""
    if not is_digits(mti, 4) or mti[2] not in "02" or mti[3] not in "01":
        return None
    return f"{mti[:2]}{int(mti[2]) + 1}0"
