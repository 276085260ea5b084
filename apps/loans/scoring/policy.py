"""Credit policy: from a score to an offer (band, monthly rate, limit) or a refusal.

A dated, versioned table of score bands. The cut-offs are PDs on the scorecard's scale
(600 points = odds 50:1 good:bad, 20 points double the odds, scorecard.py):

    band  score      PD at the cut-off   rate a month   limit
    A     >= 560     7.41%               1.49%          12 x monthly income
    B     540-559    13.79%              1.99%           8 x
    C     520-539    24.24%              2.49%           5 x
    D     500-519    39.02%              3.49%           3 x
    E     < 500                          refused

The cut-offs were set by approval rate on the reference data (German Credit, 1.000
applicants, 30% bad by design): 500 points approve 69% of them, whose bad rate is 18%
against 30% for all; 560 points approve the best 18% (6% bad). The PDs of the scale are
inflated by the data's oversampling of bad loans (docs/credit-score.md), so the cut-offs
follow the ranking, not the PDs; our own loans will recalibrate both.

and, in every band, the installment of the limit (PRICE, at the band's rate, over the
requested number of installments) is at most 30% of the declared monthly income: a debt
service ratio the customer can carry alongside what we cannot see. Limits are whole reais,
rounded down.

Refusals (Decision.refusal): "no_income" (nothing declared to lend against),
"score_too_low" (band E), "above_limit" (the request exceeds the limit; limit_cents says
what we can lend, for the portal to offer it).

The schedule math is apps.loans.pricing's: the installment of a principal is
schedule.price_payment; the largest principal an installment pays for is its inverse,
checked against price_payment itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from apps.loans.pricing.limits import MAX_INSTALLMENTS, check_count
from apps.loans.pricing.rounding import CENT, HUNDRED, ONE, ZERO, exact
from apps.loans.pricing.schedule import price_payment

from .scorecard import ScoreResult

NO_INCOME = "no_income"
SCORE_TOO_LOW = "score_too_low"
ABOVE_LIMIT = "above_limit"
REAL = Decimal(1)


@dataclass(frozen=True)
class Band:
    name: str
    min_score: int | None  # None: every score below the previous band's
    monthly_rate: Decimal | None  # percent a month; None: refused
    income_multiple: int


@dataclass(frozen=True)
class Policy:
    version: str
    effective: date  # applies to decisions from this day on
    model_versions: frozenset[str]  # the score scales these cut-offs were set on
    bands: tuple[Band, ...]  # best first
    max_installment_percent: int  # of the declared monthly income


@dataclass(frozen=True)
class Decision:
    approved: bool
    limit_cents: int
    monthly_rate: Decimal  # percent a month, e.g. Decimal("2.49"); 0 when no rate is offered
    band: str  # "A".."E"
    refusal: str  # "" when approved, else NO_INCOME, SCORE_TOO_LOW or ABOVE_LIMIT


POLICIES: tuple[Policy, ...] = (
    Policy(
        version="2026-01",
        effective=date(2026, 1, 1),
        model_versions=frozenset({"v1"}),
        bands=(
            Band("A", 560, Decimal("1.49"), 12),
            Band("B", 540, Decimal("1.99"), 8),
            Band("C", 520, Decimal("2.49"), 5),
            Band("D", 500, Decimal("3.49"), 3),
            Band("E", None, None, 0),
        ),
        max_installment_percent=30,
    ),
)


def _highest_rate(policy: Policy) -> Decimal:
    return max(band.monthly_rate for band in policy.bands if band.monthly_rate is not None)


# The rate of the first installment an applicant is scored with (INSTALL_RATE): the rate
# follows from the score, so affordability is judged at the dearest rate we offer.
REFERENCE_RATE = _highest_rate(POLICIES[-1])


def rate_for_band(band: str, policy: Policy | None = None) -> Decimal | None:
    """The monthly rate (percent) of `band`; None for a refused band or an unknown one."""
    policy = policy or POLICIES[-1]
    return next((b.monthly_rate for b in policy.bands if b.name == band), None)


def policy_on(day: date) -> Policy:
    """The policy in force on `day` (the latest one effective by then)."""
    in_force = [policy for policy in POLICIES if policy.effective <= day]
    if not in_force:
        raise LookupError(f"no credit policy in force on {day.isoformat()}")
    return max(in_force, key=lambda policy: policy.effective)


def band_for(score: int, policy: Policy) -> Band:
    for band in policy.bands:
        if band.min_score is None or score >= band.min_score:
            return band
    raise ValueError(f"policy {policy.version} has no band for {score}")  # pragma: no cover


@exact
def max_principal(*, installment_cap: Decimal, monthly_rate: Decimal, installments: int) -> Decimal:
    """The largest whole-real principal whose PRICE installment at `monthly_rate` (percent)
    is at most `installment_cap`."""
    rate = monthly_rate / HUNDRED
    principal = (installment_cap * (ONE - (ONE + rate) ** -installments) / rate).quantize(
        REAL, rounding=ROUND_FLOOR
    )
    # The installment is rounded HALF UP to centavos: a principal right at the bound may pay
    # a centavo more than the cap, so step down until price_payment agrees.
    while principal > ZERO and (
        price_payment(principal=principal, rate=rate, installments=installments) > installment_cap
    ):
        principal -= REAL
    return max(principal, ZERO)


@exact
def offer(
    *,
    result: ScoreResult,
    monthly_income_cents: int,
    requested_cents: int,
    installments: int,
    policy: Policy | None = None,
) -> Decision:
    """The offer for a scored applicant asking `requested_cents` in `installments` months."""
    check_count("installments", installments, minimum=1, maximum=MAX_INSTALLMENTS)
    for name, value in (
        ("monthly_income_cents", monthly_income_cents),
        ("requested_cents", requested_cents),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer")
    if requested_cents == 0:
        raise ValueError("requested_cents must be positive")
    policy = policy or POLICIES[-1]
    if result.model_version not in policy.model_versions:
        raise ValueError(
            f"policy {policy.version} was not set on model {result.model_version}'s scale"
        )
    band = band_for(result.score, policy)
    if band.monthly_rate is None:
        return Decision(False, 0, ZERO, band.name, SCORE_TOO_LOW)
    if monthly_income_cents == 0:
        return Decision(False, 0, band.monthly_rate, band.name, NO_INCOME)
    income = Decimal(monthly_income_cents) * CENT
    cap = (income * policy.max_installment_percent / HUNDRED).quantize(CENT, rounding=ROUND_FLOOR)
    affordable = max_principal(
        installment_cap=cap, monthly_rate=band.monthly_rate, installments=installments
    )
    limit = min(affordable, (income * band.income_multiple).quantize(REAL, rounding=ROUND_FLOOR))
    limit_cents = int(limit * HUNDRED)
    if requested_cents > limit_cents:
        return Decision(False, limit_cents, band.monthly_rate, band.name, ABOVE_LIMIT)
    return Decision(True, limit_cents, band.monthly_rate, band.name, "")
