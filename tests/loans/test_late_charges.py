"""Late charges (CMN Res. 4.882): contract interest compounded per day, a 2% fine and 1% a
month of simple default interest, each rounded half up; the total is their sum."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest

from apps.loans.pricing import PricingError, late_charges

CENT = Decimal("0.01")


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def test_974_87_fifteen_days_late_at_2_5_percent():
    amount = Decimal("974.87")
    with localcontext() as ctx:
        ctx.prec = 40
        # 15 days are half a month: (1.025)^(15/30) is the square root of 1.025.
        interest = half_up(amount * (Decimal("1.025").sqrt() - 1))  # 12.1106...
        fine = half_up(amount * Decimal("0.02"))  # 19.4974
        default = half_up(amount * Decimal("0.01") * 15 / 30)  # 4.87435
    assert (interest, fine, default) == (Decimal("12.11"), Decimal("19.50"), Decimal("4.87"))
    charges = late_charges(amount=amount, monthly_rate=Decimal("2.5"), days_late=15)
    assert charges.interest == interest
    assert charges.fine == fine
    assert charges.default_interest == default
    assert charges.total == Decimal("36.48") == interest + fine + default


def test_a_whole_month_is_the_monthly_rate():
    charges = late_charges(amount=Decimal("974.87"), monthly_rate=Decimal("2.5"), days_late=30)
    assert charges.interest == Decimal("24.37")  # 24.37175
    assert charges.default_interest == Decimal("9.75")  # 9.7487
    assert charges.total == Decimal("24.37") + Decimal("19.50") + Decimal("9.75")


def test_no_delay_no_charges():
    charges = late_charges(amount=Decimal("974.87"), monthly_rate=Decimal("2.5"), days_late=0)
    assert (charges.interest, charges.fine, charges.default_interest, charges.total) == (
        Decimal("0.00"),
    ) * 4


def test_half_a_centavo_of_default_interest_rounds_up_exactly():
    # 15.00 x 1% x 1/30 = 0.005 exactly: half up gives 0.01 (a rounded 1/30 would not).
    charges = late_charges(amount=Decimal("15.00"), monthly_rate=Decimal("0"), days_late=1)
    assert charges.default_interest == Decimal("0.01")
    assert charges.interest == Decimal("0.00")  # a zero contract rate: no interest
    assert charges.fine == Decimal("0.30")


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"amount": Decimal("0.00")}, "amount"),
        ({"amount": Decimal("-1.00")}, "amount"),
        ({"amount": Decimal("1.234")}, "amount"),
        ({"monthly_rate": Decimal("-1")}, "monthly_rate"),
        ({"monthly_rate": Decimal("100.5")}, "monthly_rate"),
        ({"days_late": -1}, "days_late"),
        ({"days_late": 3651}, "days_late"),
        (
            {
                "amount": Decimal("10000000000.00"),
                "monthly_rate": Decimal("100"),
                "days_late": 3650,
            },
            "days_late",
        ),
    ],
)
def test_out_of_range_inputs_name_the_field(terms, field):
    base = {"amount": Decimal("974.87"), "monthly_rate": Decimal("2.5"), "days_late": 15}
    with pytest.raises(PricingError) as caught:
        late_charges(**(base | terms))
    assert caught.value.field == field
