"""Property tests of the boleto codec: round trips, and every single-digit change.

What the standard cannot catch (and so the codec, which checks every DV, accepts):

1. Bank barcode (44) and bank linha field 5 (factor and amount, linha positions 34-47):
   only the general DV guards them, mod 11 with weights 2..9. A substitution of one digit
   changes the weighted sum by w x delta (w in 2..9, delta in 1..9, 11 prime), so the
   remainder always changes; but the DV maps remainders 0, 1 and 10 all to DV 1. A change
   that moves the remainder between 0, 1 and 10 keeps the DV and passes. Everything else is
   caught: a digit of fields 1-3 of the linha by its field's mod 10 (which catches every
   single substitution), the general DV digit itself by the mod 11.
2. Collection codes whose value id is 8 or 9 (mod 11 arrecadacao): remainders 0 and 1 both
   give DV 0, so a substitution moving a remainder between 0 and 1 keeps that DV. In a linha
   the digit is guarded twice, by its block DV and by the general DV: it passes only when
   both remainders move between 0 and 1. Mod 10 (value ids 6, 7) catches every substitution.
3. Changing the value id across families (6/7 <-> 8/9) changes the module of every DV: it
   passes only if all of them happen to hold under the other module.
4. A 44-digit barcode's first digit decides its kind: a bank barcode whose first digit
   becomes 8 is read as a collection barcode (and a collection one whose 8 changes as a bank
   one), which passes only if its digits happen to satisfy the other layout's rules.

The tests below check, for every position and every other digit, that the codec accepts a
changed code exactly when a plain, independent reading of the rules does, and that each such
acceptance is one of the four cases above. A changed factor may also fall outside the date
window: then the codec refuses with "due_factor" where the check digits alone would pass.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.boleto.codecs.codes import (
    CodeError,
    bank_barcode,
    barcode_from_linha,
    collection_barcode,
    decode,
    format_linha,
    linha_from_barcode,
)

TODAY = date(2026, 6, 1)
DIGITS = "0123456789"


# --- a plain reading of the rules, independent of the codec --------------------------------


def remainder11(digits: str) -> int:
    return sum(int(d) * (2 + i % 8) for i, d in enumerate(reversed(digits))) % 11


def luhn(digits: str) -> int:
    total = 0
    for i, d in enumerate(reversed(digits)):
        product = int(d) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def bank_dv(digits: str) -> int:
    dv = 11 - remainder11(digits)
    return 1 if dv in (0, 10, 11) else dv


def collection11_dv(digits: str) -> int:
    r = remainder11(digits)
    return 0 if r in (0, 1) else 1 if r == 10 else 11 - r


def collection_dv(value_id: str, digits: str) -> int:
    return luhn(digits) if value_id in "67" else collection11_dv(digits)


def plain_bank_barcode_ok(b: str) -> bool:
    return b[3] in "90" and int(b[4]) == bank_dv(b[:4] + b[5:])


def plain_collection_barcode_ok(b: str) -> bool:
    return b[0] == "8" and b[2] in "6789" and int(b[3]) == collection_dv(b[2], b[:3] + b[4:])


def plain_barcode_ok(b: str) -> bool:
    return plain_collection_barcode_ok(b) if b[0] == "8" else plain_bank_barcode_ok(b)


def plain_bank_linha_ok(line: str) -> bool:
    fields = ((0, 9), (10, 20), (21, 31))
    if any(luhn(line[a:b]) != int(line[b]) for a, b in fields):
        return False
    return plain_bank_barcode_ok(line[0:4] + line[32:47] + line[4:9] + line[10:20] + line[21:31])


def plain_collection_linha_ok(line: str) -> bool:
    if line[0] != "8" or line[2] not in "6789":
        return False
    blocks = [line[i : i + 11] for i in range(0, 48, 12)]
    if any(
        collection_dv(line[2], block) != int(line[i + 11])
        for i, block in zip(range(0, 48, 12), blocks, strict=True)
    ):
        return False
    return plain_collection_barcode_ok("".join(blocks))


def plain_ok(code: str) -> bool:
    return {44: plain_barcode_ok, 47: plain_bank_linha_ok, 48: plain_collection_linha_ok}[
        len(code)
    ](code)


# --- the explained cases ------------------------------------------------------------------

COLLAPSE_BANK = {0, 1, 10}
COLLAPSE_COLLECTION = {0, 1}


def bank_body_of_barcode(b: str) -> str:
    return b[:4] + b[5:]


def bank_body_of_linha(line: str) -> str:
    return line[0:4] + line[33:47] + line[4:9] + line[10:20] + line[21:31]


def explained(original: str, changed: str, position: int) -> bool:
    """Whether a single-digit change that passes is one the standard cannot catch."""
    length = len(original)
    if length == 44:
        if (original[0] == "8") != (changed[0] == "8"):
            return True  # case 4: read as the other kind
        if original[0] != "8":  # case 1, bank barcode
            return (
                position != 4
                and {
                    remainder11(bank_body_of_barcode(original)),
                    remainder11(bank_body_of_barcode(changed)),
                }
                <= COLLAPSE_BANK
            )
        if (original[2] in "67") != (changed[2] in "67"):
            return True  # case 3
        return (
            original[2] in "89"
            and {
                remainder11(original[:3] + original[4:]),
                remainder11(changed[:3] + changed[4:]),
            }
            <= COLLAPSE_COLLECTION
        )  # case 2
    if length == 47:  # case 1: only in field 5
        return (
            33 <= position <= 46
            and {
                remainder11(bank_body_of_linha(original)),
                remainder11(bank_body_of_linha(changed)),
            }
            <= COLLAPSE_BANK
        )
    # collection linha
    if (original[2] in "67") != (changed[2] in "67"):
        return True  # case 3
    if original[2] not in "89" or position % 12 == 11:
        return False
    start = position - position % 12
    general_before = barcode_from_plain_linha(original)
    general_after = barcode_from_plain_linha(changed)
    return {
        remainder11(original[start : start + 11]),
        remainder11(changed[start : start + 11]),
    } <= COLLAPSE_COLLECTION and {
        remainder11(general_before[:3] + general_before[4:]),
        remainder11(general_after[:3] + general_after[4:]),
    } <= COLLAPSE_COLLECTION  # case 2


def barcode_from_plain_linha(line: str) -> str:
    return "".join(line[i : i + 11] for i in range(0, 48, 12))


def codec_verdict(code: str) -> str | None:
    """None when the codec accepts, else the rule it names."""
    try:
        decode(code, today=TODAY)
    except CodeError as exc:
        return exc.rule
    return None


def check_every_single_change(code: str) -> int:
    """Assert the property for every position and digit; return how many changes passed."""
    passed = 0
    for position, original_digit in enumerate(code):
        for digit in DIGITS:
            if digit == original_digit:
                continue
            changed = code[:position] + digit + code[position + 1 :]
            verdict = codec_verdict(changed)
            plain = plain_ok(changed)
            if verdict is None:
                passed += 1
                assert plain, (code, position, digit)
                assert explained(code, changed, position), (code, position, digit)
            elif plain:
                assert verdict == "due_factor", (code, position, digit, verdict)
    return passed


# --- strategies ---------------------------------------------------------------------------

digit_strings = lambda n: st.text(DIGITS, min_size=n, max_size=n)  # noqa: E731

bank_barcodes = st.builds(
    lambda bank, amount, offset, free, no_date: bank_barcode(
        bank_code=bank,
        amount_cents=amount,
        due_date=None if no_date else TODAY + timedelta(days=offset),
        free_field=free,
    ),
    digit_strings(3).filter(lambda b: b[0] != "8"),
    st.integers(0, 9_999_999_999),
    st.integers(-3000, 5500),
    digit_strings(25),
    st.booleans(),
)
collection_barcodes = st.builds(
    lambda segment, value_id, value, free: collection_barcode(
        segment=segment, value_id=value_id, value=value, free_field=free
    ),
    st.sampled_from(DIGITS),
    st.sampled_from("6789"),
    st.integers(0, 99_999_999_999),
    digit_strings(29),
)


@given(bank_barcodes | collection_barcodes)
def test_round_trip(barcode):
    linha = linha_from_barcode(barcode)
    assert len(linha) == (48 if barcode[0] == "8" else 47)
    assert barcode_from_linha(linha) == barcode
    assert barcode_from_linha(format_linha(linha)) == barcode
    from_barcode = decode(barcode, today=TODAY)
    assert decode(linha, today=TODAY) == from_barcode
    assert decode(format_linha(linha), today=TODAY) == from_barcode
    assert (from_barcode.barcode, from_barcode.linha) == (barcode, linha)
    assert plain_ok(barcode) and plain_ok(linha)


@settings(max_examples=60, deadline=None)
@given(bank_barcodes)
def test_every_single_change_of_a_bank_barcode(barcode):
    check_every_single_change(barcode)


@settings(max_examples=60, deadline=None)
@given(bank_barcodes)
def test_every_single_change_of_a_bank_linha(barcode):
    check_every_single_change(linha_from_barcode(barcode))


@settings(max_examples=60, deadline=None)
@given(collection_barcodes)
def test_every_single_change_of_a_collection_barcode(barcode):
    check_every_single_change(barcode)


@settings(max_examples=60, deadline=None)
@given(collection_barcodes)
def test_every_single_change_of_a_collection_linha(barcode):
    check_every_single_change(linha_from_barcode(barcode))


def test_fields_1_to_3_of_a_bank_linha_catch_every_change():
    """Mod 10 catches every single substitution: no change in fields 1-3 ever passes."""
    barcode = bank_barcode(
        bank_code="332", amount_cents=12345, due_date=TODAY, free_field="0123456789" * 2 + "01234"
    )
    linha = linha_from_barcode(barcode)
    for position in range(33):
        for digit in DIGITS:
            if digit != linha[position]:
                changed = linha[:position] + digit + linha[position + 1 :]
                assert codec_verdict(changed) is not None


def test_the_bank_collapse_is_real():
    """A concrete change the standard cannot catch: the amount changes, the DV stays 1."""
    free = "0" * 25
    for amount in range(1000, 2000):
        barcode = bank_barcode(
            bank_code="332", amount_cents=amount, due_date=TODAY, free_field=free
        )
        if remainder11(bank_body_of_barcode(barcode)) == 0:
            break
    assert barcode[4] == "1"
    passed = check_every_single_change(barcode)
    assert passed > 0  # some changes to remainder 1 or 10 pass, each one explained


def test_the_collection_collapse_is_real():
    for value in range(1000, 3000):
        barcode = collection_barcode(segment="2", value_id="8", value=value, free_field="7" * 29)
        if remainder11(barcode[:3] + barcode[4:]) == 0:
            break
    assert barcode[3] == "0"
    assert check_every_single_change(barcode) > 0
