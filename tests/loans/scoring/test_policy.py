"""The credit policy: bands, limits and refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.loans.pricing import PricingError
from apps.loans.pricing.schedule import price_payment
from apps.loans.scoring import policy, scorecard
from apps.loans.scoring.scorecard import ScoreResult

from .helpers import BASE

MODEL = scorecard.load("v1")


def result(score: int, version: str = "v1") -> ScoreResult:
    return ScoreResult(
        score=score,
        probability_of_default=scorecard.probability_of_default(score, MODEL.scaling),
        model_version=version,
        points=(),
    )


def offer(score: int, *, income: int = 400_000, requested: int = 500_000, n: int = 12):
    return policy.offer(
        result=result(score),
        monthly_income_cents=income,
        requested_cents=requested,
        installments=n,
    )


def installment(limit_cents: int, rate: Decimal, n: int) -> Decimal:
    return price_payment(principal=Decimal(limit_cents) / 100, rate=rate / 100, installments=n)


@pytest.mark.parametrize(
    ("score", "band", "rate"),
    [
        (680, "A", "1.49"),
        (560, "A", "1.49"),
        (559, "B", "1.99"),
        (540, "B", "1.99"),
        (539, "C", "2.49"),
        (520, "C", "2.49"),
        (519, "D", "3.49"),
        (500, "D", "3.49"),
    ],
)
def test_bands(score, band, rate):
    decision = offer(score)
    assert (decision.band, decision.monthly_rate) == (band, Decimal(rate))
    assert decision.approved and decision.refusal == ""


@pytest.mark.parametrize("score", [499, 450, 0])
def test_band_e_is_refused(score):
    decision = offer(score)
    assert decision == policy.Decision(False, 0, Decimal("0.00"), "E", policy.SCORE_TOO_LOW)


def test_no_income_is_refused():
    decision = offer(650, income=0)
    assert (decision.approved, decision.limit_cents, decision.refusal) == (
        False,
        0,
        policy.NO_INCOME,
    )


def test_above_the_limit_is_refused_with_the_limit_to_offer():
    refused = offer(650, requested=10_000_000)
    assert not refused.approved and refused.refusal == policy.ABOVE_LIMIT
    assert 0 < refused.limit_cents < 10_000_000
    assert refused.limit_cents % 100 == 0  # whole reais
    at_limit = offer(650, requested=refused.limit_cents)
    assert at_limit.approved and at_limit.limit_cents == refused.limit_cents
    assert not offer(650, requested=refused.limit_cents + 1).approved


def test_the_installment_cap_binds_on_long_cheap_loans_and_the_multiple_on_short_ones():
    # R$ 4.000,00 a month, band A: 12 x income is R$ 48.000,00; 30% is R$ 1.200,00 a month.
    short = offer(650, n=6)
    assert installment(short.limit_cents, short.monthly_rate, 6) <= Decimal("1200.00")
    assert short.limit_cents < 4_800_000  # six installments of R$ 1.200,00 pay for less
    long = offer(650, n=120)
    assert long.limit_cents == 4_800_000  # the installment of R$ 48.000,00 is far below 30%
    capped = policy.max_principal(
        installment_cap=Decimal("1200.00"), monthly_rate=Decimal("1.49"), installments=6
    )
    assert price_payment(principal=capped, rate=Decimal("0.0149"), installments=6) <= Decimal(
        "1200.00"
    )
    assert price_payment(principal=capped + 1, rate=Decimal("0.0149"), installments=6) > Decimal(
        "1200.00"
    )


scores = st.integers(min_value=300, max_value=700)
incomes = st.integers(min_value=1, max_value=10**8)  # up to R$ 1 million a month
terms = st.integers(min_value=1, max_value=420)


@settings(max_examples=300, deadline=None)
@given(score=scores, income=incomes, n=terms, requested=st.integers(1, 10**9))
def test_the_installment_never_exceeds_30_percent_of_income(score, income, n, requested):
    decision = offer(score, income=income, requested=requested, n=n)
    cap = Decimal(income * 30 // 100) / 100
    if decision.limit_cents:
        assert installment(decision.limit_cents, decision.monthly_rate, n) <= cap
    if decision.approved:
        assert installment(requested, decision.monthly_rate, n) <= cap
        assert requested <= decision.limit_cents
    band = next(b for b in policy.POLICIES[-1].bands if b.name == decision.band)
    assert decision.limit_cents <= income * band.income_multiple


@settings(max_examples=300, deadline=None)
@given(a=scores, b=scores, income=incomes, n=terms)
def test_a_higher_score_never_gets_a_higher_rate_or_a_lower_limit(a, b, income, n):
    low, high = sorted((a, b))
    worse = offer(low, income=income, n=n)
    better = offer(high, income=income, n=n)
    assert better.limit_cents >= worse.limit_cents
    assert better.band <= worse.band  # "A" < "E"
    if worse.refusal != policy.SCORE_TOO_LOW:
        assert better.monthly_rate <= worse.monthly_rate


def test_the_policy_is_dated_and_tied_to_the_score_scale():
    current = policy.policy_on(date(2027, 1, 1))
    assert current.version == "2026-01" and "v1" in current.model_versions
    with pytest.raises(LookupError):
        policy.policy_on(date(2025, 12, 31))
    with pytest.raises(ValueError):
        policy.offer(
            result=result(650, version="v9"),
            monthly_income_cents=400_000,
            requested_cents=100_000,
            installments=12,
        )


def test_the_reference_rate_is_the_dearest_offered():
    assert Decimal("3.49") == policy.REFERENCE_RATE
    assert policy.rate_for_band("A") == Decimal("1.49")
    assert policy.rate_for_band("E") is None
    assert policy.rate_for_band("Z") is None


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"installments": 0}, PricingError),
        ({"installments": 421}, PricingError),
        ({"requested": 0}, ValueError),
        ({"requested": -1}, ValueError),
        ({"income": -1}, ValueError),
    ],
)
def test_bad_terms_are_refused(changes, error):
    args = {"income": 400_000, "requested": 100_000, "n": 12}
    args.update({"n": changes["installments"]} if "installments" in changes else changes)
    with pytest.raises(error):
        offer(650, income=args["income"], requested=args["requested"], n=args["n"])


def test_a_scored_applicant_gets_an_offer():
    decision = policy.offer(
        result=scorecard.score(BASE),
        monthly_income_cents=BASE.monthly_income_cents,
        requested_cents=BASE.principal_cents,
        installments=BASE.installments,
    )
    assert decision.band in "ABCDE"
