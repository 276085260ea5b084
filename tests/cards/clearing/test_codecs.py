"""ATHENA-CLR 001 (apps.cards.clearing.codecs): what a file looks like, and a bad file refused
with its line and field. Pure: no database."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.cards.clearing import codecs as clr
from apps.cards.clearing.codecs import layout

HEADER = clr.ClearingHeader(
    business_day=dt.date(2026, 3, 2),
    created_at=dt.datetime(2026, 3, 2, 23, 10, 5),
    file_sequence=7,
    issuer_id="13140088",
)


def item(code: str = clr.PRESENTMENT, amount: int = 12_345, arn: str = "1" * 23, **fields):
    values = {
        "transaction_code": code,
        "arn": arn,
        "card_bin": "506727",
        "card_last4": "1234",
        "card_token": "tok_0123456789abcdef01234567",
        "transaction_date": dt.date(2026, 3, 1),
        "amount_cents": amount,
        "mcc": "5812",
        "auth_code": "A1B2C3",
        "rrn": "000000000042",
        "stan": "000042",
        "merchant_id": "MERCHANT000001",
        "merchant_name": "Café São João",
        "merchant_city": "São Paulo",
        **fields,
    }
    return clr.ClearingItem(**values)


def sample() -> str:
    return clr.write_file(
        HEADER,
        [
            item(),
            item(clr.REFUND, 2_000, "2" * 23),
            item(clr.PRESENTMENT_REVERSAL, 12_345, "3" * 23, original_arn="1" * 23),
        ],
    )


def replace(text: str, line: int, start: int, value: str) -> str:
    lines = text.split("\n")
    target = lines[line - 1]
    lines[line - 1] = target[: start - 1] + value + target[start - 1 + len(value) :]
    return "\n".join(lines)


def test_the_layout_tiles_every_record():
    for record in layout.RECORDS:
        assert record.fields[0].start == 1
        assert record.fields[-1].end == layout.RECORD_LENGTH


def test_a_file_reads_back_with_its_totals():
    text = sample()
    lines = text.splitlines()
    assert [len(line) for line in lines] == [250] * 5
    assert [line[0] for line in lines] == ["H", "D", "D", "D", "T"]
    parsed = clr.parse_file(text)
    assert parsed.header == HEADER
    assert [i.line for i in parsed.items] == [2, 3, 4]
    first = parsed.items[0]
    assert first.merchant_name == "CAFE SAO JOAO" and first.merchant_city == "SAO PAULO"
    assert first.card_token == "tok_0123456789abcdef01234567"  # identifiers keep their case
    assert parsed.totals.debit_total == 12_345
    assert parsed.totals.credit_total == 14_345
    assert parsed.totals.net == -2_000
    assert lines[-1][55:71] == "C" + "2000".zfill(15)


def test_crlf_line_ends_are_accepted():
    assert clr.parse_file(sample().replace("\n", "\r\n")).totals.detail_count == 3


@pytest.mark.parametrize(
    ("mutate", "line", "field"),
    [
        (lambda t: replace(t, 3, 132, "000000000000"), 3, "detail.amount"),
        (lambda t: replace(t, 2, 132, "00000000012X"), 2, "detail.amount"),
        (lambda t: replace(t, 2, 8, "07"), 2, "detail.transaction_code"),
        (lambda t: replace(t, 2, 124, "20260230"), 2, "detail.transaction_date"),
        (lambda t: replace(t, 4, 33, "0" * 23), 4, "detail.original_arn"),
        (
            lambda t: replace(t, 3, 10, "1" * 23).replace("D000003" + "06", "D000003" + "05"),
            3,
            "detail.arn",
        ),
        (lambda t: replace(t, 2, 68, " " * 32), 2, "detail.card_token"),
        (lambda t: replace(t, 2, 56, "50672   "), 2, "detail.card_bin"),
        (lambda t: replace(t, 2, 240, "X"), 2, "detail.filler"),
        (lambda t: replace(t, 3, 2, "000009"), 3, "detail.record_number"),
        (lambda t: replace(t, 1, 8, "002"), 1, "header.layout_version"),
        (lambda t: replace(t, 1, 55, "840"), 1, "header.currency"),
        (lambda t: replace(t, 1, 35, "20261399000000"), 1, "header.created_at"),
        (lambda t: replace(t, 5, 8, "000004"), 5, "trailer.detail_count"),
        (lambda t: replace(t, 5, 20, "0" * 14 + "1"), 5, "trailer.debit_total"),
        (lambda t: replace(t, 5, 56, "D"), 5, "trailer.net_side"),
        (lambda t: replace(t, 5, 57, "0" * 15), 5, "trailer.net_amount"),
        (lambda t: replace(t, 3, 1, "T"), 3, "record_type"),
        (lambda t: replace(t, 2, 163, "É"), 2, "charset"),
        (lambda t: t.replace("\n", " \n", 2), 1, "record_length"),
        (lambda t: "\n".join(t.split("\n")[:4]) + "\n", 4, "record_type"),
        (lambda t: t.split("\n")[0] + "\n", 1, "record_type"),
        (lambda t: "", 0, "file"),
    ],
)
def test_a_bad_file_is_refused_naming_the_line_and_the_field(mutate, line, field):
    with pytest.raises(clr.ClearingFileError) as refused:
        clr.parse_file(mutate(sample()))
    assert (refused.value.line, refused.value.field) == (line, field), refused.value
    assert f"line {line}, field {field}" in str(refused.value)


@pytest.mark.parametrize(
    "bad",
    [
        {"amount_cents": 0},
        {"amount_cents": 10**12},
        {"transaction_code": "07"},
        {"arn": "0" * 23},
        {"arn": "1" * 24},
        {"card_bin": "5067"},
        {"card_token": ""},
        {"card_token": "tok_" + "x" * 40},
        {"rrn": "ÁÉ"},
        {"transaction_code": clr.REFUND_REVERSAL, "original_arn": ""},
    ],
)
def test_the_writer_refuses_what_would_change_meaning(bad):
    with pytest.raises(ValueError):
        clr.write_file(HEADER, [item(**bad)])


def test_no_pan_fits_the_card_fields():
    """The layout has no field a PAN fits in besides the token's: BIN (8) and last four."""
    widths = {f.name: f.width for f in layout.DETAIL.fields}
    assert widths["card_bin"] == 8 and widths["card_last4"] == 4
