"""CET, the total effective cost (Custo Efetivo Total), CMN Resolution 4.881/2020 art. 4
(the formula of Resolution 3.517/2007's annex, which 4.881 consolidated):

    sum_j  FC_j / (1 + CET) ^ ((d_j - d_0) / 365)  =  FC_0

FC_0 is the amount released to the borrower (principal less the IOF and fees charged up
front), FC_j the j-th payment, d_j - d_0 the calendar days from the release to its due
date. CET is an annual rate; it is published as a percentage with two decimals rounded
per ABNT NBR 5891 (HALF EVEN).

Why a hand-written solver: numpy-financial's `irr` finds the rate of EQUALLY spaced
periods (a polynomial in 1/(1+r)), while these exponents are day counts over 365 (31/365,
59/365, ...: months are not equal), and it works in binary floats, which money and a
two-decimal rounding at a half cannot trust. So: f(r) = sum_j FC_j (1+r)^-t_j - FC_0 is
decreasing and convex in r, with f(0) >= 0 whenever the payments add up to at least what
was released; we bracket the root in [0, hi] and refine it by Newton steps, falling back
to bisection whenever a step would leave the bracket or shrink too slowly, until a step
is under 1e-12, all in Decimal with 40 significant digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from .errors import PricingError
from .rounding import CENT, HUNDRED, ONE, ZERO, exact, round_half_even

YEAR_DAYS = Decimal(365)
TOLERANCE = Decimal("1e-12")
# An annual CET above 10,000,000 (1,000,000,000%) means terms no lender offers (a whole
# month's interest for a few days, fees eating the loan): refused, never printed.
MAX_CET = Decimal("1e7")
HALF_CENT = Decimal("0.005")
NEAR_A_TIE = Decimal("1e-9")  # in percent: far wider than the solver's error
TIE_TOLERANCE = Decimal("1e-30")  # relative: a tie to 40 digits
MAX_ITERATIONS = 400  # bisection alone would need about 63 over [0, MAX_CET]


class CetNotSolvable(PricingError):
    """No rate equates the flows (`cet_undefined`) or it is beyond MAX_CET (`cet_too_large`)."""


Flows = Sequence[tuple[date, Decimal]]


def _years(release_date: date, flows: Flows) -> list[tuple[Decimal, Decimal]]:
    out = []
    for due_date, amount in flows:
        days = (due_date - release_date).days
        if days < 0:
            raise PricingError("first_due_date", "before_release")
        out.append((Decimal(days) / YEAR_DAYS, amount))
    return out


def _npv(rate: Decimal, terms: list[tuple[Decimal, Decimal]], released: Decimal):
    """f(rate) and f'(rate): present value of the payments less the amount released."""
    log_growth = (ONE + rate).ln()
    value = -released
    slope = ZERO
    for years, amount in terms:
        discounted = amount * (-years * log_growth).exp()
        value += discounted
        slope -= years * discounted
    return value, slope / (ONE + rate)


@exact
def present_value(*, rate: Decimal, release_date: date, flows: Flows) -> Decimal:
    """sum_j FC_j / (1 + rate)^((d_j - d_0)/365), exact to the context (for checks)."""
    value, _ = _npv(rate, _years(release_date, flows), ZERO)
    return value


@exact
def cet_rate(*, released: Decimal, release_date: date, flows: Flows) -> Decimal:
    """The annual rate (a fraction, unrounded) equating `flows` to `released`."""
    if released <= ZERO:
        raise CetNotSolvable(None, "cet_undefined")
    terms = _years(release_date, flows)
    at_release = sum((amount for years, amount in terms if years == ZERO), ZERO)
    if at_release >= released:
        # What is paid on the day of the release alone already covers it: f never reaches 0.
        raise CetNotSolvable(None, "cet_undefined")
    low, f_low = ZERO, _npv(ZERO, terms, released)[0]
    if f_low == ZERO:
        return ZERO
    if f_low < ZERO:
        # Less is paid back than was released: a negative cost no loan of ours has.
        raise CetNotSolvable(None, "cet_undefined")
    high = ONE
    while _npv(high, terms, released)[0] > ZERO:
        if high >= MAX_CET:
            raise CetNotSolvable(None, "cet_too_large")
        low = high
        high = min(high * 10, MAX_CET)
    return _refine(low, high, terms, released)


def _refine(low: Decimal, high: Decimal, terms, released: Decimal) -> Decimal:
    """Safeguarded Newton (Numerical Recipes' rtsafe) inside [low, high], where
    f(low) > 0 >= f(high): a Newton step is taken when it stays inside the bracket and at
    least halves the last step; otherwise the bracket is bisected. Never worse than
    bisection, quadratic near the root."""
    guess = (low + high) / 2
    step_before = step = high - low
    for _ in range(MAX_ITERATIONS):
        value, slope = _npv(guess, terms, released)
        if value == ZERO:
            return guess
        if value > ZERO:
            low = guess
        else:
            high = guess
        candidate = None
        if slope < ZERO and abs(2 * value) <= abs(step_before * slope):
            candidate = guess - value / slope
            if not low < candidate < high:
                candidate = None
        step_before = step
        if candidate is None:
            step = (high - low) / 2
            guess = low + step
        else:
            step = abs(candidate - guess)
            guess = candidate
        if step < TOLERANCE:
            return guess
    return guess  # not reached on our inputs: bisection alone needs ~63 steps


@exact
def cet_annual_percent(*, released: Decimal, release_date: date, flows: Flows) -> Decimal:
    """The CET as published: percent a year, two decimals, HALF EVEN (ABNT NBR 5891)."""
    rate = cet_rate(released=released, release_date=release_date, flows=flows)
    return publish(rate, released=released, release_date=release_date, flows=flows)


@exact
def publish(rate: Decimal, *, released: Decimal, release_date: date, flows: Flows) -> Decimal:
    """`rate` (the solver's, within 1e-12 of the root) as a two-decimal percentage.

    Near a half hundredth (12.345%) the solver's last digits would pick the side, and a
    true tie must go to the even neighbour: there the equation itself decides, evaluated
    at the half (f > 0: the root is above it; f < 0: below; f = 0 to the context's
    precision: a tie, HALF EVEN)."""
    percent = rate * HUNDRED
    below = percent.quantize(CENT, rounding=ROUND_FLOOR)
    half = below + HALF_CENT
    if abs(percent - half) > NEAR_A_TIE:
        return round_half_even(percent)
    value, _ = _npv(half / HUNDRED, _years(release_date, flows), released)
    if abs(value) <= released * TIE_TOLERANCE:
        return round_half_even(half)
    return below + CENT if value > ZERO else below
