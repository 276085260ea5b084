"""Scoring an applicant: exact, deterministic, explained; the overlay pulls the right way."""

from __future__ import annotations

import json
from decimal import Decimal, localcontext

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.loans.scoring import features, overlay, scorecard
from apps.loans.scoring.features import Applicant
from apps.loans.scoring.reasons import REASON_TEXT, explain

from .helpers import BASE, applicant

MODEL = scorecard.load("v1")


def points_of(result: scorecard.ScoreResult) -> dict[str, int]:
    return {entry.feature: entry.points for entry in result.points}


def test_the_same_applicant_scores_the_same_twice():
    first = scorecard.score(BASE)
    again = scorecard.score(Applicant.from_dict(json.loads(json.dumps(BASE.as_dict()))))
    assert first == again
    assert first == scorecard.score(BASE, scorecard.parse(json.loads(
        scorecard.model_path("v1").read_text(encoding="utf-8")
    )))  # fmt: skip


def test_the_score_is_the_sum_of_its_points():
    result = scorecard.score(BASE)
    assert result.score == sum(entry.points for entry in result.points)
    assert result.points[0].feature == scorecard.BASE
    assert result.points[0].points == MODEL.base_points
    names = [entry.feature for entry in result.points]
    assert names[1:] == [t.name for t in MODEL.features] + [t.name for t in MODEL.overlay]
    for entry in result.points:
        assert entry.shortfall == entry.max_points - entry.points >= 0
    assert result.model_version == "v1"


@pytest.mark.parametrize(
    ("score", "pd"), [(600, "0.0196"), (580, "0.0385"), (540, "0.1379"), (500, "0.3902")]
)
def test_the_pd_follows_the_scaling(score, pd):
    assert scorecard.probability_of_default(score, MODEL.scaling) == Decimal(pd)


@given(st.integers(min_value=0, max_value=1200))
def test_the_pd_is_the_scaling_formula_in_4_places(score):
    pd = scorecard.probability_of_default(score, MODEL.scaling)
    with localcontext() as context:
        context.prec = 60
        odds = 50 * Decimal(2) ** (Decimal(score - 600) / 20)
        assert abs(pd - 1 / (1 + odds)) <= Decimal("0.00005")
    assert pd == pd.quantize(Decimal("0.0001"))


def test_reasons_are_the_largest_shortfalls_first():
    weak = applicant(
        installments=48,
        installment_cents=150_000,
        returned_payments=2,
        account_age_days=100,
        loan_history="late",
    )
    result = scorecard.score(weak)
    top = scorecard.reasons(result, n=5)
    assert len(top) == 5
    shortfalls = [reason.shortfall for reason in top]
    assert shortfalls == sorted(shortfalls, reverse=True)
    costly = sorted((e.shortfall for e in result.points if e.shortfall), reverse=True)
    assert shortfalls == costly[:5]
    assert top[0].code == "term"  # 48 months: the last DURATION bin, the largest range
    assert all(reason.shortfall > 0 for reason in scorecard.reasons(result, n=50))
    assert [r.code for r in scorecard.reasons(result)] == [r.code for r in top[:3]]


def test_a_perfect_factor_is_no_reason():
    result = scorecard.score(BASE)
    codes = {reason.code for reason in scorecard.reasons(result, n=50)}
    assert "returned_payments" not in codes  # none returned: its best bin
    assert "open_loans" not in codes


def test_every_reason_code_has_a_text():
    codes = {e.code for e in scorecard.score(BASE).points} - {scorecard.BASE}
    assert codes == set(REASON_TEXT)
    assert set(features.REASON_CODES.values()) | set(overlay.MEASURES) == set(REASON_TEXT)
    with translation.override("en"):
        text = [str(message) for _, message in explain(scorecard.score(applicant(installments=60)))]
    assert text[0] == "A shorter term would help: longer loans carry more risk."


def test_a_new_account_does_not_outscore_an_established_one():
    # A new account maps to German's "no checking account", its best CHK_ACCT bin; the
    # account_age overlay must take more than that bin gives over "some money" (and over
    # "below zero": a new account never beats the same customer with a year of overdraft).
    checking = next(t for t in MODEL.features if t.name == "CHK_ACCT")
    chk = {value: b.points for b in checking.bins for value in b.values}
    age = next(t for t in MODEL.overlay if t.name == "account_age")
    assert -age.points(0) > chk[3] - chk[1]
    assert -age.points(0) >= chk[3] - chk[0]
    new = applicant(account_age_days=5, average_balance_cents=0, minimum_balance_cents=0)
    overdrawn = applicant(average_balance_cents=-20_000, minimum_balance_cents=-90_000)
    assert scorecard.score(new).score < scorecard.score(overdrawn).score
    assert scorecard.score(new).score < scorecard.score(BASE).score


# --- the overlay moves the score the right way ---------------------------------------------

ages = st.integers(min_value=0, max_value=20_000)
volatility = st.integers(min_value=0, max_value=99_999).map(lambda v: Decimal(v).scaleb(-4))


@settings(max_examples=200, deadline=None)
@given(a=st.integers(0, 60), b=st.integers(0, 60), age=ages)
def test_more_returned_payments_never_raise_the_score(a, b, age):
    low, high = sorted((a, b))
    fewer = scorecard.score(applicant(returned_payments=low, account_age_days=age))
    more = scorecard.score(applicant(returned_payments=high, account_age_days=age))
    assert more.score <= fewer.score


@settings(max_examples=200, deadline=None)
@given(a=volatility, b=volatility, age=ages)
def test_higher_volatility_never_raises_the_score(a, b, age):
    low, high = sorted((a, b))
    calm = scorecard.score(applicant(balance_volatility=low, account_age_days=age))
    wild = scorecard.score(applicant(balance_volatility=high, account_age_days=age))
    assert wild.score <= calm.score


@settings(max_examples=200, deadline=None)
@given(a=st.integers(0, 2_000_000), b=st.integers(0, 2_000_000))
def test_inflows_confirming_the_income_never_lower_the_score(a, b):
    low, high = sorted((a, b))
    assert (
        scorecard.score(applicant(monthly_inflow_cents=high)).score
        >= scorecard.score(applicant(monthly_inflow_cents=low)).score
    )


def test_inflows_confirming_the_income_add_and_far_below_subtract():
    base = points_of(scorecard.score(BASE))["income_inflows"]
    assert base > 0  # 90% of the declared income came in
    far_below = points_of(scorecard.score(applicant(monthly_inflow_cents=40_000)))
    assert far_below["income_inflows"] < 0
    unknown = points_of(scorecard.score(applicant(account_age_days=10)))
    assert unknown["income_inflows"] == 0  # a new account neither confirms nor contradicts


@settings(max_examples=100, deadline=None)
@given(a=ages, b=ages)
def test_an_older_account_never_lowers_the_overlay(a, b):
    low, high = sorted((a, b))
    younger = points_of(scorecard.score(applicant(account_age_days=low)))["account_age"]
    older = points_of(scorecard.score(applicant(account_age_days=high)))["account_age"]
    assert older >= younger


@pytest.mark.parametrize(
    ("better", "worse"),
    [("paid", "current"), ("current", "none"), ("none", "late"), ("late", "defaulted")],
)
def test_a_worse_loan_history_never_raises_the_score(better, worse):
    assert (
        scorecard.score(applicant(loan_history=worse)).score
        < scorecard.score(applicant(loan_history=better)).score
    )


@given(a=st.integers(0, 20), b=st.integers(0, 20))
def test_more_open_loans_never_raise_the_score(a, b):
    low, high = sorted((a, b))
    assert (
        scorecard.score(applicant(open_loans=high)).score
        <= scorecard.score(applicant(open_loans=low)).score
    )


# --- the mapping onto German Credit's codes ----------------------------------------------


@pytest.mark.parametrize(
    ("installment", "code"),
    [(79_999, 1), (80_000, 2), (99_999, 2), (100_000, 3), (139_999, 3), (140_000, 4)],
)
def test_install_rate_bands(installment, code):
    assert features.install_rate(applicant(installment_cents=installment)) == code  # of 4.000


@pytest.mark.parametrize(
    ("average", "age", "code"),
    [(-1, 400, 0), (0, 400, 1), (99_999, 400, 1), (100_000, 400, 2), (10**9, 29, 3)],
)
def test_checking_account_codes(average, age, code):
    person = applicant(
        average_balance_cents=average, minimum_balance_cents=-5, account_age_days=age
    )
    assert features.checking_account(person) == code


@pytest.mark.parametrize(
    ("minimum", "code"),
    [(-5, 0), (19_999, 0), (20_000, 1), (79_999, 1), (80_000, 2), (160_000, 3)],
)
def test_savings_codes(minimum, code):
    person = applicant(minimum_balance_cents=minimum, average_balance_cents=max(minimum, 0))
    assert features.savings_account(person) == code
    assert features.savings_account(applicant(account_age_days=3)) == 0  # nothing saved yet


@pytest.mark.parametrize(("years", "code"), [(0, 1), (1, 2), (3, 2), (4, 3), (6, 3), (7, 4)])
def test_employment_bands(years, code):
    assert features.employment(applicant(employment_years=years)) == code


def test_our_purposes_map_onto_german_ones():
    assert features.model_inputs(applicant(purpose="repairs"))["PURPOSE"] == "other"
    assert features.model_inputs(applicant(purpose="electronics"))["PURPOSE"] == "electronics"


# --- the applicant -----------------------------------------------------------------------


def test_the_applicant_round_trips_through_json():
    data = json.loads(json.dumps(BASE.as_dict()))
    assert data["balance_volatility"] == "0.8000"
    assert Applicant.from_dict(data) == BASE


@pytest.mark.parametrize(
    "changes",
    [
        {"balance_volatility": 0.8},
        {"housing": "castle"},
        {"purpose": "vacation"},
        {"loan_history": "unknown"},
        {"installments": 0},
        {"returned_payments": -1},
        {"age_years": True},
        {"minimum_balance_cents": 70_000},  # above the average
    ],
)
def test_bad_applicants_are_refused(changes):
    data = {**BASE.as_dict(), **changes}
    with pytest.raises(ValueError):
        Applicant.from_dict(data)


def test_unknown_model_versions_are_refused():
    with pytest.raises(ValueError):
        scorecard.model_path("../v1")
    with pytest.raises(FileNotFoundError):
        scorecard.load("v999")
