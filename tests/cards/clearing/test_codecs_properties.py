"""ATHENA-CLR 001 property-based: write -> parse round trips, and a corrupted file is either
refused with ClearingFileError or parses, never with another exception."""

from __future__ import annotations

import datetime as dt
import string
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.cards.clearing import codecs as clr

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DIGITS = "0123456789"
IDENT = string.ascii_letters + DIGITS + "_-"
NAME_CHARS = "AaÁáÃãÇçÉéÕõÜü" + string.ascii_letters + DIGITS + " -/.,&'"


def digits(size: int) -> st.SearchStrategy[str]:
    return st.text(DIGITS, min_size=size, max_size=size)


def nonzero(size: int) -> st.SearchStrategy[str]:
    return digits(size).filter(lambda s: s.strip("0"))


def identifier(max_size: int, min_size: int = 0) -> st.SearchStrategy[str]:
    return st.text(IDENT, min_size=min_size, max_size=max_size)


def expected_text(value: str, width: int) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    printable = "".join(c if " " <= c <= "~" else " " for c in folded)
    return printable.upper().strip()[:width].rstrip()


dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31))
texts = st.text(NAME_CHARS, max_size=60) | st.text(max_size=60)


@st.composite
def items(draw) -> clr.ClearingItem:
    code = draw(st.sampled_from(sorted(clr.TRANSACTION_CODES)))
    reversal = code in (clr.PRESENTMENT_REVERSAL, clr.REFUND_REVERSAL)
    return clr.ClearingItem(
        transaction_code=code,
        arn=draw(nonzero(23)),
        original_arn=draw(nonzero(23)) if reversal else draw(st.just("") | nonzero(23)),
        card_bin=draw(st.integers(6, 8).flatmap(digits)),
        card_last4=draw(digits(4)),
        card_token=draw(identifier(32, 1)),
        auth_code=draw(identifier(6)),
        rrn=draw(identifier(12)),
        stan=draw(st.just("") | nonzero(6)),
        transaction_date=draw(dates),
        amount_cents=draw(st.integers(1, 10**12 - 1)),
        mcc=draw(digits(4)),
        merchant_id=draw(identifier(15)),
        merchant_name=draw(texts),
        merchant_city=draw(texts),
        merchant_country=draw(digits(3)),
    )


@st.composite
def headers(draw) -> clr.ClearingHeader:
    return clr.ClearingHeader(
        business_day=draw(dates),
        created_at=draw(
            st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(9999, 1, 1))
        ).replace(microsecond=0),
        file_sequence=draw(st.integers(0, 999_999)),
        issuer_id=draw(digits(8)),
        network=draw(identifier(8)),
    )


def unique_arns(values: list[clr.ClearingItem]) -> list[clr.ClearingItem]:
    seen, kept = set(), []
    for value in values:
        key = (value.transaction_code, value.arn)
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


@SETTINGS
@given(headers(), st.lists(items(), max_size=20).map(unique_arns))
def test_write_then_parse_is_the_identity_modulo_text_folding(header, details):
    text = clr.write_file(header, details)
    parsed = clr.parse_file(text)
    assert parsed.header == header
    assert len(parsed.items) == len(details)
    for number, (got, sent) in enumerate(zip(parsed.items, details, strict=True), start=2):
        assert got.line == number
        assert got.merchant_name == expected_text(sent.merchant_name, 40)
        assert got.merchant_city == expected_text(sent.merchant_city, 13)
        normalized = clr.ClearingItem(
            **{
                **{f: getattr(sent, f) for f in sent.__slots__},
                "merchant_name": got.merchant_name,
                "merchant_city": got.merchant_city,
                "line": number,
            }
        )
        assert got == normalized
    assert parsed.totals == clr.ClearingTotals.of(details)
    assert parsed.totals.net == sum(d.signed_amount for d in details)
    assert clr.write_file(parsed.header, parsed.items) == text  # a fixed point


@SETTINGS
@given(
    headers(),
    st.lists(items(), min_size=1, max_size=5).map(unique_arns),
    st.data(),
)
def test_a_corrupted_file_is_refused_with_a_line_or_parses(header, details, data):
    text = clr.write_file(header, details)
    position = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.characters(codec="utf-8"))
    corrupted = text[:position] + char + text[position + 1 :]
    try:
        clr.parse_file(corrupted)
    except clr.ClearingFileError as exc:
        assert 0 <= exc.line <= len(details) + 3
        assert exc.field
