"""CET (CMN Res. 4.881 / Res. 3.517's formula), checked with the formula itself, written
here with plain Decimal: sum FC_j / (1 + CET)^((d_j - d_0)/365) = FC_0."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext

import pytest

from apps.loans.pricing import PricingError, simulate
from apps.loans.pricing.cet import cet_annual_percent, cet_rate

RELEASE = date(2026, 1, 15)


def pv(rate: Decimal, flows) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 50
        return sum(
            amount / (1 + rate) ** (Decimal((day - RELEASE).days) / 365) for day, amount in flows
        )


def loan(**changes):
    terms = {
        "principal": Decimal("10000.00"),
        "monthly_rate": Decimal("2.5"),
        "installments": 12,
        "system": "PRICE",
        "release_date": RELEASE,
        "first_due_date": date(2026, 2, 15),
    } | changes
    return simulate(**terms)


def flows_of(simulation):
    return [(row.due_date, row.amount) for row in simulation.installments]


def assert_rounded_right(simulation):
    """The two-decimal CET is the right rounding: the exact root lies within half a
    hundredth of a percent of it (PV falls as the rate grows)."""
    flows, released = flows_of(simulation), simulation.released_amount
    half = Decimal("0.00005")
    low = simulation.cet_annual_percent / 100 - half
    high = simulation.cet_annual_percent / 100 + half
    assert pv(low, flows) > released > pv(high, flows)


def test_price_example_cet():
    simulation = loan()
    assert simulation.iof == Decimal("206.82")
    assert simulation.released_amount == Decimal("9793.18")
    # The solver's rate equates the flows to what was released, within a centavo.
    assert abs(pv(simulation.cet_annual_rate, flows_of(simulation)) - Decimal("9793.18")) < (
        Decimal("0.01")
    )
    assert simulation.cet_annual_percent == Decimal("40.26")
    assert_rounded_right(simulation)
    # More than the nominal 2.5% a month compounded (34.49% a year): IOF is a cost too.
    assert simulation.cet_annual_percent > Decimal("34.49")


def test_fees_raise_the_cet():
    simulation = loan(fees=Decimal("150.00"))
    assert simulation.released_amount == Decimal("9643.18")  # 10000 - 206.82 - 150.00
    assert simulation.cet_annual_percent == Decimal("44.57")
    assert abs(pv(simulation.cet_annual_rate, flows_of(simulation)) - Decimal("9643.18")) < (
        Decimal("0.01")
    )
    assert_rounded_right(simulation)


def test_sac_example_cet():
    simulation = loan(system="SAC")
    assert simulation.iof == Decimal("199.47")
    assert simulation.released_amount == Decimal("9800.53")
    assert simulation.cet_annual_percent == Decimal("40.30")
    assert_rounded_right(simulation)


def test_one_payment_a_year_later_is_a_plain_ratio():
    # 365 days: (1 + CET)^1 = 10250.00 / 9662.70 (IOF 299.30 + 38.00 = 337.30).
    simulation = loan(installments=1, first_due_date=date(2027, 1, 15))
    assert simulation.iof == Decimal("337.30")
    with localcontext() as ctx:
        ctx.prec = 40
        exact = Decimal("10250.00") / Decimal("9662.70") - 1
    assert abs(simulation.cet_annual_rate - exact) < Decimal("1e-12")
    assert simulation.cet_annual_percent == Decimal("6.08")


def test_half_even_at_two_decimals():
    # A flow chosen so that the CET is exactly 12.345%: 11234.50 a year after 10000.00.
    flows = [(date(2027, 1, 15), Decimal("11234.50"))]
    rate = cet_rate(released=Decimal("10000.00"), release_date=RELEASE, flows=flows)
    assert abs(rate - Decimal("0.12345")) < Decimal("1e-12")
    percent = cet_annual_percent(released=Decimal("10000.00"), release_date=RELEASE, flows=flows)
    assert percent == Decimal("12.34")  # half even; half up would say 12.35
    flows = [(date(2027, 1, 15), Decimal("11235.50"))]  # 12.355% -> 12.36
    assert cet_annual_percent(
        released=Decimal("10000.00"), release_date=RELEASE, flows=flows
    ) == Decimal("12.36")


def test_no_cost_no_cet():
    flows = [(date(2026, 2, 15), Decimal("500.00")), (date(2026, 3, 15), Decimal("500.00"))]
    assert cet_rate(released=Decimal("1000.00"), release_date=RELEASE, flows=flows) == 0


def test_unsolvable_terms_name_the_first_due_date_or_the_fees():
    # One installment due on the release day: no rate discounts it to what was released.
    with pytest.raises(PricingError) as caught:
        loan(installments=1, first_due_date=RELEASE)
    assert (caught.value.field, caught.value.rule) == ("first_due_date", "cet_undefined")
    # A whole month of 100% interest for one day: a CET past 1,000,000,000% a year.
    with pytest.raises(PricingError) as caught:
        loan(monthly_rate=Decimal("100"), first_due_date=date(2026, 1, 16))
    assert (caught.value.field, caught.value.rule) == ("first_due_date", "cet_too_large")
    # Fees that leave a centavo released.
    with pytest.raises(PricingError) as caught:
        loan(fees=Decimal("9793.17"))
    assert (caught.value.field, caught.value.rule) == ("fees", "cet_too_large")
    with pytest.raises(PricingError) as caught:
        loan(fees=Decimal("9793.18"))  # + IOF 206.82 = the principal: nothing released
    assert (caught.value.field, caught.value.rule) == ("fees", "charges_exceed_principal")


def test_a_first_installment_on_the_release_day_still_has_a_cet():
    simulation = loan(installments=2, first_due_date=RELEASE)
    assert simulation.installments[0].due_date == RELEASE
    assert abs(
        pv(simulation.cet_annual_rate, flows_of(simulation)) - simulation.released_amount
    ) < (Decimal("0.01"))
