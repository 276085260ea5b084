"""The expert overlay: integer points from what our own accounts and loans show.

Why an overlay and not a trained model: our own default history is too short to train on
(the lending book is new), and the German Credit data knows nothing about Pix inflows,
returned payments or how long an account has been open with us. So these signals score by a
points table that is POLICY: written by credit risk, reviewed like any credit policy, and
versioned WITH the model (training copies OVERLAYS[version] into model/<version>.json, and the
run time reads the table from that file), so a model version fixes both the trained bins
and the overlay. Changing a point here means a new model version.

The points are on the scorecard's scale (20 points double the odds good:bad), so +10 says
"we judge the odds about 40% better", and the PD of the final score still follows from the
scaling. Every table runs in one direction: more returned payments, more volatility, a
younger account, a worse loan history or more open loans never ADD points.

Measures (integers, so the tables compare integers):

    income_inflows      average monthly inflow as a percent of the declared income
                        (unknown with no history or no declared income)
    balance_volatility  the coefficient of variation of the daily balances, in percent
                        (unknown with no history)
    returned_payments   returned or bounced payments in 12 months
    account_age         days since the account was opened
    loan_history        our own loans: none, paid, current, late, defaulted
    open_loans          loans open with us

loan_history stands in for German's HISTORY, whose documented codes run against their
meaning in that sample (features.py), and open_loans for NUM_CREDITS, which carried no
signal.

The account_age table is sized against CHK_ACCT: a new account maps to German's "no checking
account", the best CHK_ACCT bin of the 1994 data (it meant banking elsewhere, not being new),
so an account under a month loses more than that bin gives over "some money" (the trained
difference is in the model file; tests/loans/scoring checks the two against each other).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_FLOOR
from typing import Any

from .features import Applicant

OVERLAYS: dict[str, dict[str, Any]] = {
    "v1": {
        "version": "v1",
        "signals": [
            {
                "name": "income_inflows",
                "kind": "numerical",
                "unknown_points": 0,
                # Net pay is about 75-90% of a gross salary after INSS and IRRF: from 75% the
                # inflows confirm the declaration; under half, the income is doubtful.
                "bins": [
                    {"upper": 25, "points": -20},
                    {"upper": 50, "points": -10},
                    {"upper": 75, "points": 0},
                    {"upper": None, "points": 10},
                ],
            },
            {
                "name": "balance_volatility",
                "kind": "numerical",
                "unknown_points": 0,
                "bins": [
                    {"upper": 50, "points": 5},
                    {"upper": 100, "points": 0},
                    {"upper": 200, "points": -5},
                    {"upper": None, "points": -10},
                ],
            },
            {
                "name": "returned_payments",
                "kind": "numerical",
                "bins": [
                    {"upper": 1, "points": 0},
                    {"upper": 2, "points": -10},
                    {"upper": 3, "points": -20},
                    {"upper": None, "points": -35},
                ],
            },
            {
                "name": "account_age",
                "kind": "numerical",
                "bins": [
                    {"upper": 30, "points": -45},
                    {"upper": 90, "points": -20},
                    {"upper": 180, "points": -10},
                    {"upper": 365, "points": 0},
                    {"upper": None, "points": 5},
                ],
            },
            {
                "name": "loan_history",
                "kind": "categorical",
                "bins": [
                    {"values": ["paid"], "points": 15},
                    {"values": ["current"], "points": 5},
                    {"values": ["none"], "points": 0},
                    {"values": ["late"], "points": -25},
                    {"values": ["defaulted"], "points": -60},
                ],
            },
            {
                "name": "open_loans",
                "kind": "numerical",
                "bins": [
                    {"upper": 1, "points": 0},
                    {"upper": 2, "points": -5},
                    {"upper": 3, "points": -15},
                    {"upper": None, "points": -30},
                ],
            },
        ],
    },
}


def _income_inflows(applicant: Applicant) -> int | None:
    if not applicant.has_history or applicant.monthly_income_cents == 0:
        return None
    return applicant.monthly_inflow_cents * 100 // applicant.monthly_income_cents


def _balance_volatility(applicant: Applicant) -> int | None:
    if not applicant.has_history:
        return None
    percent = applicant.balance_volatility * 100
    return int(percent.to_integral_value(rounding=ROUND_FLOOR))


MEASURES: dict[str, Callable[[Applicant], int | str | None]] = {
    "income_inflows": _income_inflows,
    "balance_volatility": _balance_volatility,
    "returned_payments": lambda applicant: applicant.returned_payments,
    "account_age": lambda applicant: applicant.account_age_days,
    "loan_history": lambda applicant: applicant.loan_history,
    "open_loans": lambda applicant: applicant.open_loans,
}


def measures(applicant: Applicant) -> dict[str, int | str | None]:
    """The overlay's inputs for one applicant, by signal name (None: unknown)."""
    return {name: measure(applicant) for name, measure in MEASURES.items()}


def table(version: str) -> dict[str, Any]:
    """The overlay of a model version, as training writes it into the model file."""
    try:
        return OVERLAYS[version]
    except KeyError:
        raise LookupError(
            f"no overlay table for {version}: write OVERLAYS[{version!r}] in "
            "apps/loans/scoring/overlay.py (credit risk's points) before training it"
        ) from None
