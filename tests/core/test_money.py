from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.core.money import AmountError, cents_to_str, format_brl, parse_amount

cents = st.integers(min_value=1, max_value=10**15 - 1)


@given(cents)
def test_string_round_trip(value):
    assert parse_amount(cents_to_str(value)) == value


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_cents_to_str_matches_decimal(value):
    assert Decimal(cents_to_str(value)) == Decimal(value) / 100


@given(cents)
def test_format_brl_is_pt_br(value):
    text = format_brl(value)
    assert text.startswith("R$ ")
    whole, frac = text[3:].split(",")
    assert int(whole.replace(".", "")) * 100 + int(frac) == value
    assert all(len(group) == 3 for group in whole.split(".")[1:])


def test_format_examples():
    assert format_brl(123456) == "R$ 1.234,56"
    assert format_brl(5) == "R$ 0,05"
    assert format_brl(-100000000) == "-R$ 1.000.000,00"
    assert cents_to_str(-5) == "-0.05"


@pytest.mark.parametrize(
    "text",
    [
        "12.3",
        "12",
        "1.234",
        "-1.00",
        "0.00",
        "1e3",
        " ",
        "abc",
        "12,34",
        "1.2.3",
        "+1.00",
        "\u0661\u0662.\u0663\u0664",
        "１２.３４",
    ],
)
def test_strict_rejects(text):
    with pytest.raises(AmountError):
        parse_amount(text)


def test_non_string_rejected():
    with pytest.raises(AmountError):
        parse_amount(12.34)


@pytest.mark.parametrize(("text", "value"), [("12", 1200), ("12,5", 1250), ("0.07", 7)])
def test_loose_accepts_form_input(text, value):
    assert parse_amount(text, strict=False) == value


def test_zero_allowed_only_when_asked():
    assert parse_amount("0.00", allow_zero=True) == 0
