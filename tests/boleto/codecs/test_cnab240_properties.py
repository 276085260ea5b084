"""CNAB 240 cobrança codec, property-based: write -> parse round trips, and corrupted files are
either refused with CnabError or parse differently, never with another exception."""

from __future__ import annotations

import contextlib
import string
import unicodedata
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.boleto.codecs.cnab240 import (
    RETURN_OCCURRENCES,
    CnabError,
    FileHeader,
    ReturnItem,
    Title,
    parse_remittance,
    parse_return,
    spec,
    write_remittance,
    write_return,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DIGITS = "0123456789"
ACCENTED = "AaÁáÀàÂâÃãÄäÇçÉéÊêÍíÓóÔôÕõÚúÜüÑñ"
NAME_CHARS = ACCENTED + string.ascii_letters + DIGITS + " -/.,&'ºª"


def expected_text(value: str, width: int) -> str:
    """What a text field reads back as: upper-case ASCII, accents dropped, cut to width."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    printable = "".join(c if 32 <= ord(c) < 127 else " " for c in folded)
    return printable.upper().strip()[:width].rstrip()


def digits(min_size: int, max_size: int | None = None) -> st.SearchStrategy[str]:
    return st.text(DIGITS, min_size=min_size, max_size=min_size if max_size is None else max_size)


texts = st.text(NAME_CHARS, max_size=50) | st.text(max_size=50)  # any Unicode, control chars too
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31))
optional_dates = st.none() | dates
cents15 = st.integers(0, 10**15 - 1)  # fields of 15 digits: 13 of reais and 2 of centavos
tax_ids = digits(11) | digits(14)


@st.composite
def headers(draw, kind: str) -> FileHeader:
    return FileHeader(
        bank_code=draw(digits(3)),
        company_tax_id=draw(tax_ids),
        company_name=draw(texts),
        agreement=draw(texts),
        agency=draw(digits(5)),
        account=draw(digits(12)),
        file_kind=kind,  # type: ignore[arg-type]
        generated_at=draw(
            st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31))
        ).replace(microsecond=0),
        sequence=draw(st.integers(0, 999_999)),
        bank_name=draw(texts),
        agency_digit=draw(st.sampled_from(["", "X", "0", "7"])),
        account_digit=draw(st.sampled_from(["", "X", "0", "7"])),
    )


@st.composite
def titles(draw) -> Title:
    payer_tax_id = draw(tax_ids)
    guarantor_tax_id = draw(st.just("") | tax_ids)
    return Title(
        nosso_numero=draw(digits(1, 20)),
        seu_numero=draw(texts),
        due_date=draw(dates),
        amount_cents=draw(cents15),
        issue_date=draw(dates),
        interest_code=draw(st.integers(1, 3)),
        interest_date=draw(optional_dates),
        interest_value=draw(cents15),
        discount_code=draw(st.integers(0, 2)),
        discount_date=draw(optional_dates),
        discount_value=draw(cents15),
        rebate_cents=draw(cents15),
        payer_kind=1 if len(payer_tax_id) == 11 else 2,
        payer_tax_id=payer_tax_id,
        payer_name=draw(texts),
        payer_address=draw(texts),
        payer_district=draw(texts),
        payer_zip=draw(digits(8)),
        payer_city=draw(texts),
        payer_state=draw(st.sampled_from(["SP", "RJ", "MG", "ba", ""])),
        fine_code=draw(st.integers(0, 2)),
        fine_date=draw(optional_dates),
        fine_value=draw(cents15),
        movement=draw(st.sampled_from([1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 31])),
        wallet=draw(st.integers(0, 9)),
        title_kind=draw(st.integers(0, 99)),
        iof_cents=draw(cents15),
        company_use=draw(texts),
        protest_code=draw(st.integers(0, 9)),
        protest_days=draw(st.integers(0, 99)),
        writeoff_code=draw(st.integers(0, 9)),
        writeoff_days=draw(st.integers(0, 999)),
        guarantor_kind={0: 0, 11: 1, 14: 2}[len(guarantor_tax_id)],
        guarantor_tax_id=guarantor_tax_id,
        guarantor_name=draw(texts),
    )


motive_codes = st.text(DIGITS + string.ascii_uppercase, min_size=2, max_size=2).filter(
    lambda m: m != "00"
)


@st.composite
def return_items(draw) -> ReturnItem:
    return ReturnItem(
        nosso_numero=draw(digits(0, 20)),
        seu_numero=draw(texts),
        movement=draw(st.sampled_from(sorted(RETURN_OCCURRENCES)) | digits(2)),
        due_date=draw(optional_dates),
        face_value=draw(cents15),
        bank_code=draw(digits(3)),
        collecting_agency=draw(digits(5)),
        fee_cents=draw(cents15),
        motives=tuple(draw(st.lists(motive_codes, max_size=5))),
        payer_tax_id=draw(st.just("") | tax_ids),
        payer_name=draw(texts),
        interest_cents=draw(cents15),
        discount_cents=draw(cents15),
        rebate_cents=draw(cents15),
        iof_cents=draw(cents15),
        paid_cents=draw(cents15),
        net_cents=draw(cents15),
        other_expenses=draw(cents15),
        other_credits=draw(cents15),
        occurrence_date=draw(dates),
        credit_date=draw(optional_dates),
        company_use=draw(texts),
    )


def as_read(header: FileHeader) -> FileHeader:
    return FileHeader(
        bank_code=header.bank_code,
        company_tax_id=header.company_tax_id,
        company_name=expected_text(header.company_name, 30),
        agreement=expected_text(header.agreement, 20),
        agency=header.agency,
        account=header.account,
        file_kind=header.file_kind,
        generated_at=header.generated_at,
        sequence=header.sequence,
        bank_name=expected_text(header.bank_name, 30),
        agency_digit=header.agency_digit,
        account_digit=header.account_digit,
    )


TEXT_WIDTHS_TITLE = {
    "seu_numero": 15,
    "payer_name": 40,
    "payer_address": 40,
    "payer_district": 15,
    "payer_city": 15,
    "payer_state": 2,
    "company_use": 25,
    "guarantor_name": 40,
}
TEXT_WIDTHS_ITEM = {"seu_numero": 15, "payer_name": 40, "company_use": 25}


def fields_of(value) -> dict:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}


@SETTINGS
@given(headers("remittance"), st.lists(titles(), max_size=4))
def test_remittance_round_trip(header, written):
    text = write_remittance(header, written)
    assert all(len(line) == 240 for line in text.split("\r\n")[:-1])
    assert text.isascii()
    parsed = parse_remittance(text)
    assert parsed.header == as_read(header)
    assert len(parsed.titles) == len(written)
    for got, sent in zip(parsed.titles, written, strict=True):
        expected = fields_of(sent)
        for name, width in TEXT_WIDTHS_TITLE.items():
            expected[name] = expected_text(expected[name], width)
        assert fields_of(got) == expected


@SETTINGS
@given(headers("return"), st.lists(return_items(), max_size=4))
def test_return_round_trip(header, written):
    text = write_return(header, written)
    parsed = parse_return(text)
    assert parsed.header == as_read(header)
    assert parsed.line_count == (4 + 2 * len(written) if written else 2)  # one lote when any
    for index, (got, sent) in enumerate(zip(parsed.items, written, strict=True)):
        expected = fields_of(sent)
        for name, width in TEXT_WIDTHS_ITEM.items():
            expected[name] = expected_text(expected[name], width)
        expected["line_t"] = 3 + 2 * index
        expected["line_u"] = 4 + 2 * index
        assert fields_of(got) == expected


# -- corruption --------------------------------------------------------------------------------

RECORDS_BY_TYPE = {
    "0": spec.FILE_HEADER,
    "1": spec.LOTE_HEADER,
    "5": spec.LOTE_TRAILER,
    "9": spec.FILE_TRAILER,
}

# Numeric fields the return parser checks for digits but whose value it does not return
# (a digit changed there parses to the same result). Every other numeric field either
# reaches ReturnFile or is checked against something (counts, lote numbers, sequences).
UNREAD = {
    "file_header": {"layout_version", "density"},
    "lote_header": {
        "layout_version",
        "company_kind",
        "company_tax_id",
        "agency",
        "account",
        "file_number",
        "recorded_date",
        "credit_date",
    },
    "segment_t": {"agency", "account", "wallet", "currency", "contract"},
    "segment_u": {"payer_occurrence_date", "payer_occurrence_amount", "correspondent_bank"},
    "lote_trailer": {
        "simple_count",
        "simple_total",
        "linked_count",
        "linked_total",
        "secured_count",
        "secured_total",
        "discounted_count",
        "discounted_total",
    },
    "file_trailer": {"account_count"},
}


def record_of(line: str) -> spec.Record:
    return RECORDS_BY_TYPE.get(line[7]) or spec.SEGMENTS[line[13]]


@SETTINGS
@given(
    headers("return"),
    st.lists(return_items(), min_size=1, max_size=3),
    st.data(),
)
def test_corrupting_a_numeric_field_is_refused_or_changes_the_result(header, items, data):
    text = write_return(header, items)
    original = parse_return(text)
    lines = text.split("\r\n")[:-1]
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    record = record_of(lines[index])
    field = data.draw(
        st.sampled_from([f for f in record.fields if f.kind != spec.A]), label="field"
    )
    position = data.draw(st.integers(field.start, field.end), label="position")
    old = lines[index][position - 1]
    new = data.draw(
        st.sampled_from([c for c in map(chr, range(32, 127)) if c != old]), label="char"
    )
    line = lines[index]
    lines[index] = line[: position - 1] + new + line[position:]
    corrupted = "\r\n".join(lines) + "\r\n"
    try:
        parsed = parse_return(corrupted)
    except CnabError as error:
        assert error.line >= index + 1  # never blamed on a line before the damage
        return
    assert new.isdigit(), "a non-digit in a numeric field must be refused"
    if field.name not in UNREAD.get(record.name, set()):
        assert parsed != original


@SETTINGS
@given(
    headers("return"),
    st.lists(return_items(), min_size=1, max_size=3),
    st.data(),
)
def test_any_single_character_corruption_never_escapes_as_another_exception(header, items, data):
    text = write_return(header, items)
    position = data.draw(st.integers(0, len(text) - 1), label="position")
    new = data.draw(st.characters(), label="char")
    corrupted = text[:position] + new + text[position + 1 :]
    with contextlib.suppress(CnabError):
        parse_return(corrupted)


@SETTINGS
@given(
    headers("remittance"),
    st.lists(titles(), min_size=1, max_size=3),
    st.data(),
)
def test_remittance_corruption_never_escapes_as_another_exception(header, written, data):
    text = write_remittance(header, written)
    position = data.draw(st.integers(0, len(text) - 1), label="position")
    new = data.draw(st.sampled_from([*map(chr, range(32, 127)), "\n", "\u00e9"]), label="char")
    corrupted = text[:position] + new + text[position + 1 :]
    with contextlib.suppress(CnabError):
        parse_remittance(corrupted)


@SETTINGS
@given(st.text(max_size=600))
def test_arbitrary_text_is_refused_cleanly(text):
    with contextlib.suppress(CnabError):
        parse_return(text)
