"""PRICE and SAC tables against worked examples computed here with plain Decimal."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest

from apps.loans.pricing import PricingError, build_schedule

CENT = Decimal("0.01")
FIRST_DUE = date(2026, 2, 15)


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def schedule(system: str, principal="10000.00", rate="2.5", n=12):
    return build_schedule(
        system=system,
        principal=Decimal(principal),
        monthly_rate=Decimal(rate),
        installments=n,
        first_due_date=FIRST_DUE,
    )


# R$ 10.000,00 at 2.5% a month in 12 installments (PRICE): the balance after each one.
PRICE_BALANCES = [
    "9275.13", "8532.14", "7770.57", "6989.96", "6189.84", "5369.72",
    "4529.09", "3667.45", "2784.27", "1879.01", "951.12", "0.00",
]  # fmt: skip


def test_price_payment_is_974_87():
    with localcontext() as ctx:
        ctx.prec = 50
        exact = Decimal("10000") * Decimal("0.025") / (1 - Decimal("1.025") ** -12)
    assert str(exact).startswith("974.871")
    rows = schedule("PRICE")
    assert [row.amount for row in rows[:-1]] == [Decimal("974.87")] * 11


def test_price_table_worked_by_hand():
    # The table walked here independently: interest on the balance, half up; the last
    # installment takes what is left.
    pmt, balance, expected = Decimal("974.87"), Decimal("10000.00"), []
    for k in range(1, 13):
        interest = half_up(balance * Decimal("0.025"))
        amortization = balance if k == 12 else pmt - interest
        balance -= amortization
        expected.append((amortization + interest, interest, amortization, balance))
    rows = schedule("PRICE")
    assert [(r.amount, r.interest, r.amortization, r.balance) for r in rows] == expected
    assert [str(r.balance) for r in rows] == PRICE_BALANCES
    assert rows[0].interest == Decimal("250.00")
    assert rows[0].amortization == Decimal("724.87")
    assert rows[-1].interest == Decimal("23.78")
    assert rows[-1].amortization == Decimal("951.12")
    assert rows[-1].amount == Decimal("974.90")  # the residue of the roundings: +0.03
    assert sum(r.interest for r in rows) == Decimal("1698.47")
    assert sum(r.amount for r in rows) == Decimal("11698.47")
    assert sum(r.amortization for r in rows) == Decimal("10000.00")


def test_sac_table_worked_by_hand():
    rows = schedule("SAC")
    assert [r.amortization for r in rows] == [Decimal("833.33")] * 11 + [Decimal("833.37")]
    assert rows[0].amount == Decimal("1083.33")  # 833.33 + 250.00
    assert rows[0].interest == Decimal("250.00")
    balance = Decimal("10000.00")
    for k, row in enumerate(rows, start=1):
        interest = half_up(balance * Decimal("0.025"))
        amortization = balance if k == 12 else Decimal("833.33")
        balance -= amortization
        assert (row.interest, row.amortization, row.balance) == (interest, amortization, balance)
        assert row.amount == amortization + interest
    assert rows[1].amount == Decimal("1062.50")  # 9166.67 x 2.5% = 229.16750 -> 229.17
    assert rows[-1].amount == Decimal("854.20")  # 833.37 + 20.83
    assert rows[-1].balance == Decimal("0.00")
    assert sum(r.interest for r in rows) == Decimal("1625.00")


def test_due_dates_and_numbers():
    rows = schedule("PRICE", n=3)
    assert [r.number for r in rows] == [1, 2, 3]
    assert [r.due_date for r in rows] == [date(2026, 2, 15), date(2026, 3, 15), date(2026, 4, 15)]


def test_one_installment_pays_principal_and_a_month_of_interest():
    (row,) = schedule("PRICE", n=1)
    assert (row.amount, row.interest, row.amortization, row.balance) == (
        Decimal("10250.00"),
        Decimal("250.00"),
        Decimal("10000.00"),
        Decimal("0.00"),
    )
    assert schedule("SAC", n=1) == (row,)


def test_half_a_centavo_rounds_up():
    # 100.10 x 2.5% = 2.5025 -> 2.50; 100.30 x 2.5% = 2.5075 -> 2.51; SAC 0.05 / 2 = 0.025
    assert schedule("SAC", principal="100.10", n=1)[0].interest == Decimal("2.50")
    assert schedule("SAC", principal="100.30", n=1)[0].interest == Decimal("2.51")
    assert schedule("SAC", principal="0.05", rate="1", n=2)[0].amortization == Decimal("0.03")


def test_terms_that_cannot_be_paid_in_centavos_are_refused():
    # 420 months at 2.5%: the rounded PMT (250.01 for 250.0079) overpays a fraction of a
    # centavo a month, which compounds at 2.5% past the last balance: the balance would
    # go below zero at installment 414.
    with pytest.raises(PricingError) as caught:
        schedule("PRICE", n=420)
    assert (caught.value.field, caught.value.rule) == ("installments", "not_amortizable")
    # One centavo in 12 installments: installments of R$ 0,00.
    with pytest.raises(PricingError):
        schedule("PRICE", principal="0.01")
    with pytest.raises(PricingError):
        schedule("SAC", principal="1.00", n=200)  # 200 x 0.01 > 1.00
    # A realistic long loan is fine: R$ 300.000,00 at 1% a month over 35 years.
    rows = schedule("PRICE", principal="300000.00", rate="1", n=420)
    assert rows[0].amount == Decimal("3046.65")
    assert rows[-1].balance == Decimal("0.00")


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"principal": Decimal("0.00")}, "principal", "not_positive"),
        ({"principal": Decimal("-1.00")}, "principal", "not_positive"),
        ({"principal": Decimal("1.001")}, "principal", "too_many_places"),
        ({"principal": Decimal("10000000000.01")}, "principal", "too_large"),
        ({"principal": Decimal("NaN")}, "principal", "not_a_number"),
        ({"monthly_rate": Decimal("0")}, "monthly_rate", "not_positive"),
        ({"monthly_rate": Decimal("100.01")}, "monthly_rate", "rate_too_large"),
        ({"monthly_rate": Decimal("1.000000001")}, "monthly_rate", "too_many_places"),
        ({"installments": 0}, "installments", "below_minimum"),
        ({"installments": 421}, "installments", "above_maximum"),
        ({"installments": True}, "installments", "not_an_integer"),
        ({"system": "GERMAN"}, "system", "unknown_system"),
        ({"first_due_date": date(9990, 1, 1), "installments": 420}, "first_due_date", None),
    ],
)
def test_out_of_range_terms_name_the_field(changes, field, rule):
    terms = {
        "system": "PRICE",
        "principal": Decimal("10000.00"),
        "monthly_rate": Decimal("1"),
        "installments": 12,
        "first_due_date": FIRST_DUE,
    } | changes
    with pytest.raises(PricingError) as caught:
        build_schedule(**terms)
    assert caught.value.field == field
    if rule:
        assert caught.value.rule == rule
