"""FEBRABAN check digits of boleto codes (reference: shared boleto-ted-loans.md 1.1-1.4).

* `mod10`: weights 2,1,2,1... from the rightmost digit, the digits of each product summed
  (Luhn); DV = (10 - sum % 10) % 10. Field DVs of the bank linha, and every DV of an
  arrecadacao code whose value id is 6 or 7.
* `mod11_bank`: weights 2..9 cycling from the rightmost digit; DV = 11 - sum % 11, and a
  result of 0, 10 or 11 becomes 1 (a bank DV is never 0). The general DV of a bank barcode.
* `mod11_collection`: same weights; r = sum % 11; r 0 or 1 -> 0, r 10 -> 1, else 11 - r.
  Every DV of an arrecadacao code whose value id is 8 or 9.

Each takes ASCII digits as `str` or `bytes` (the codec's hot path passes bytes slices, which
it sums without converting digit by digit) and does not check that they are digits: the
caller has.
"""

from __future__ import annotations

_ZERO = ord("0")
# ASCII digit -> digit sum of twice the digit (0 2 4 6 8 1 3 5 7 9), for mod 10's weight 2.
_DOUBLED = bytes.maketrans(b"0123456789", bytes([0, 2, 4, 6, 8, 1, 3, 5, 7, 9]))

# Weight tables, computed once per length (the codec uses a handful: 9, 10, 11, 43): for mod
# 11, the slice of the digits that carries each weight 2..9 (counted from the right) and the
# weighted sum of the ASCII offset to take back; for mod 10, the slices of weight 2 and 1.
_MOD11: dict[int, tuple[tuple[tuple[int, slice], ...], int]] = {}
_MOD10: dict[int, tuple[slice, slice, int]] = {}


def _mod11_table(length: int) -> tuple[tuple[tuple[int, slice], ...], int]:
    columns = []
    offset = 0
    for k in range(min(8, length)):
        weight = k + 2
        column = slice(length - 1 - k, None, -8)
        columns.append((weight, column))
        offset += weight * _ZERO * len(range(length - 1 - k, -1, -8))
    table = (tuple(columns), offset)
    _MOD11[length] = table
    return table


def _mod10_table(length: int) -> tuple[slice, slice, int]:
    doubled = slice((length - 1) % 2, None, 2)  # the rightmost digit has weight 2
    single = slice(length % 2, None, 2)
    table = (doubled, single, _ZERO * len(range(length % 2, length, 2)))
    _MOD10[length] = table
    return table


def _ascii(digits: str | bytes) -> bytes:
    return digits.encode("ascii") if isinstance(digits, str) else digits


def mod10(digits: str | bytes) -> int:
    digits = _ascii(digits)
    doubled, single, offset = _MOD10.get(len(digits)) or _mod10_table(len(digits))
    return (offset - sum(digits[doubled].translate(_DOUBLED)) - sum(digits[single])) % 10


def _mod11_sum(digits: bytes) -> int:
    """Sum of digit x weight, weights 2..9 cycling from the rightmost digit."""
    columns, offset = _MOD11.get(len(digits)) or _mod11_table(len(digits))
    total = -offset
    for weight, column in columns:
        total += weight * sum(digits[column])
    return total


def mod11_bank(digits: str | bytes) -> int:
    dv = 11 - _mod11_sum(_ascii(digits)) % 11
    return 1 if dv > 9 else dv  # 10 and 11 (remainders 1 and 0) become 1


def mod11_collection(digits: str | bytes) -> int:
    remainder = _mod11_sum(_ascii(digits)) % 11
    if remainder < 2:
        return 0
    if remainder == 10:
        return 1
    return 11 - remainder
