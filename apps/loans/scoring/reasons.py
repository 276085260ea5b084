"""What a customer is told about each reason code (LGPD art. 20: the main criteria of an
automated decision). The only module of the package that imports Django: the texts are
translated (locale/pt_BR), and the scorecard itself stays pure.

A reason is a factor that cost points against its best bin, so each text must hold for
every value short of the best: "no loans with us yet" and "late payments" are both short of
"loans repaid", and an account too new to measure is as short as one that contradicts the
declared income. The texts give no points: those are in the ScoreResult, for the review.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .scorecard import Reason, ScoreResult, reasons

REASON_TEXT: dict[str, Promise] = {
    "installment_to_income": _("The installment is a large share of your declared income."),
    "account_balance": _("The average balance of your account is low compared with your income."),
    "savings": _(
        "The lowest balance of your account in the last 90 days is small compared with your income."
    ),
    "term": _("A shorter term would help: longer loans carry more risk."),
    "employment": _("You have fewer years in your present job than the applicants rated best."),
    "age": _("Applicants in your age group repay less often in our reference data."),
    "housing": _("Your housing situation is associated with more risk in our reference data."),
    "purpose": _("Loans for this purpose are repaid less often in our reference data."),
    "income_inflows": _(
        "The money coming into your account does not yet confirm the income you declared."
    ),
    "balance_volatility": _("Your account does not yet show a steady balance."),
    "returned_payments": _("Payments from your account were returned in the last 12 months."),
    "account_age": _("Your account with us is recent, so we know little of its history yet."),
    "loan_history": _("Your record of loans repaid with us is short or has late payments."),
    "open_loans": _("You already have loans open with us."),
}


def explain(result: ScoreResult, n: int = 3) -> list[tuple[Reason, Promise]]:
    """The top `n` reasons with their text (translated when rendered)."""
    return [(reason, REASON_TEXT[reason.code]) for reason in reasons(result, n)]
