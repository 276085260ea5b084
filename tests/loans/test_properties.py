"""Properties of the loan math over random terms (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.loans.pricing import PricingError, build_schedule, late_charges, simulate

FIRST_DUE = date(2026, 2, 15)

cents = st.integers(min_value=1, max_value=10**12).map(lambda c: Decimal(c).scaleb(-2))
rates = st.integers(min_value=1, max_value=10**10).map(lambda r: Decimal(r).scaleb(-8))
systems = st.sampled_from(["PRICE", "SAC"])
# What lenders offer: R$ 1.000,00 to R$ 10 million, up to 3% a month, up to 120 months.
real_cents = st.integers(min_value=100_000, max_value=10**9).map(lambda c: Decimal(c).scaleb(-2))
real_rates = st.integers(min_value=1, max_value=300).map(lambda r: Decimal(r).scaleb(-2))


def assert_invariants(rows, principal: Decimal, n: int) -> None:
    assert len(rows) == n
    assert sum(row.amortization for row in rows) == principal  # exactly
    assert rows[-1].balance == Decimal("0.00")
    balance = principal
    for number, row in enumerate(rows, start=1):
        assert row.number == number
        assert row.amount == row.amortization + row.interest
        assert row.amount > 0
        assert row.amortization >= 0 and row.interest >= 0
        assert row.balance >= 0
        assert row.balance == balance - row.amortization
        balance = row.balance
        for value in (row.amount, row.interest, row.amortization, row.balance):
            assert value == value.quantize(Decimal("0.01"))


@settings(max_examples=300, deadline=None)
@given(principal=cents, rate=rates, n=st.integers(1, 420), system=systems)
def test_any_terms_give_a_sound_table_or_a_named_refusal(principal, rate, n, system):
    try:
        rows = build_schedule(
            system=system,
            principal=principal,
            monthly_rate=rate,
            installments=n,
            first_due_date=FIRST_DUE,
        )
    except PricingError as error:
        # Only terms whose roundings cannot reach zero in centavos are refused.
        assert (error.field, error.rule) == ("installments", "not_amortizable")
        return
    assert_invariants(rows, principal, n)


@settings(max_examples=300, deadline=None)
@given(principal=real_cents, rate=real_rates, n=st.integers(1, 120), system=systems)
def test_what_lenders_offer_is_never_refused(principal, rate, n, system):
    rows = build_schedule(
        system=system,
        principal=principal,
        monthly_rate=rate,
        installments=n,
        first_due_date=FIRST_DUE,
    )
    assert_invariants(rows, principal, n)
    if system == "PRICE":
        assert len({row.amount for row in rows[:-1]}) <= 1  # level installments


def pv(rate: Decimal, release: date, rows) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 50
        return sum(
            row.amount / (1 + rate) ** (Decimal((row.due_date - release).days) / 365)
            for row in rows
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    principal=real_cents,
    rate=real_rates,
    n=st.integers(1, 72),
    system=systems,
    grace=st.integers(15, 90),  # a month's interest for a day would make any CET absurd
    fee_share=st.integers(0, 10),
    release=st.dates(min_value=date(2022, 1, 1), max_value=date(2030, 12, 31)),
    borrower=st.sampled_from(["natural_person", "company", "company_simples"]),
)
def test_the_cet_equates_the_flows(principal, rate, n, system, grace, fee_share, release, borrower):
    fees = (principal * fee_share / 100).quantize(Decimal("0.01"))
    simulation = simulate(
        principal=principal,
        monthly_rate=rate,
        installments=n,
        system=system,
        release_date=release,
        first_due_date=release + timedelta(days=grace),
        fees=fees,
        borrower=borrower,
    )
    released = simulation.released_amount
    assert released == principal - simulation.iof - fees
    assert abs(pv(simulation.cet_annual_rate, release, simulation.installments) - released) < (
        Decimal("0.01")
    )
    half = Decimal("0.00005")
    percent = simulation.cet_annual_percent / 100
    assert pv(percent - half, release, simulation.installments) >= released
    assert pv(percent + half, release, simulation.installments) <= released
    assert simulation.total_interest == sum(row.interest for row in simulation.installments)


@settings(max_examples=200, deadline=None)
@given(amount=real_cents, rate=real_rates, days=st.integers(0, 3650))
def test_late_charges_add_up(amount, rate, days):
    charges = late_charges(amount=amount, monthly_rate=rate, days_late=days)
    assert charges.total == charges.interest + charges.fine + charges.default_interest
    if days == 0:
        assert charges.total == 0
    else:
        assert charges.fine == (amount * Decimal("0.02")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert charges.interest >= 0 and charges.default_interest >= 0
