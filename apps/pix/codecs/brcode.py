"""Pix BR Code: the EMV QRCPS-MPM payload behind a Pix QR code and "Pix copia e cola".

A pure codec, free of Django. It follows EMV QRCPS-MPM and BACEN's Manual de Padrões para
Iniciação do Pix / Manual do BR Code:

    00 payload format indicator "01" (first)     58 country "BR"
    01 point of initiation "11"/"12" (optional)  59 merchant name (<= 25)
    26 Pix merchant account template             60 merchant city (<= 15)
       00 GUI "br.gov.bcb.pix"                   61 postal code (optional)
       01 key | 25 URL (no scheme)               62 additional data template
       02 description, 03 FSS (optional)            05 reference label: txid or "***"
    52 MCC, 53 currency "986"                    80-99 unreserved templates (kept)
    54 amount "123.45" (optional, <= 13)         63 CRC "6304" + 4 hex (last)

Every data object is ID (2 digits) + length (2 digits) + value. The CRC is
CRC-16/CCITT-FALSE over the UTF-8 bytes of everything before the 4 hex digits, "6304"
included.

`decode` checks the CRC and every declared length, at every level, and raises
`BRCodeError(rule, message)` naming the first rule broken; `rule` is one of `RULES`. The
API turns it into a 400 (`ValidationFailed(code=f"brcode_{rule}")`).

Decisions taken deliberately (the manuals and real codes leave room):

- Accented text. EMV counts a length in characters; some generators count UTF-8 bytes, and
  published codes exist both ways. The decoder first reads every length as characters; if
  that does not parse and the code is not pure ASCII, it reads every length as UTF-8 bytes
  (one unit for the whole code: generators are consistent). So "6009São Paulo" and
  "6010São Paulo" both decode to city "São Paulo". Name (25) and city (15) limits are then
  checked in characters. The encoder never has to choose: it writes plain ASCII only,
  transliterating with `unicodedata` (NFKD, combining marks dropped, a few letters that do
  not decompose mapped by hand, anything else dropped): no extra dependency.
- Name and city longer than the limits are truncated by the encoder (as banks do); a key,
  txid, description or URL that does not fit is refused, never cut.
- Lowercase CRC hex is accepted on decode (EMV says uppercase; we always write uppercase).
- Whitespace around the whole code (a pasted newline) is ignored; anything else after the
  CRC is "trailing_data".
- txid (62-05): static codes need "***" or 1-25 printable ASCII characters on decode (the
  Pix manual says alphanumeric, but BACEN's own BR Code manual example is
  "RP12345678-2019"); the encoder writes only [A-Za-z0-9]{1,25} or "***". In dynamic codes
  the payer's PSP ignores 62-05 (the charge payload carries the txid), so any value is
  returned as is. "***" decodes to txid None.
- 62 and 62-05 are mandatory (the "***" placeholder exists because the field may not be
  left out); a code without them is "missing_field".
- Amount: "10", "10.5", "0.10" and "123.45" decode; at most 13 characters, no sign, no
  comma, at most two decimals. "0"/"0.00" decodes to 0 (the caller decides what a zero
  amount means); the encoder refuses 0.
- Type: "dynamic" when the Pix template carries a URL (25), else "static" (key, 01). The
  point of initiation ("12" = single use) is reported as is, not used to guess the type.
- The Pix template is found among IDs 26-51 by its GUI (case-insensitive), not assumed at
  26: BACEN's BR Code manual shows Pix next to other arrangements. Two Pix templates are
  refused ("duplicate_field"). Templates 80-99 (e.g. Pix Automático's recurrence URL) are
  kept verbatim in `unreserved_templates`; other fields we do not model (other
  arrangements' accounts, 26-03 FSS, 62-50, 64 language template...) are kept verbatim in
  `extra_fields`, keyed by path ("27", "26.03", "62.50").
- As EMV says, every 26-51 and 80-99 template must carry its GUI (00), and IDs 65-79
  (reserved for EMVCo) are refused. Besides following the standard, this closes the gaps
  through which a wrong length with a right CRC could re-read digits (a postal code, say)
  as a field of its own.
- Order of checks: when the code ends like a CRC ("6304" + 4 hex), the CRC is checked
  first, so a corrupted character anywhere is "crc"; a code with a right CRC and a wrong
  structure was built wrong, and gets the structural rule ("length", "trailing_data"...).
- Limits: `decode(text, strict_limits=False)` lets a name over 25 or a city over 15
  characters through (some third-party generators do not cut "Presidente Prudente"); by
  default they are "name_length" / "city_length".

The CRC is written by hand: a dozen well-defined lines (table-driven). No library is worth
the dependency: `crcmod`'s last release is from 2010, `crccheck` would do but adds a package
for what the check value b"123456789" -> "29B1" pins down completely.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from apps.core.money import cents_to_str

PIX_GUI = "br.gov.bcb.pix"
MAX_CODE_LENGTH = 512  # EMV QRCPS-MPM: a payload is at most 512 characters
NAME_MAX = 25
CITY_MAX = 15
TXID_MAX = 25
KEY_MAX = 77  # DICT's longest key (an email)
AMOUNT_MAX_CHARS = 13
MAX_AMOUNT_CENTS = 10**12 - 1  # "9999999999.99", 13 characters
TEMPLATE_MAX = 99

RULES: dict[str, str] = {
    "syntax": "not a BR Code: empty, not text, or an ID that is not two digits",
    "too_long": "longer than the 512 characters EMV allows",
    "length": "a declared length is not two digits or does not match what follows",
    "crc": "CRC (63) missing its 4 hex digits or not matching the code",
    "trailing_data": "data after the CRC",
    "unknown_field": "an ID that EMV reserves for future use (65-79)",
    "duplicate_field": "the same ID twice in one template (or two Pix templates)",
    "missing_field": "a mandatory field is absent",
    "payload_format": "00 is not the first field or is not '01'",
    "point_of_initiation": "01 is neither '11' nor '12'",
    "gui": "no template with GUI br.gov.bcb.pix, or a 26-51 template without a GUI",
    "key": "the Pix key is empty or malformed",
    "url": "the Pix URL is empty or malformed",
    "description": "the description does not fit in the Pix template",
    "mcc": "52 is not four digits",
    "currency": "53 is not '986' (BRL)",
    "amount": "54 is not a plain decimal such as '123.45'",
    "country": "58 is not 'BR'",
    "name_length": "59 is empty or longer than 25 characters",
    "city_length": "60 is empty or longer than 15 characters",
    "postal_code": "61 is malformed",
    "txid": "62-05 is not '***' nor a valid reference label",
    "unreserved_template": "an 80-99 template is malformed or has no GUI (00)",
}


class BRCodeError(ValueError):
    """A BR Code that breaks a rule. `rule` is stable (see `RULES`); `field` is the EMV path."""

    def __init__(
        self, rule: str, message: str, *, field: str | None = None, position: int | None = None
    ) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.message = message
        self.field = field
        self.position = position  # where the problem starts in the text, when known


@dataclass(frozen=True, kw_only=True)
class BRCode:
    """A decoded BR Code. Amounts in centavos; texts exactly as the code has them."""

    type: Literal["static", "dynamic"]
    key: str | None = None
    url: str | None = None
    amount_cents: int | None = None
    merchant_name: str
    merchant_city: str
    txid: str | None = None  # None when the code says "***"
    description: str | None = None
    postal_code: str | None = None
    point_of_initiation: str | None = None  # "11", "12" or None (absent)
    mcc: str = "0000"
    unreserved_templates: dict[str, str] = field(default_factory=dict, hash=False)
    extra_fields: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def single_use(self) -> bool:
        return self.point_of_initiation == "12"

    @property
    def recurrence_url(self) -> str | None:
        """Pix Automático's URL (an 80-99 template with the Pix GUI), if the code has one."""
        for value in self.unreserved_templates.values():
            try:
                subs = dict(_split(value, 0, len(value), "80"))
            except BRCodeError:  # pragma: no cover - checked when decoded
                continue
            gui = subs.get("00")
            if gui and value[gui[0] : gui[1]].lower() == PIX_GUI and "25" in subs:
                start, end = subs["25"]
                return value[start:end]
        return None


# --- CRC ------------------------------------------------------------------------------------


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16_ccitt_false(data: bytes) -> str:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xor-out): 4 uppercase
    hex digits. crc16_ccitt_false(b"123456789") == "29B1"."""
    crc = 0xFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC_TABLE[((crc >> 8) ^ byte) & 0xFF]
    return f"{crc:04X}"


# --- Text -----------------------------------------------------------------------------------

# Letters NFKD does not decompose into ASCII.
_TRANSLITERATE = str.maketrans(
    {
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Ł": "L",
        "ł": "l",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
    }
)
_SPACES = re.compile(r"\s+")


def plain_ascii(text: str) -> str:
    """Printable ASCII, spaces collapsed: "São João  d'Aldeia" -> "Sao Joao d'Aldeia"."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch for ch in _SPACES.sub(" ", text) if " " <= ch <= "~")
    return _SPACES.sub(" ", text).strip()


# --- TLV ------------------------------------------------------------------------------------

_DIGITS = frozenset("0123456789")
_DIGITS_B = frozenset(b"0123456789")


def _two_digits(chunk: str | bytes) -> bool:
    digits = _DIGITS_B if isinstance(chunk, bytes) else _DIGITS
    return len(chunk) == 2 and all(c in digits for c in chunk)


def _where(path: str) -> str:
    return "the code" if path == "" else f"template {path}"


def _split(
    buf: str | bytes, start: int, end: int, path: str
) -> Iterator[tuple[str, tuple[int, int]]]:
    """Walk buf[start:end] as (ID, (value start, value end)), checking every length. A
    generator, so that a template is checked as soon as it is read (its own length error is
    reported, not the confusion it causes further on)."""
    seen: set[str] = set()
    pos = start
    while pos < end:
        if end - pos < 4:
            raise BRCodeError(
                "length",
                f"{_where(path)} ends with {end - pos} character(s), too few for an ID and a "
                "length (a declared length is wrong, or the code is truncated)",
                field=path or None,
            )
        raw_id, raw_len = buf[pos : pos + 2], buf[pos + 2 : pos + 4]
        if not _two_digits(raw_id):
            raise BRCodeError(
                "syntax",
                f"{_where(path)} has {_show(raw_id)!r} where a two-digit ID should be "
                "(a declared length before it is wrong?)",
                field=path or None,
            )
        tag = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
        fpath = f"{path}.{tag}" if path else tag
        if not _two_digits(raw_len):
            raise BRCodeError(
                "length",
                f"field {fpath} has length {_show(raw_len)!r}, not two digits",
                field=fpath,
            )
        size = int(raw_len)
        value_start, value_end = pos + 4, pos + 4 + size
        if value_end > end:
            raise BRCodeError(
                "length",
                f"field {fpath} declares {size} but only {end - value_start} remain in "
                f"{_where(path)} (wrong length, or truncated code)",
                field=fpath,
            )
        if tag in seen:
            raise BRCodeError("duplicate_field", f"field {fpath} appears twice", field=fpath)
        seen.add(tag)
        yield tag, (value_start, value_end)
        pos = value_end
        if path == "" and tag == "63":
            if pos < end:
                raise BRCodeError(
                    "trailing_data",
                    f"{end - pos} character(s) after the CRC field (63 must be last)",
                    field="63",
                    position=pos,
                )
            break


def _show(chunk: str | bytes) -> str:
    return chunk.decode("utf-8", "replace") if isinstance(chunk, bytes) else chunk


def _text(buf: str | bytes, span: tuple[int, int], fpath: str) -> str:
    chunk = buf[span[0] : span[1]]
    if isinstance(chunk, bytes):
        try:
            return chunk.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BRCodeError(
                "length", f"field {fpath}'s length in bytes splits a UTF-8 character", field=fpath
            ) from exc
    return chunk


def _is_template(tag: str) -> bool:
    number = int(tag)
    return 26 <= number <= 51 or number == 62 or number == 64 or 80 <= number <= 99


def _parse(buf: str | bytes) -> tuple[dict[str, str | dict[str, str]], dict[str, str]]:
    """The tree (root IDs to text, templates to {sub-ID: text}, in order) and each root
    field's raw text (templates verbatim, whatever unit their lengths were counted in)."""
    tree: dict[str, str | dict[str, str]] = {}
    raw: dict[str, str] = {}
    for tag, span in _split(buf, 0, len(buf), ""):
        raw[tag] = _text(buf, span, tag)
        if _is_template(tag):
            tree[tag] = {
                sub: _text(buf, sub_span, f"{tag}.{sub}")
                for sub, sub_span in _split(buf, span[0], span[1], tag)
            }
        else:
            tree[tag] = raw[tag]
    if "63" not in tree:
        raise BRCodeError("missing_field", "no CRC field (63) at the end", field="63")
    return tree, raw


# --- Decode ---------------------------------------------------------------------------------

_CRC_TAIL = re.compile(r"6304[0-9A-Fa-f]{4}\Z")
_AMOUNT = re.compile(r"\A[0-9]+(?:\.[0-9]{1,2})?\Z")
_MCC = re.compile(r"\A[0-9]{4}\Z")
_PRINTABLE = re.compile(r"\A[\x20-\x7e]+\Z")


def decode(text: str, *, strict_limits: bool = True) -> BRCode:
    """Parse and check a BR Code; raise BRCodeError naming the first rule it breaks.

    strict_limits=False accepts a merchant name over 25 or a city over 15 characters (some
    third-party generators do not cut them, e.g. "Presidente Prudente"), for a payer who
    just wants to pay a code; everything else is checked the same."""
    if not isinstance(text, str):
        raise BRCodeError("syntax", "a BR Code is text")
    code = text.strip()
    if not code:
        raise BRCodeError("syntax", "empty")
    if len(code) > MAX_CODE_LENGTH:
        raise BRCodeError("too_long", f"{len(code)} characters, more than {MAX_CODE_LENGTH}")
    try:
        code.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, as JSON's "\ud800" can deliver
        raise BRCodeError("syntax", "not valid Unicode text") from exc

    # The CRC first when the code ends like one: a corrupted character is then reported as
    # "crc" wherever it is, and a structural rule means the code was built wrong.
    crc_checked = bool(_CRC_TAIL.search(code))
    if crc_checked and not _crc_ok(code):
        _raise_trailing_data_if_valid_before(code)
        raise BRCodeError(
            "crc",
            f"CRC is {code[-4:]!r} but the code computes to "
            f"{crc16_ccitt_false(code[:-4].encode('utf-8'))!r}",
            field="63",
        )

    try:
        tree, raw = _parse(code)
    except BRCodeError as by_chars:
        if code.isascii():
            raise
        try:  # lengths counted in UTF-8 bytes (see the module docstring)
            tree, raw = _parse(code.encode("utf-8"))
        except BRCodeError:
            raise by_chars from None

    if not crc_checked:  # 63 parsed as the last field, but its value is not 4 hex digits
        raise BRCodeError(
            "crc",
            f"the CRC field must be 6304 and 4 hex digits, got 63{len(raw['63']):02d}{raw['63']}",
            field="63",
        )
    return _interpret(tree, raw, strict_limits=strict_limits)


def _crc_ok(code: str) -> bool:
    return code[-4:].upper() == crc16_ccitt_false(code[:-4].encode("utf-8"))


def _raise_trailing_data_if_valid_before(code: str) -> None:
    """A good code with something appended that ends like a CRC (a code pasted twice) is
    "trailing_data", not "crc": the code up to its own CRC checks out."""
    try:
        _parse(code)
    except BRCodeError as error:
        if error.rule == "trailing_data" and error.position and _crc_ok(code[: error.position]):
            raise
    return None


def _require(tree: dict, tag: str, what: str) -> str:
    value = tree.get(tag)
    if value is None:
        raise BRCodeError("missing_field", f"{what} ({tag}) is missing", field=tag)
    return value


def _interpret(
    tree: dict[str, str | dict[str, str]], raw: dict[str, str], *, strict_limits: bool
) -> BRCode:
    root_ids = list(tree)
    if root_ids[0] != "00":
        raise BRCodeError(
            "payload_format", "the payload format indicator (00) must come first", field="00"
        )
    if tree["00"] != "01":
        raise BRCodeError(
            "payload_format", f"payload format indicator is {tree['00']!r}, not '01'", field="00"
        )

    poi = tree.get("01")
    if poi is not None and poi not in ("11", "12"):
        raise BRCodeError(
            "point_of_initiation", f"point of initiation is {poi!r}, not 11 or 12", field="01"
        )

    for tag, value in tree.items():
        number = int(tag)
        if 65 <= number <= 79:
            raise BRCodeError(
                "unknown_field", f"field {tag} is reserved for future use by EMV", field=tag
            )
        if (26 <= number <= 51 or 80 <= number <= 99) and "00" not in value:
            # EMV: every merchant account and unreserved template starts from its GUI
            raise BRCodeError(
                "gui" if number <= 51 else "unreserved_template",
                f"template {tag} has no globally unique identifier (00)",
                field=f"{tag}.00",
            )

    extra: dict[str, str] = {}
    pix_tag, pix = _pix_template(tree)
    key = pix.get("01")
    url = pix.get("25")
    if key is None and url is None:
        raise BRCodeError(
            "missing_field",
            f"the Pix template ({pix_tag}) has neither a key (01) nor a URL (25)",
            field=f"{pix_tag}.01",
        )
    if key is not None and not key.strip():
        raise BRCodeError("key", "the Pix key is empty", field=f"{pix_tag}.01")
    if url is not None and not url.strip():
        raise BRCodeError("url", "the Pix URL is empty", field=f"{pix_tag}.25")
    for sub, value in pix.items():
        if sub not in ("00", "01", "02", "25"):
            extra[f"{pix_tag}.{sub}"] = value

    mcc = _require(tree, "52", "merchant category code")
    if not _MCC.match(mcc):
        raise BRCodeError("mcc", f"merchant category code {mcc!r} is not 4 digits", field="52")
    currency = _require(tree, "53", "transaction currency")
    if currency != "986":
        raise BRCodeError("currency", f"currency is {currency!r}, not 986 (BRL)", field="53")
    amount_cents = None
    if "54" in tree:
        amount_cents = _decode_amount(tree["54"])
    country = _require(tree, "58", "country code")
    if country != "BR":
        raise BRCodeError("country", f"country is {country!r}, not BR", field="58")
    name = _require(tree, "59", "merchant name")
    if not name.strip() or (strict_limits and len(name) > NAME_MAX):
        raise BRCodeError(
            "name_length", f"merchant name has {len(name)} characters (1 to {NAME_MAX})", field="59"
        )
    city = _require(tree, "60", "merchant city")
    if not city.strip() or (strict_limits and len(city) > CITY_MAX):
        raise BRCodeError(
            "city_length", f"merchant city has {len(city)} characters (1 to {CITY_MAX})", field="60"
        )
    postal_code = tree.get("61")

    code_type: Literal["static", "dynamic"] = "dynamic" if url is not None else "static"
    additional = tree.get("62")
    if additional is None:
        raise BRCodeError("missing_field", "additional data template (62) is missing", field="62")
    reference = additional.get("05")
    if reference is None:
        raise BRCodeError(
            "missing_field", "reference label (62-05, txid or ***) is missing", field="62.05"
        )
    if (
        code_type == "static"
        and reference != "***"
        and not (len(reference) <= TXID_MAX and _PRINTABLE.match(reference))
    ):
        raise BRCodeError(
            "txid",
            f"txid {reference!r} is not *** nor 1 to {TXID_MAX} printable ASCII characters",
            field="62.05",
        )
    for sub, value in additional.items():
        if sub != "05":
            extra[f"62.{sub}"] = value

    unreserved: dict[str, str] = {}
    for tag in tree:
        if tag in ("00", "01", pix_tag, "52", "53", "54", "58", "59", "60", "61", "62", "63"):
            continue
        if 80 <= int(tag) <= 99:
            unreserved[tag] = raw[tag]
        else:
            extra[tag] = raw[tag]

    return BRCode(
        type=code_type,
        key=key,
        url=url,
        amount_cents=amount_cents,
        merchant_name=name,
        merchant_city=city,
        txid=None if reference == "***" else reference,
        description=pix.get("02"),
        postal_code=postal_code,
        point_of_initiation=poi,
        mcc=mcc,
        unreserved_templates=unreserved,
        extra_fields=extra,
    )


def _pix_template(tree: dict) -> tuple[str, dict[str, str]]:
    accounts = [tag for tag in tree if 26 <= int(tag) <= 51]
    pix = [tag for tag in accounts if tree[tag].get("00", "").lower() == PIX_GUI]
    if len(pix) > 1:
        raise BRCodeError("duplicate_field", f"two Pix templates ({', '.join(pix)})", field=pix[1])
    if not pix:
        if not accounts:
            raise BRCodeError(
                "missing_field", "no merchant account template (26) for Pix", field="26"
            )
        guis = [tree[tag].get("00") for tag in accounts]
        raise BRCodeError(
            "gui", f"no merchant account template has the GUI {PIX_GUI} (found {guis})", field="26"
        )
    return pix[0], tree[pix[0]]


def _decode_amount(text: str) -> int:
    if len(text) > AMOUNT_MAX_CHARS or not _AMOUNT.match(text):
        raise BRCodeError(
            "amount",
            f"amount {text!r} is not a plain decimal of at most {AMOUNT_MAX_CHARS} characters "
            "(such as 123.45)",
            field="54",
        )
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


# --- Encode ---------------------------------------------------------------------------------

_TXID = re.compile(r"\A[A-Za-z0-9]{1,25}\Z")
_KEY_FORMATS = (
    re.compile(r"\A[0-9]{11}\Z"),  # CPF
    re.compile(r"\A[0-9A-Z]{12}[0-9]{2}\Z"),  # CNPJ, numeric or alphanumeric
    re.compile(r"\A\+[1-9][0-9]{1,14}\Z"),  # phone, E.164 (+55...)
    re.compile(r"\A[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\Z"),  # EVP
    re.compile(r"\A[\x21-\x3f\x41-\x7e]+@[\x21-\x3f\x41-\x7e]+\Z"),  # email
)
_POSTAL = re.compile(r"\A[\x20-\x7e]{1,10}\Z")  # EMV: up to 10 "ans"


def _tlv(tag: str, value: str) -> str:
    if len(value) > TEMPLATE_MAX:  # pragma: no cover - callers check their limits first
        raise BRCodeError("length", f"field {tag} would be {len(value)} characters (max 99)")
    return f"{tag}{len(value):02d}{value}"


def _merchant_text(text: str, limit: int, rule: str, what: str) -> str:
    if not isinstance(text, str):
        raise BRCodeError(rule, f"{what} must be text")
    plain = plain_ascii(text)[:limit].rstrip()
    if not plain:
        raise BRCodeError(rule, f"{what} is empty once written in plain ASCII")
    return plain


def _check_amount(amount_cents: int | None) -> str | None:
    if amount_cents is None:
        return None
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise BRCodeError("amount", "amount_cents must be an int")
    if not 0 < amount_cents <= MAX_AMOUNT_CENTS:
        raise BRCodeError(
            "amount", f"amount must be between 0.01 and {cents_to_str(MAX_AMOUNT_CENTS)}"
        )
    return cents_to_str(amount_cents)


def _check_txid(txid: str | None) -> str:
    if txid is None or txid == "" or txid == "***":
        return "***"
    if not isinstance(txid, str) or not _TXID.match(txid):
        raise BRCodeError("txid", f"txid must be 1 to {TXID_MAX} letters and digits, or None")
    return txid


def _check_poi(poi: str | None) -> None:
    if poi is not None and poi not in ("11", "12"):
        raise BRCodeError("point_of_initiation", "point_of_initiation must be '11', '12' or None")


def _check_mcc(mcc: str) -> None:
    if not isinstance(mcc, str) or not _MCC.match(mcc):
        raise BRCodeError("mcc", "mcc must be 4 digits")


def max_description_length(key: str) -> int:
    """How long a description can be next to this key (template 26 holds 99 characters)."""
    return TEMPLATE_MAX - len(_tlv("00", PIX_GUI)) - (4 + len(key)) - 4


def encode_static(
    *,
    key: str,
    merchant_name: str,
    merchant_city: str,
    amount_cents: int | None = None,
    txid: str | None = None,
    description: str | None = None,
    postal_code: str | None = None,
    point_of_initiation: str | None = None,
    mcc: str = "0000",
    unreserved_templates: dict[str, str] | None = None,
) -> str:
    """A static BR Code for a Pix key. Name and city are written in plain ASCII and cut at 25
    and 15 characters; txid None means "***"; point_of_initiation None leaves 01 out (as
    BACEN's example does), "12" marks a single-use code."""
    if not isinstance(key, str) or not any(f.match(key) for f in _KEY_FORMATS):
        raise BRCodeError(
            "key", "key must be a CPF, CNPJ, +55 phone, email or EVP, in DICT's format"
        )
    if len(key) > KEY_MAX:
        raise BRCodeError("key", f"key is longer than {KEY_MAX} characters")
    account = _tlv("00", PIX_GUI) + _tlv("01", key)
    if description is not None:
        text = plain_ascii(description)
        if len(text) > max_description_length(key):
            raise BRCodeError(
                "description",
                f"description has {len(text)} characters; {max_description_length(key)} fit "
                "next to this key",
            )
        if text:
            account += _tlv("02", text)
    return _assemble(
        account=account,
        merchant_name=merchant_name,
        merchant_city=merchant_city,
        amount_cents=amount_cents,
        txid=txid,
        postal_code=postal_code,
        point_of_initiation=point_of_initiation,
        mcc=mcc,
        unreserved_templates=unreserved_templates,
    )


def encode_dynamic(
    *,
    url: str,
    merchant_name: str,
    merchant_city: str,
    amount_cents: int | None = None,
    txid: str | None = None,
    postal_code: str | None = None,
    point_of_initiation: str | None = "12",
    mcc: str = "0000",
    unreserved_templates: dict[str, str] | None = None,
) -> str:
    """A dynamic BR Code for a charge's location URL, written without its scheme
    ("pix.example.com/qr/v2/..."); the payer's PSP fetches https://{url}."""
    if not isinstance(url, str) or not url or not _PRINTABLE.match(url) or " " in url:
        raise BRCodeError("url", "url must be non-empty printable ASCII without spaces")
    if "://" in url:
        raise BRCodeError("url", "url must not include the scheme (write pix.example.com/...)")
    account = _tlv("00", PIX_GUI)
    if len(account) + 4 + len(url) > TEMPLATE_MAX:
        raise BRCodeError("url", f"url is longer than {TEMPLATE_MAX - len(account) - 4} characters")
    account += _tlv("25", url)
    return _assemble(
        account=account,
        merchant_name=merchant_name,
        merchant_city=merchant_city,
        amount_cents=amount_cents,
        txid=txid,
        postal_code=postal_code,
        point_of_initiation=point_of_initiation,
        mcc=mcc,
        unreserved_templates=unreserved_templates,
    )


def _assemble(
    *,
    account: str,
    merchant_name: str,
    merchant_city: str,
    amount_cents: int | None,
    txid: str | None,
    postal_code: str | None,
    point_of_initiation: str | None,
    mcc: str,
    unreserved_templates: dict[str, str] | None,
) -> str:
    _check_poi(point_of_initiation)
    _check_mcc(mcc)
    amount = _check_amount(amount_cents)
    reference = _check_txid(txid)
    name = _merchant_text(merchant_name, NAME_MAX, "name_length", "merchant name")
    city = _merchant_text(merchant_city, CITY_MAX, "city_length", "merchant city")
    if postal_code is not None and not _POSTAL.match(postal_code):
        raise BRCodeError("postal_code", "postal_code must be 1 to 10 printable ASCII characters")

    parts = [_tlv("00", "01")]
    if point_of_initiation is not None:
        parts.append(_tlv("01", point_of_initiation))
    parts += [_tlv("26", account), _tlv("52", mcc), _tlv("53", "986")]
    if amount is not None:
        parts.append(_tlv("54", amount))
    parts += [_tlv("58", "BR"), _tlv("59", name), _tlv("60", city)]
    if postal_code is not None:
        parts.append(_tlv("61", postal_code))
    parts.append(_tlv("62", _tlv("05", reference)))
    for tag, value in sorted((unreserved_templates or {}).items()):
        _check_unreserved(tag, value)
        parts.append(_tlv(tag, value))
    payload = "".join(parts) + "6304"
    if len(payload) + 4 > MAX_CODE_LENGTH:
        raise BRCodeError("too_long", f"the code would exceed {MAX_CODE_LENGTH} characters")
    return payload + crc16_ccitt_false(payload.encode("utf-8"))


def _check_unreserved(tag: str, value: str) -> None:
    if not (isinstance(tag, str) and _two_digits(tag) and 80 <= int(tag) <= 99):
        raise BRCodeError("unreserved_template", f"{tag!r} is not an ID from 80 to 99")
    if not isinstance(value, str) or not value.isascii() or not 0 < len(value) <= TEMPLATE_MAX:
        raise BRCodeError("unreserved_template", f"template {tag} must be 1 to 99 ASCII characters")
    try:
        subs = [sub for sub, _ in _split(value, 0, len(value), tag)]
    except BRCodeError as exc:
        raise BRCodeError("unreserved_template", f"template {tag}: {exc.message}") from exc
    if "00" not in subs:
        raise BRCodeError("unreserved_template", f"template {tag} needs a GUI (00)")
