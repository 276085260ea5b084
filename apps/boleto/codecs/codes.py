"""Boleto codes: the 44-digit barcode and the 47/48-digit linha digitavel (FEBRABAN).

Two kinds (reference: shared boleto-ted-loans.md 1.1-1.4):

* bank boleto (ficha de compensacao), barcode positions (1-based):
  1-3 bank, 4 currency, 5 general DV (mod 11 bank), 6-9 due-date factor, 10-19 amount in
  cents, 20-44 free field. Its linha has 47 digits: three fields with a mod-10 DV each
  (barcode 1-4 + 20-24, 25-34, 35-44), the general DV, then factor and amount.
  Currency: the layout defines 9 (real) and 0 (other currency); both are accepted and
  `currency` says which; any other digit is refused (rule "currency").
* collection (arrecadacao: utilities, taxes), barcode: 1 product id "8", 2 segment, 3 value
  id, 4 general DV, 5-15 value (cents, or a reference quantity), 16-44 company/free field.
  Its linha has 48 digits: four blocks of 11 barcode digits, each followed by its DV. The
  value id names the module of every DV: 6 and 7 mod 10, 8 and 9 mod 11 collection; 7 and 9
  code a reference quantity, not an amount (so `amount_cents` is None). Other ids are
  refused (rule "collection_value_id").

A 44-digit code starting with 8 is a collection barcode, any other 44-digit code a bank
barcode; a 47-digit code is a bank linha, a 48-digit one a collection linha.

`decode` checks every check digit (the linha's field or block DVs and the general DV). The
standard cannot catch every single-digit change: tests/boleto/codecs/test_codes_properties.py
states exactly which ones slip through and checks that everything else is refused.

The hot path works on the ASCII bytes of the code: one struct unpack and one summed lookup
per pair of digits give all its check digits at once (see the tables below); no regular
expression, nothing cached between calls. bench/boleto_decode.py measures it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date
from operator import getitem

from .checksums import mod10, mod11_bank, mod11_collection
from .factor import date_for, factor_for

SEPARATORS = ".- "
_STRIP = str.maketrans("", "", SEPARATORS)
BANK_CURRENCIES = frozenset("90")
MAX_AMOUNT_CENTS = 9_999_999_999  # 10 digits in a bank barcode
_REFERENCE_VALUE_IDS = frozenset("79")  # the value is a quantity of a reference currency

_RULE_TEXT = {
    "characters": "the code may hold only digits and the separators '.', '-' and ' '",
    "length": "the code must have 44 (barcode), 47 (bank linha) or 48 (collection linha) digits",
    "field_1_check_digit": "the check digit of field 1 of the linha is wrong",
    "field_2_check_digit": "the check digit of field 2 of the linha is wrong",
    "field_3_check_digit": "the check digit of field 3 of the linha is wrong",
    "general_check_digit": "the general check digit of the barcode is wrong",
    "currency": "the currency digit of a bank boleto must be 9 (real) or 0",
    "collection_value_id": "the value id (third digit) of a collection code must be 6, 7, 8 or 9",
    "block_1_check_digit": "the check digit of block 1 of the linha is wrong",
    "block_2_check_digit": "the check digit of block 2 of the linha is wrong",
    "block_3_check_digit": "the check digit of block 3 of the linha is wrong",
    "block_4_check_digit": "the check digit of block 4 of the linha is wrong",
    "product_id": "a 48-digit collection linha must start with 8",
    "due_factor": "the due-date factor names no date in the accepted window",
}


class CodeError(ValueError):
    """A boleto code broke a rule; `rule` is a stable machine string (see _RULE_TEXT)."""

    def __init__(self, rule: str, detail: str = "") -> None:
        self.rule = rule
        text = _RULE_TEXT.get(rule, rule)
        message = f"{rule}: {text}" + (f" ({detail})" if detail else "")
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class DecodedCode:
    kind: str  # "bank" | "collection"
    barcode: str  # 44 digits
    linha: str  # 47 digits (bank) or 48 (collection), without separators
    bank_code: str | None  # 3 digits, bank boletos only
    currency: str | None  # "9" or "0", bank boletos only
    factor: int | None  # due-date factor, bank only; 0 means no due date
    amount_cents: int | None  # None: amount 0 (payer chooses) or a reference quantity
    due_date: date | None
    free_field: str  # bank: campo livre (barcode 20-44); collection: barcode 16-44
    segment: str | None  # collection only
    value_id: str | None  # collection only


# --- The check-digit tables of the hot path -------------------------------------------------
#
# A code's digits are read two at a time: struct unpacks the ASCII bytes into 16-bit ints
# (one C call), and for each pair position a small dict gives that pair's contribution to
# every check of the layout at once, each check's partial sum in its own 12-bit lane (no sum
# reaches 4096: 43 digits x 9 x 9 = 3483). One `sum(map(getitem, tables, pairs))` then gives
# all the sums of the code, and a list indexed by a sum gives its check digit. Same rules as
# checksums.py (the tests hold the two together), a few hundred dict entries in all.

_LANE = 12
_MASK = (1 << _LANE) - 1
_LUHN, _BANK11, _COLLECTION11 = "mod10", "mod11_bank", "mod11_collection"


def _luhn_dv(total: int) -> int:
    return -total % 10


def _bank11_dv(total: int) -> int:
    dv = 11 - total % 11
    return 1 if dv > 9 else dv


def _collection11_dv(total: int) -> int:
    remainder = total % 11
    return 0 if remainder < 2 else 1 if remainder == 10 else 11 - remainder


# check digit (as its ASCII code) of every possible lane sum
_DV = {
    module: bytes(48 + function(total) for total in range(1 << _LANE))
    for module, function in (
        (_LUHN, _luhn_dv),
        (_BANK11, _bank11_dv),
        (_COLLECTION11, _collection11_dv),
    )
}


def _pair_tables(length: int, checks: list[tuple[str, list[int]]]) -> tuple[dict, ...]:
    """One dict per digit pair: 16-bit little-endian ASCII pair -> lanes of contributions.

    `checks` lists, per lane, its module and the code positions it covers, left to right
    (weights are counted from the last one).
    """
    contribution = [[0] * 10 for _ in range(length)]  # [position][digit] -> lanes
    for lane, (module, positions) in enumerate(checks):
        for from_right, position in enumerate(reversed(positions)):
            for digit in range(10):
                if module == _LUHN:
                    product = digit * (2 if from_right % 2 == 0 else 1)
                    value = product - 9 if product > 9 else product
                else:
                    value = digit * (2 + from_right % 8)
                contribution[position][digit] += value << (_LANE * lane)
    padded = contribution + [[0] * 10] * (length % 2)
    return tuple(
        {
            (48 + low) | (48 + high) << 8: padded[index][low] + padded[index + 1][high]
            for low in range(10)
            for high in range(10)
        }
        for index in range(0, len(padded), 2)
    )


def _span(start: int, stop: int) -> list[int]:
    return list(range(start, stop))


# Bank linha: fields 1-3 (mod 10) and the general DV over the barcode's order of digits.
# Barcode = linha[0:4] + linha[32:47] + linha[4:9] + linha[10:20] + linha[21:31]; its DV
# (barcode position 5) is linha[32].
_BANK_LINHA_BODY = _span(0, 4) + _span(33, 47) + _span(4, 9) + _span(10, 20) + _span(21, 31)
_BANK_LINHA = _pair_tables(
    47,
    [
        (_LUHN, _span(0, 9)),
        (_LUHN, _span(10, 20)),
        (_LUHN, _span(21, 31)),
        (_BANK11, _BANK_LINHA_BODY),
    ],
)
# Bank barcode: the general DV, then the DVs of the linha's three fields (to print it).
_BANK_BARCODE = _pair_tables(
    44,
    [
        (_BANK11, _span(0, 4) + _span(5, 44)),
        (_LUHN, _span(0, 4) + _span(19, 24)),
        (_LUHN, _span(24, 34)),
        (_LUHN, _span(34, 44)),
    ],
)
_COLLECTION_BODY = _span(0, 3) + _span(4, 44)
_COLLECTION_LINHA_BODY = _span(0, 3) + _span(4, 11) + _span(12, 23) + _span(24, 35) + _span(36, 47)
_COLLECTION = {}  # value id (ASCII code) -> (module, barcode tables, linha tables)
for _value_id, _module in (("6", _LUHN), ("7", _LUHN), ("8", _COLLECTION11)):
    _COLLECTION[ord(_value_id)] = (
        _module,
        # the general DV, then the DVs of the linha's four blocks
        _pair_tables(
            44,
            [
                (_module, _COLLECTION_BODY),
                (_module, _span(0, 11)),
                (_module, _span(11, 22)),
                (_module, _span(22, 33)),
                (_module, _span(33, 44)),
            ],
        ),
        _pair_tables(
            48,
            [
                (_module, _span(0, 11)),
                (_module, _span(12, 23)),
                (_module, _span(24, 35)),
                (_module, _span(36, 47)),
                (_module, _COLLECTION_LINHA_BODY),
            ],
        ),
    )
_COLLECTION[ord("9")] = _COLLECTION[ord("8")]
_PAIRS = {44: struct.Struct("<22H"), 48: struct.Struct("<24H")}
_UNPACK_44 = _PAIRS[44].unpack
_UNPACK_48 = _PAIRS[48].unpack
_DV_LUHN = _DV[_LUHN]
_FUNCTIONS = {_LUHN: mod10, _COLLECTION11: mod11_collection}
# check digit (as a str) of every possible lane sum
_DIGITS = {module: [chr(dv) for dv in table] for module, table in _DV.items()}
_DIGIT = _DIGITS[_LUHN]
_DV_BANK11 = _DV[_BANK11]
_EIGHT = ord("8")
_NINE = ord("9")
_ZERO = ord("0")


def _digits(code: object) -> str:
    if not isinstance(code, str):
        raise CodeError("characters", f"expected a string, got {type(code).__name__}")
    if not (code.isascii() and code.isdigit()):
        code = code.translate(_STRIP)
        if code and not (code.isascii() and code.isdigit()):  # nothing left: rule "length"
            raise CodeError("characters")
    return code


def _wrong(rule: str, expected: int, got: int) -> CodeError:
    return CodeError(rule, f"expected {chr(expected)}, got {chr(got)}")


def _check_bank_linha(raw: bytes) -> None:
    sums = sum(map(getitem, _BANK_LINHA, _UNPACK_48(raw + b"0")))
    dv = _DV_LUHN[sums & _MASK]
    if dv != raw[9]:
        raise _wrong("field_1_check_digit", dv, raw[9])
    dv = _DV_LUHN[sums >> 12 & _MASK]
    if dv != raw[20]:
        raise _wrong("field_2_check_digit", dv, raw[20])
    dv = _DV_LUHN[sums >> 24 & _MASK]
    if dv != raw[31]:
        raise _wrong("field_3_check_digit", dv, raw[31])
    dv = _DV_BANK11[sums >> 36]
    if dv != raw[32]:
        raise _wrong("general_check_digit", dv, raw[32])
    if raw[3] != _NINE and raw[3] != _ZERO:
        raise CodeError("currency", f"got {chr(raw[3])}")


def _check_bank_barcode(barcode: str, raw: bytes) -> str:
    """Check a bank barcode; its linha."""
    sums = sum(map(getitem, _BANK_BARCODE, _UNPACK_44(raw)))
    dv = _DV_BANK11[sums & _MASK]
    if dv != raw[4]:
        raise _wrong("general_check_digit", dv, raw[4])
    if raw[3] != _NINE and raw[3] != _ZERO:
        raise CodeError("currency", f"got {chr(raw[3])}")
    return (
        f"{barcode[0:4]}{barcode[19:24]}{_DIGIT[sums >> 12 & _MASK]}{barcode[24:34]}"
        f"{_DIGIT[sums >> 24 & _MASK]}{barcode[34:44]}{_DIGIT[sums >> 36]}{barcode[4:19]}"
    )


def _collection_tables(raw: bytes) -> tuple:
    tables = _COLLECTION.get(raw[2])
    if tables is None:
        raise CodeError("collection_value_id", f"got {chr(raw[2])}")
    return tables


def _check_collection_barcode(barcode: str, raw: bytes) -> str:
    """Check a collection barcode; its linha."""
    module, barcode_tables, _ = _collection_tables(raw)
    digit = _DIGITS[module]
    sums = sum(map(getitem, barcode_tables, _UNPACK_44(raw)))
    dv = _DV[module][sums & _MASK]
    if dv != raw[3]:
        raise _wrong("general_check_digit", dv, raw[3])
    return (
        f"{barcode[0:11]}{digit[sums >> 12 & _MASK]}{barcode[11:22]}{digit[sums >> 24 & _MASK]}"
        f"{barcode[22:33]}{digit[sums >> 36 & _MASK]}{barcode[33:44]}{digit[sums >> 48]}"
    )


def _check_collection_linha(raw: bytes) -> None:
    if raw[0] != _EIGHT:
        raise CodeError("product_id", f"got {chr(raw[0])}")
    module, _, linha_tables = _collection_tables(raw)
    dvs = _DV[module]
    sums = sum(map(getitem, linha_tables, _UNPACK_48(raw)))
    for block, position in enumerate((11, 23, 35, 47)):
        dv = dvs[sums >> (12 * block) & _MASK]
        if dv != raw[position]:
            raise _wrong(f"block_{block + 1}_check_digit", dv, raw[position])
    dv = dvs[sums >> 48]
    if dv != raw[3]:
        raise _wrong("general_check_digit", dv, raw[3])


def _checked(code: object) -> tuple[str, str, bool]:
    """(barcode, linha, is collection) of any checked code."""
    digits = _digits(code)
    raw = digits.encode("ascii")
    length = len(raw)
    if length == 47:
        _check_bank_linha(raw)
        return _bank_barcode_of(digits), digits, False
    if length == 48:
        _check_collection_linha(raw)
        return _collection_barcode_of(digits), digits, True
    if length == 44:
        if raw[0] == _EIGHT:
            return digits, _check_collection_barcode(digits, raw), True
        return digits, _check_bank_barcode(digits, raw), False
    raise CodeError("length", f"got {length} digits")


def _bank_barcode_of(linha: str) -> str:
    return linha[0:4] + linha[32:47] + linha[4:9] + linha[10:20] + linha[21:31]


def _collection_barcode_of(linha: str) -> str:
    return linha[0:11] + linha[12:23] + linha[24:35] + linha[36:47]


# Slots of DecodedCode, set directly: a frozen dataclass's __init__ goes through
# object.__setattr__ once per field, which doubled the cost of a decode (bench).
_new = object.__new__
(
    _set_kind,
    _set_barcode,
    _set_linha,
    _set_bank_code,
    _set_currency,
    _set_factor,
    _set_amount,
    _set_due_date,
    _set_free_field,
    _set_segment,
    _set_value_id,
) = (
    getattr(DecodedCode, name).__set__
    for name in (
        "kind",
        "barcode",
        "linha",
        "bank_code",
        "currency",
        "factor",
        "amount_cents",
        "due_date",
        "free_field",
        "segment",
        "value_id",
    )
)


def decode(code: str, *, today: date) -> DecodedCode:
    """Check and read a barcode or linha; CodeError names the first rule it breaks.

    `today` (a Brasilia date, passed in: the codec reads no clock) places the due-date factor
    in its window (see factor.py).
    """
    digits = _digits(code)
    raw = digits.encode("ascii")
    length = len(raw)
    if length == 47:
        _check_bank_linha(raw)
        return _bank(_bank_barcode_of(digits), digits, today)
    if length == 44:
        if raw[0] == _EIGHT:
            return _collection(digits, _check_collection_barcode(digits, raw))
        return _bank(digits, _check_bank_barcode(digits, raw), today)
    if length == 48:
        _check_collection_linha(raw)
        return _collection(_collection_barcode_of(digits), digits)
    raise CodeError("length", f"got {length} digits")


def _bank(barcode: str, linha: str, today: date) -> DecodedCode:
    factor = int(barcode[5:9])
    try:
        due_date = date_for(factor, today=today)
    except ValueError as exc:
        raise CodeError("due_factor", str(exc)) from None
    decoded = _new(DecodedCode)
    _set_kind(decoded, "bank")
    _set_barcode(decoded, barcode)
    _set_linha(decoded, linha)
    _set_bank_code(decoded, barcode[0:3])
    _set_currency(decoded, barcode[3])
    _set_factor(decoded, factor)
    _set_amount(decoded, int(barcode[9:19]) or None)
    _set_due_date(decoded, due_date)
    _set_free_field(decoded, barcode[19:44])
    _set_segment(decoded, None)
    _set_value_id(decoded, None)
    return decoded


def _collection(barcode: str, linha: str) -> DecodedCode:
    value_id = barcode[2]
    decoded = _new(DecodedCode)
    _set_kind(decoded, "collection")
    _set_barcode(decoded, barcode)
    _set_linha(decoded, linha)
    _set_bank_code(decoded, None)
    _set_currency(decoded, None)
    _set_factor(decoded, None)
    _set_amount(decoded, None if value_id in _REFERENCE_VALUE_IDS else int(barcode[4:15]) or None)
    _set_due_date(decoded, None)
    _set_free_field(decoded, barcode[15:44])
    _set_segment(decoded, barcode[1])
    _set_value_id(decoded, value_id)
    return decoded


def linha_from_barcode(barcode: str) -> str:
    """The linha digitavel (47 or 48 digits, no separators) of a checked 44-digit barcode."""
    digits = _digits(barcode)
    if len(digits) != 44:
        raise CodeError("length", f"a barcode has 44 digits, got {len(digits)}")
    return _checked(digits)[1]


def barcode_from_linha(linha: str) -> str:
    """The 44-digit barcode of a checked linha (47 or 48 digits, separators allowed)."""
    digits = _digits(linha)
    if len(digits) not in (47, 48):
        raise CodeError("length", f"a linha has 47 or 48 digits, got {len(digits)}")
    return _checked(digits)[0]


def format_linha(linha: str) -> str:
    """The printed form of a checked linha.

    Bank: `AAAAA.AAAAA BBBBB.BBBBBB CCCCC.CCCCCC D EEEEEEEEEEEEEE`;
    collection: `XXXXXXXXXXX-X XXXXXXXXXXX-X XXXXXXXXXXX-X XXXXXXXXXXX-X`.
    """
    digits = _digits(linha)
    if len(digits) not in (47, 48):
        raise CodeError("length", f"a linha has 47 or 48 digits, got {len(digits)}")
    d = _checked(digits)[1]
    if len(d) == 47:
        return f"{d[0:5]}.{d[5:10]} {d[10:15]}.{d[15:21]} {d[21:26]}.{d[26:32]} {d[32]} {d[33:47]}"
    return " ".join(f"{d[i : i + 11]}-{d[i + 11]}" for i in range(0, 48, 12))


def bank_barcode(
    *,
    bank_code: str,
    amount_cents: int,
    due_date: date | None,
    free_field: str,
    currency: str = "9",
) -> str:
    """A bank boleto's 44-digit barcode with its general DV (for issuing boletos).

    `due_date` None codes factor 0000 (no due date); amount 0 lets the payer choose.
    ValueError for an argument the layout cannot hold.
    """
    if not (len(bank_code) == 3 and bank_code.isascii() and bank_code.isdigit()):
        raise ValueError(f"bank_code must be 3 digits, got {bank_code!r}")
    if currency not in BANK_CURRENCIES:
        raise ValueError(f"currency must be 9 or 0, got {currency!r}")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError("amount_cents must be an int")
    if not 0 <= amount_cents <= MAX_AMOUNT_CENTS:
        raise ValueError(f"amount_cents must be 0..{MAX_AMOUNT_CENTS}, got {amount_cents}")
    if not (len(free_field) == 25 and free_field.isascii() and free_field.isdigit()):
        raise ValueError("free_field must be 25 digits")
    factor = 0 if due_date is None else factor_for(due_date)
    body = f"{bank_code}{currency}{factor:04d}{amount_cents:010d}{free_field}"
    return f"{body[:4]}{mod11_bank(body)}{body[4:]}"


def collection_barcode(*, segment: str, value_id: str, value: int, free_field: str) -> str:
    """A collection (arrecadacao) 44-digit barcode with its general DV.

    `free_field` is barcode positions 16-44 (29 digits: company id and the company's data).
    """
    if not (len(segment) == 1 and segment.isascii() and segment.isdigit()):
        raise ValueError(f"segment must be one digit, got {segment!r}")
    tables = _COLLECTION.get(ord(value_id)) if len(value_id) == 1 else None
    if tables is None:
        raise ValueError(f"value_id must be 6, 7, 8 or 9, got {value_id!r}")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 99_999_999_999:
        raise ValueError("value must be an int of at most 11 digits")
    if not (len(free_field) == 29 and free_field.isascii() and free_field.isdigit()):
        raise ValueError("free_field must be 29 digits")
    body = f"8{segment}{value_id}{value:011d}{free_field}"
    return f"{body[:3]}{_FUNCTIONS[tables[0]](body)}{body[3:]}"
