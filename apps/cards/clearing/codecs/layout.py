"""ATHENA-CLR 001: our fixed-width layout of the card network's daily clearing file.

The network (apps/simulators/cardnet/ in development) sends the issuer one file per
clearing run: what the acquirers presented for our cards since the previous file. Modelled
on the real networks' clearing records (Visa BASE II draft records, Mastercard IPM first
presentments), cut down to what an issuer needs, and ours: one text file, ASCII, every line
exactly 250 characters, lines ended by LF (a CRLF and one final line end are accepted).

    H  header      line 1, exactly one
    D  detail      one per presentment, refund or reversal (zero or more)
    T  trailer     the last line, exactly one: counts and totals

Positions below are 1-based and inclusive. Kinds:

    N  digits, right aligned, zero padded
    A  text: printable ASCII, left aligned, blank padded; the writer folds accents and
       upper-cases ("Café São João" -> "CAFE SAO JOAO") and cuts what does not fit
    X  an identifier: printable ASCII as it is (case kept), left aligned, blank padded; the
       writer refuses one that does not fit rather than cut it
    D  a date YYYYMMDD
    S  a timestamp YYYYMMDDHHMMSS (Brasília wall clock)
    F  filler: blanks

Header (H)

    1       record_type       A  "H"
    2-7     record_number     N  000001: every record carries its line number
    8-10    layout_version    N  001
    11-18   network           X  the network's name ("CARDNET")
    19-26   issuer_id         N  our ISPB
    27-34   business_day      D  the clearing day the file belongs to (settled that day)
    35-48   created_at        S  when the network wrote it
    49-54   file_sequence     N  1, 2, ... per network
    55-57   currency          N  986 (BRL): amounts are centavos of it
    58-250  filler            F

Detail (D): one transaction

    1       record_type       A  "D"
    2-7     record_number     N  its line number in the file
    8-9     transaction_code  N  05 presentment (a purchase: the cardholder pays)
                                 06 refund (merchant credit: the cardholder is paid back)
                                 25 reversal of a presentment (the acquirer takes it back)
                                 26 reversal of a refund
    10-32   arn               N  acquirer reference number: the record's own identity, unique
                                 per transaction code (a line is applied at most once)
    33-55   original_arn      N  25/26: the ARN of the record reversed; 06: the purchase's
                                 ARN when the acquirer knows it; zeros otherwise
    56-63   card_bin          X  the card's BIN, 6 or 8 digits
    64-67   card_last4        N  the card's last four digits
    68-99   card_token        X  our card token (the network's payment account reference of
                                 our cards): never the PAN, which no clearing file carries
    100-105 auth_code         X  approval code (DE 38) of the authorization; blank when the
                                 purchase was not authorized (offline, force post)
    106-117 rrn               X  retrieval reference number (DE 37); blank when none
    118-123 stan              N  system trace audit number (DE 11); zeros when none
    124-131 transaction_date  D  the day of the purchase at the merchant
    132-143 amount            N  centavos, more than zero
    144-147 mcc               N  merchant category code (DE 18)
    148-162 merchant_id       X  card acceptor id (DE 42)
    163-202 merchant_name     A  DE 43 name
    203-215 merchant_city     A  DE 43 city
    216-218 merchant_country  N  ISO 3166 numeric (076: Brazil)
    219-250 filler            F

Trailer (T)

    1       record_type       A  "T"
    2-7     record_number     N  its line number (the file's line count)
    8-13    detail_count      N  D records in the file
    14-19   debit_count       N  05 and 26 records: money the issuer owes the network
    20-34   debit_total       N  their amounts, centavos
    35-40   credit_count      N  06 and 25 records: money the network owes the issuer
    41-55   credit_total      N  their amounts, centavos
    56      net_side          A  "D" the issuer pays the net, "C" the issuer receives it
                                 ("D" when the net is zero)
    57-71   net_amount        N  |debit_total - credit_total|, centavos
    72-250  filler            F

A file is accepted whole or refused whole (`codec.parse_file` raises ClearingFileError with
the line and the field, e.g. "line 7, field detail.amount: a zero amount"): lengths and
characters, record order, record numbers, kinds, dates, codes, a second record with the same
ARN and code, and the trailer's counts and totals are all checked before anything is used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

RECORD_LENGTH = 250
LAYOUT_VERSION = 1
CURRENCY_BRL = "986"

N = "N"
A = "A"
X = "X"
D = "D"
S = "S"
F = "F"
KINDS = frozenset({N, A, X, D, S, F})

PRESENTMENT = "05"
REFUND = "06"
PRESENTMENT_REVERSAL = "25"
REFUND_REVERSAL = "26"
TRANSACTION_CODES = {
    PRESENTMENT: "presentment",
    REFUND: "refund",
    PRESENTMENT_REVERSAL: "reversal of a presentment",
    REFUND_REVERSAL: "reversal of a refund",
}
DEBIT_CODES = frozenset({PRESENTMENT, REFUND_REVERSAL})  # the issuer owes the network
CREDIT_CODES = frozenset({REFUND, PRESENTMENT_REVERSAL})  # the network owes the issuer
REVERSAL_CODES = frozenset({PRESENTMENT_REVERSAL, REFUND_REVERSAL})


class ClearingFileError(ValueError):
    """A clearing file refused as a whole, at its first error: `line` is 1-based (0: the file
    as a whole), `field` is qualified by its record (`detail.amount`) or structural
    (`record_length`, `charset`, `record_type`)."""

    def __init__(self, line: int, field: str, message: str) -> None:
        self.line = line
        self.field = field
        self.message = message
        super().__init__(f"line {line}, field {field}: {message}")

    def __reduce__(self):  # picklable (Celery results)
        return (type(self), (self.line, self.field, self.message))


class Field(NamedTuple):
    name: str
    start: int  # 1-based, inclusive
    end: int  # 1-based, inclusive
    kind: str

    @property
    def width(self) -> int:
        return self.end - self.start + 1

    @property
    def slice(self) -> slice:
        return slice(self.start - 1, self.end)


class Record(NamedTuple):
    name: str  # "detail": the prefix of error field names
    type: str  # the record_type letter
    fields: tuple[Field, ...]


def _record(name: str, letter: str, *fields: Field) -> Record:
    """A record whose fields tile 1..RECORD_LENGTH (checked at import: a typo fails loudly)."""
    position = 1
    for f in fields:
        if f.start != position or f.end < f.start or f.kind not in KINDS:
            raise AssertionError(f"{name}.{f.name}: the layout does not tile at {position}")
        if (f.kind == D and f.width != 8) or (f.kind == S and f.width != 14):
            raise AssertionError(f"{name}.{f.name}: wrong width for a date")
        position = f.end + 1
    if position != RECORD_LENGTH + 1:
        raise AssertionError(f"{name}: ends at {position - 1}, not {RECORD_LENGTH}")
    return Record(name, letter, fields)


HEADER = _record(
    "header",
    "H",
    Field("record_type", 1, 1, A),
    Field("record_number", 2, 7, N),
    Field("layout_version", 8, 10, N),
    Field("network", 11, 18, X),
    Field("issuer_id", 19, 26, N),
    Field("business_day", 27, 34, D),
    Field("created_at", 35, 48, S),
    Field("file_sequence", 49, 54, N),
    Field("currency", 55, 57, N),
    Field("filler", 58, 250, F),
)

DETAIL = _record(
    "detail",
    "D",
    Field("record_type", 1, 1, A),
    Field("record_number", 2, 7, N),
    Field("transaction_code", 8, 9, N),
    Field("arn", 10, 32, N),
    Field("original_arn", 33, 55, N),
    Field("card_bin", 56, 63, X),
    Field("card_last4", 64, 67, N),
    Field("card_token", 68, 99, X),
    Field("auth_code", 100, 105, X),
    Field("rrn", 106, 117, X),
    Field("stan", 118, 123, N),
    Field("transaction_date", 124, 131, D),
    Field("amount", 132, 143, N),
    Field("mcc", 144, 147, N),
    Field("merchant_id", 148, 162, X),
    Field("merchant_name", 163, 202, A),
    Field("merchant_city", 203, 215, A),
    Field("merchant_country", 216, 218, N),
    Field("filler", 219, 250, F),
)

TRAILER = _record(
    "trailer",
    "T",
    Field("record_type", 1, 1, A),
    Field("record_number", 2, 7, N),
    Field("detail_count", 8, 13, N),
    Field("debit_count", 14, 19, N),
    Field("debit_total", 20, 34, N),
    Field("credit_count", 35, 40, N),
    Field("credit_total", 41, 55, N),
    Field("net_side", 56, 56, A),
    Field("net_amount", 57, 71, N),
    Field("filler", 72, 250, F),
)

RECORDS = (HEADER, DETAIL, TRAILER)


def field_of(record: Record, name: str) -> Field:
    for f in record.fields:
        if f.name == name:
            return f
    raise KeyError(f"{record.name} has no field {name!r}")


# --- What a file carries ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClearingHeader:
    business_day: dt.date
    created_at: dt.datetime  # naive, Brasília wall clock, second precision
    file_sequence: int
    issuer_id: str  # our ISPB, 8 digits
    network: str = "CARDNET"
    currency: str = CURRENCY_BRL
    layout_version: int = LAYOUT_VERSION


@dataclass(frozen=True, slots=True)
class ClearingItem:
    """One detail record. `line` is its line in the file (0 until written or parsed)."""

    transaction_code: str  # PRESENTMENT, REFUND, PRESENTMENT_REVERSAL, REFUND_REVERSAL
    arn: str  # 23 digits
    card_bin: str
    card_last4: str
    card_token: str
    transaction_date: dt.date
    amount_cents: int
    mcc: str = "0000"
    original_arn: str = ""  # "" when none (zeros in the file)
    auth_code: str = ""
    rrn: str = ""
    stan: str = ""  # "" when none (zeros in the file)
    merchant_id: str = ""
    merchant_name: str = ""
    merchant_city: str = ""
    merchant_country: str = "076"
    line: int = 0

    @property
    def is_debit(self) -> bool:
        return self.transaction_code in DEBIT_CODES

    @property
    def signed_amount(self) -> int:
        """What the issuer owes the network for this record (negative: is owed)."""
        return self.amount_cents if self.is_debit else -self.amount_cents

    @property
    def masked_card(self) -> str:
        return f"{self.card_bin[:6]}******{self.card_last4}"


@dataclass(frozen=True, slots=True)
class ClearingTotals:
    detail_count: int
    debit_count: int
    debit_total: int
    credit_count: int
    credit_total: int

    @property
    def net(self) -> int:
        """What the issuer owes the network (negative: what the network owes the issuer)."""
        return self.debit_total - self.credit_total

    @classmethod
    def of(cls, items) -> ClearingTotals:
        debits = [item.amount_cents for item in items if item.is_debit]
        credits = [item.amount_cents for item in items if not item.is_debit]
        return cls(
            detail_count=len(debits) + len(credits),
            debit_count=len(debits),
            debit_total=sum(debits),
            credit_count=len(credits),
            credit_total=sum(credits),
        )


@dataclass(frozen=True, slots=True)
class ClearingFile:
    header: ClearingHeader
    items: tuple[ClearingItem, ...]
    totals: ClearingTotals

    @property
    def line_count(self) -> int:
        return len(self.items) + 2
