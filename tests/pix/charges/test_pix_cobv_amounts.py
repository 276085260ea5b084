"""The amount a cobv asks on a day, and its validity (apps/core/due_amounts.py): BACEN's
examples A-G, the Pix schema's worked example, each modality, and properties (hypothesis)."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.core.due_amounts import (
    BRAZIL,
    CobvTerms,
    Discount,
    Term,
    adjusted_due_date,
    amount_due,
    business_days_after,
    days_late,
    is_payable_on,
    last_payable_date,
    next_business_day,
    round_half_up,
    terms_from_json,
)

D = dt.date


# --- Validity: the examples of CobDataDeVencimento.validadeAposVencimento -----------------

# (example, dataDeVencimento, validadeAposVencimento, last accepted day, first refused day)
EXAMPLES = [
    ("A", D(2020, 10, 20), 4, D(2020, 10, 26), D(2020, 10, 27)),
    ("B", D(2020, 12, 25), 0, D(2020, 12, 28), D(2020, 12, 29)),
    ("C", D(2020, 12, 25), 1, D(2020, 12, 29), D(2020, 12, 30)),
    ("D", D(2020, 12, 25), 3, D(2020, 12, 31), D(2021, 1, 1)),
    ("E", D(2020, 12, 25), 4, D(2021, 1, 4), D(2021, 1, 5)),
    ("F", D(2021, 8, 27), 5, D(2021, 9, 1), D(2021, 9, 2)),
    ("G", D(2021, 8, 28), 5, D(2021, 9, 6), D(2021, 9, 7)),
]


@pytest.mark.parametrize(("name", "due", "valid", "last", "refused"), EXAMPLES)
def test_bacen_validity_examples(name, due, valid, last, refused):
    assert last_payable_date(due, valid) == last, name
    day = due
    while day <= last:  # every day from the due date to the last one is accepted
        assert is_payable_on(due, valid, day), (name, day)
        day += dt.timedelta(days=1)
    assert not is_payable_on(due, valid, refused), name


@pytest.mark.parametrize(
    ("due", "adjusted"),
    [
        (D(2020, 10, 20), D(2020, 10, 20)),  # A: a Tuesday
        (D(2020, 12, 25), D(2020, 12, 28)),  # B-E: Christmas, a Friday
        (D(2021, 8, 28), D(2021, 8, 30)),  # G: a Saturday
        (D(2026, 4, 3), D(2026, 4, 6)),  # Good Friday
        (D(2024, 11, 20), D(2024, 11, 21)),  # Black Awareness Day, national since 2024
    ],
)
def test_the_due_date_moves_to_the_next_business_day(due, adjusted):
    assert adjusted_due_date(due) == adjusted


def test_negative_validity_is_refused():
    with pytest.raises(ValueError):
        last_payable_date(D(2024, 1, 10), -1)


# --- Amounts: worked examples ---------------------------------------------------------------


def terms(original: int, **parts) -> CobvTerms:
    return CobvTerms(original=original, **parts)


def test_the_pix_schema_example_two_days_late_with_3pct_fine_and_1pct_a_day():
    # API Pix, Pix.componentesValor: R$ 100,00, multa 3 %, juros 1 % ao dia, 2 dias -> 105,00
    due = amount_due(
        terms(10_000, fine=Term(2, 300), interest=Term(2, 100)),
        due=D(2024, 4, 15),
        pay_date=D(2024, 4, 17),
    )
    assert (due.multa, due.juros, due.final, due.days_late) == (300, 200, 10_500, 2)


def test_on_the_due_date_nothing_is_added():
    charge = terms(12_345, fine=Term(2, 1_500), interest=Term(2, 200))
    due = amount_due(charge, due=D(2024, 4, 15), pay_date=D(2024, 4, 15))
    assert (due.multa, due.juros, due.final) == (0, 0, 12_345)


def test_a_saturday_due_date_is_paid_on_monday_without_charges_then_late_from_monday():
    # 2021-02-27 was a Saturday: Monday 03-01 is on time, Tuesday is one day late (ninrod,
    # bacen/pix-api#347: interest counts from the adjusted date)
    charge = terms(1_000, interest=Term(1, 10))
    monday = amount_due(charge, due=D(2021, 2, 27), pay_date=D(2021, 3, 1))
    tuesday = amount_due(charge, due=D(2021, 2, 27), pay_date=D(2021, 3, 2))
    assert monday.final == 1_000 and monday.days_late == 0
    assert tuesday.final == 1_010 and tuesday.days_late == 1


@pytest.mark.parametrize(
    ("modality", "value", "pay_date", "expected_interest"),
    [
        (1, 150, D(2024, 4, 25), 1_500),  # R$ 1,50 per calendar day x 10
        (2, 100, D(2024, 4, 25), 1_000),  # 1 % a day x 10 on R$ 100
        (3, 300, D(2024, 4, 25), 100),  # 3 % a month / 30 x 10 days
        (4, 3_650, D(2024, 4, 25), 100),  # 36,5 % a year / 365 x 10 days
        (5, 150, D(2024, 4, 25), 1_200),  # R$ 1,50 per business day x 8
        (6, 100, D(2024, 4, 25), 800),  # 1 % per business day x 8
        (7, 2_100, D(2024, 4, 25), 800),  # 21 % a month / 21 x 8 business days
        (8, 25_200, D(2024, 4, 25), 800),  # 252 % a year / 252 x 8 business days
    ],
)
def test_interest_modalities(modality, value, pay_date, expected_interest):
    # due Monday 2024-04-15; by Thursday 04-25: 10 calendar days, 8 business days
    # (2024-04-21, Tiradentes, was a Sunday)
    due = amount_due(
        terms(10_000, interest=Term(modality, value)), due=D(2024, 4, 15), pay_date=pay_date
    )
    assert due.juros == expected_interest
    assert due.final == 10_000 + expected_interest


def test_fixed_fine_and_percentage_fine_apply_once():
    for fine, expected in ((Term(1, 250), 250), (Term(2, 200), 200)):
        for pay_date in (D(2024, 4, 16), D(2024, 5, 15)):
            due = amount_due(terms(10_000, fine=fine), due=D(2024, 4, 15), pay_date=pay_date)
            assert due.multa == expected and due.final == 10_000 + expected


def test_business_day_interest_makes_a_saturday_after_friday_not_late():
    charge = terms(10_000, fine=Term(2, 200), interest=Term(6, 100))
    saturday = amount_due(charge, due=D(2024, 4, 12), pay_date=D(2024, 4, 13))
    assert (saturday.days_late, saturday.multa, saturday.juros) == (0, 0, 0)
    calendar = terms(10_000, fine=Term(2, 200), interest=Term(2, 100))
    late = amount_due(calendar, due=D(2024, 4, 12), pay_date=D(2024, 4, 13))
    assert (late.days_late, late.multa, late.juros) == (1, 200, 100)


def test_abatimento_lowers_the_base_of_percentages():
    # Manual de Padrões, eq. 11: Vj = (Vo - Va) x (Ij/100)/n x Dα
    charge = terms(10_000, rebate=Term(2, 1_000), fine=Term(2, 200), interest=Term(2, 100))
    due = amount_due(charge, due=D(2024, 4, 15), pay_date=D(2024, 4, 17))
    assert due.abatimento == 1_000
    assert (due.multa, due.juros) == (180, 180)
    assert due.final == 9_000 + 180 + 180
    fixed = amount_due(
        terms(10_000, rebate=Term(1, 2_500)), due=D(2024, 4, 15), pay_date=D(2024, 4, 1)
    )
    assert fixed.abatimento == 2_500 and fixed.final == 7_500


def test_fixed_date_discounts_take_the_first_tier_still_open():
    discount = Discount(
        modality=1, tiers=((D(2024, 4, 5), 1_000), (D(2024, 4, 10), 500), (D(2024, 4, 15), 100))
    )
    charge = terms(10_000, discount=discount)
    due = D(2024, 4, 15)
    assert amount_due(charge, due=due, pay_date=D(2024, 4, 1)).desconto == 1_000
    assert amount_due(charge, due=due, pay_date=D(2024, 4, 5)).desconto == 1_000
    assert amount_due(charge, due=due, pay_date=D(2024, 4, 6)).desconto == 500
    assert amount_due(charge, due=due, pay_date=D(2024, 4, 15)).desconto == 100
    assert amount_due(charge, due=due, pay_date=D(2024, 4, 16)).desconto == 0
    percent = terms(10_000, discount=Discount(modality=2, tiers=((D(2024, 4, 10), 1_250),)))
    assert amount_due(percent, due=due, pay_date=D(2024, 4, 8)).desconto == 1_250
    # A tier date on a Saturday holds until Monday.
    weekend = terms(10_000, discount=Discount(modality=1, tiers=((D(2024, 4, 13), 700),)))
    assert amount_due(weekend, due=due, pay_date=D(2024, 4, 15)).desconto == 700


def test_anticipation_discounts_per_day():
    due = D(2024, 4, 15)  # Monday
    pay = D(2024, 4, 10)  # Wednesday: 5 calendar days, 3 business days before
    cases = [(3, 100, 500), (4, 100, 300), (5, 50, 250), (6, 50, 150)]
    for modality, value, expected in cases:
        charge = terms(10_000, discount=Discount(modality=modality, value=value))
        got = amount_due(charge, due=due, pay_date=pay)
        assert got.desconto == expected, modality
        assert got.final == 10_000 - expected


def test_a_discount_never_takes_the_charge_below_one_centavo():
    charge = terms(1_000, rebate=Term(1, 400), discount=Discount(modality=3, value=500))
    due = amount_due(charge, due=D(2024, 4, 15), pay_date=D(2024, 1, 1))
    assert due.desconto == 599 and due.final == 1


def test_half_a_centavo_rounds_up():
    assert round_half_up(Fraction(101, 2)) == 51
    assert round_half_up(Fraction(100, 2)) == 50
    assert round_half_up(Fraction(10049, 200)) == 50
    # 50 % fine on R$ 1,01 is 50,5 centavos -> 51
    due = amount_due(terms(101, fine=Term(2, 5_000)), due=D(2024, 4, 15), pay_date=D(2024, 4, 16))
    assert due.multa == 51


def test_terms_read_from_the_stored_json():
    stored = {
        "multa": {"modalidade": 2, "valorPerc": "15.00"},
        "juros": {"modalidade": 7, "valorPerc": "2.50"},
        "abatimento": {"modalidade": 1, "valorPerc": "3.00"},
        "desconto": {
            "modalidade": 1,
            "descontoDataFixa": [
                {"data": "2020-11-30", "valorPerc": "30.00"},
                {"data": "2020-11-15", "valorPerc": "40.00"},
            ],
        },
    }
    read = terms_from_json(12_345, stored)
    assert read == CobvTerms(
        original=12_345,
        fine=Term(2, 1_500),
        interest=Term(7, 250),
        rebate=Term(1, 300),
        discount=Discount(modality=1, tiers=((D(2020, 11, 15), 4_000), (D(2020, 11, 30), 3_000))),
    )
    assert terms_from_json(100, {}) == CobvTerms(original=100)


# --- Properties -----------------------------------------------------------------------------

dates = st.dates(min_value=D(2000, 1, 1), max_value=D(2060, 12, 31))
values = st.integers(min_value=0, max_value=10**6)
percent = st.integers(min_value=0, max_value=10_000)


@st.composite
def cobv_terms(draw) -> CobvTerms:
    original = draw(st.integers(min_value=1, max_value=10**12 - 1))
    fine = draw(st.none() | st.builds(Term, st.sampled_from([1, 2]), values))
    interest = draw(st.none() | st.builds(Term, st.integers(1, 8), values))
    rebate_modality = draw(st.sampled_from([1, 2]))
    rebate = draw(
        st.none()
        | st.builds(
            Term,
            st.just(rebate_modality),
            st.integers(0, original - 1) if rebate_modality == 1 else st.integers(0, 9_999),
        )
    )
    discount_modality = draw(st.integers(1, 6))
    if discount_modality in (1, 2):
        tiers = draw(
            st.lists(st.tuples(dates, values), min_size=1, max_size=3, unique_by=lambda t: t[0])
        )
        discount = Discount(modality=discount_modality, tiers=tuple(sorted(tiers)))
    else:
        discount = Discount(modality=discount_modality, value=draw(values))
    discount = draw(st.none() | st.just(discount))
    return CobvTerms(
        original=original, fine=fine, interest=interest, rebate=rebate, discount=discount
    )


offsets = st.integers(min_value=-1200, max_value=1200)


@settings(max_examples=300, deadline=None)
@given(charge=cobv_terms(), due=dates, offset=offsets)
def test_never_negative_and_deductions_never_exceed_the_original(charge, due, offset):
    pay_date = due + dt.timedelta(days=offset)
    got = amount_due(charge, due=due, pay_date=pay_date)
    assert got.final >= 1
    assert 0 <= got.abatimento < charge.original
    assert 0 <= got.desconto <= charge.original - got.abatimento - 1
    assert got.multa >= 0 and got.juros >= 0
    assert got.final == charge.original - got.abatimento - got.desconto + got.multa + got.juros


@settings(max_examples=300, deadline=None)
@given(charge=cobv_terms(), due=dates, first=st.integers(0, 400), extra=st.integers(0, 400))
def test_monotonic_in_days_late(charge, due, first, extra):
    adjusted = adjusted_due_date(due)
    earlier = adjusted + dt.timedelta(days=first)
    later = earlier + dt.timedelta(days=extra)
    a = amount_due(charge, due=due, pay_date=earlier)
    b = amount_due(charge, due=due, pay_date=later)
    assert b.days_late >= a.days_late
    assert b.final >= a.final
    assert b.juros >= a.juros and b.multa >= a.multa


@settings(max_examples=300, deadline=None)
@given(charge=cobv_terms(), due=dates, offset=offsets)
def test_discounts_only_on_time_and_charges_only_late(charge, due, offset):
    pay_date = due + dt.timedelta(days=offset)
    got = amount_due(charge, due=due, pay_date=pay_date)
    if pay_date <= adjusted_due_date(due):
        assert got.multa == got.juros == got.days_late == 0
    else:
        assert got.desconto == 0
        assert got.days_late == days_late(charge, adjusted_due_date(due), pay_date)


@settings(max_examples=200, deadline=None)
@given(day=dates)
def test_next_business_day_is_the_first_one_on_or_after(day):
    found = next_business_day(day)
    assert found >= day and BRAZIL.is_business_day(found)
    assert found.weekday() < 5
    between = day
    while between < found:
        assert not BRAZIL.is_business_day(between)
        between += dt.timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(due=dates, valid=st.integers(0, 400), probe=st.integers(-10, 420))
def test_validity_is_a_prefix_of_days_ending_on_a_business_day(due, valid, probe):
    last = last_payable_date(due, valid)
    assert last >= due + dt.timedelta(days=valid)
    assert BRAZIL.is_business_day(last)
    day = due + dt.timedelta(days=probe)
    assert is_payable_on(due, valid, day) == (day <= last)


@settings(max_examples=200, deadline=None)
@given(start=dates, span=st.integers(-5, 60))
def test_business_days_after_counts_weekdays_outside_national_holidays(start, span):
    end = start + dt.timedelta(days=span)
    counted = business_days_after(start, end)
    days = [start + dt.timedelta(days=n) for n in range(1, span + 1)]
    weekdays = [d for d in days if d.weekday() < 5]
    national = holidays.country_holidays("BR", years={start.year, end.year})
    assert len(weekdays) - sum(d in national for d in weekdays) == counted
    assert counted == 0 or BRAZIL.is_business_day(max(d for d in weekdays if d not in national))
