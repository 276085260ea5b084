"""The loan applicant, and how it maps onto the inputs of a model trained on German Credit.

The model was trained on the German Credit data (1,000 consumer loans of a German bank,
published by Hans Hofmann in 1994; docs/credit-score.md). Its inputs are that data's codes, so
each of our facts is translated into the German code that means the same thing:

    CHK_ACCT      checking account: 0 below zero, 1 some money, 2 a good balance, 3 none
    SAV_ACCT      savings: 0 < DM 100, 1 < DM 500, 2 < DM 1,000, 3 >= DM 1,000 (4 unknown)
    DURATION      the term in months
    INSTALL_RATE  the installment as a share of disposable income, 1 (low) to 4 (high)
    EMPLOYMENT    years in the present job: 0 unemployed, 1 < 1, 2 < 4, 3 < 7, 4 >= 7
    AGE           years
    HOUSING       own, rent or free (German's RENT and OWN_RES dummies; neither is "free")
    PURPOSE       car, furniture, electronics, education, business or other (the dummies)

Balances are judged against the declared income rather than in currency: a DM amount of the
1970s has no meaning in reais, but "a month's income in the bank" means the same then and now.

Left out on purpose:

* sex and marital status (MALE_DIV, MALE_SINGLE, MALE_MAR_or_WID): discriminatory (LGPD
  art. 6 IX forbids discriminatory processing), and German's columns mix the two;
* FOREIGN: nationality is a discriminatory criterion, and our customers all live here;
* TELEPHONE: a landline in the customer's name said something in 1975 and nothing now;
* AMOUNT: a 1970s DM amount has no BRL meaning (affordability is INSTALL_RATE's job);
* HISTORY: under the labels the data is documented with, its codes run against their
  meaning ("critical account" has the lowest default rate, 17%; "all credits at this bank
  paid back duly" one of the highest, 57%). Either the labels are wrong (Groemping 2019
  relabels this attribute, docs/credit-score.md) or the bank's selection made it so; either
  way our loan history cannot be mapped onto it with confidence, and a wrong guess would
  reward a default with us. Our own loan history is an overlay signal instead (overlay.py);
* NUM_CREDITS: no signal (information value 0.01), and what little there is says more
  credits look safer, which would reward stacking loans (open_loans is an overlay signal);
* guarantors, co-applicants, property, other installments, job, residence, dependents: we
  do not collect them.

The codes are read as UCI's documentation labels them. Groemping (2019) argues that this
code table mislabels several attributes (checking account, savings and credit history among
them); docs/credit-score.md says what that would change. Whatever the labels, the codes this
mapping gives rank in the trained points as our reading of them does (CHK_ACCT 0 < 1 < 2,
SAV_ACCT 0 < 1 < 2 < 3): more money never costs points.

Money is in integer centavos; every comparison below is between integers (no float).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation
from typing import Any

PURPOSES = ("car", "furniture", "electronics", "education", "business", "repairs", "other")
HOUSING = ("own", "rent", "free")
LOAN_HISTORY = ("none", "paid", "current", "late", "defaulted")

# The balances are averages over 90 days; an account younger than a month has not seen one
# cycle of salary and bills, so its balances say nothing yet ("no history").
MIN_HISTORY_DAYS = 30

# German's INSTALL_RATE bands: the installment as a percent of income, <20, 20-25, 25-35,
# >=35 (1 to 4). We apply them to the declared (gross) income; policy.py caps the installment
# at 30% of it, so an offer lands in band 3 at worst.
INSTALL_RATE_CUTS = (20, 25, 35)

# CHK_ACCT 2 ("DM 200 or more") is read as a quarter of a month's income on average.
CHECKING_GOOD_DIVISOR = 4

# SAV_ACCT's DM 100, 500 and 1,000 at a monthly income of about DM 2,500 are 4%, 20% and
# 40% of it; the cuts are applied to the lowest balance of 90 days (money that stayed put).
SAVINGS_CUTS = (5, 20, 40)

# German's EMPLOYMENT bands: years in the present job, <1, 1-4, 4-7, >=7 (codes 1 to 4; 0 is
# unemployed, which a declared job never is).
EMPLOYMENT_CUTS = (1, 4, 7)

PURPOSE_CODES = {
    "car": "car",  # German's NEW_CAR and USED_CAR together: we do not ask which
    "furniture": "furniture",
    "electronics": "electronics",  # RADIO/TV
    "education": "education",
    # dmba's RETRAINING column holds 97 rows: the count of the original's "business" (A49),
    # not of its "retraining" (A48, 9 rows), so that column is business (training.py).
    "business": "business",
    "repairs": "other",  # the rows with no purpose dummy: repairs, appliances, retraining...
    "other": "other",
}

# The model's inputs, each with the reason code a customer is told when it costs points.
REASON_CODES = {
    "CHK_ACCT": "account_balance",
    "SAV_ACCT": "savings",
    "DURATION": "term",
    "INSTALL_RATE": "installment_to_income",
    "EMPLOYMENT": "employment",
    "AGE": "age",
    "HOUSING": "housing",
    "PURPOSE": "purpose",
}

# Every value the categorical mappings can produce: a model must have a bin for each.
CATEGORICAL_VALUES: dict[str, frozenset[int | str]] = {
    "CHK_ACCT": frozenset({0, 1, 2, 3}),
    "SAV_ACCT": frozenset({0, 1, 2, 3}),
    "HOUSING": frozenset(HOUSING),
    "PURPOSE": frozenset(PURPOSE_CODES.values()),
}

_INT_FIELDS = (
    "installments",
    "principal_cents",
    "monthly_income_cents",
    "installment_cents",
    "age_years",
    "employment_years",
    "average_balance_cents",
    "minimum_balance_cents",
    "monthly_inflow_cents",
    "returned_payments",
    "account_age_days",
    "open_loans",
)
# Balances can be below zero (an overdraft); every other count or amount cannot.
_SIGNED = frozenset({"average_balance_cents", "minimum_balance_cents"})


@dataclass(frozen=True)
class Applicant:
    """What we know when a customer asks for a loan: the terms, the declared facts and what
    our own account and loans show. Amounts in centavos."""

    installments: int  # the term in months
    principal_cents: int
    monthly_income_cents: int  # declared
    installment_cents: int  # the first installment of the simulated schedule
    age_years: int
    employment_years: int  # declared, in the present job
    housing: str  # HOUSING
    purpose: str  # PURPOSES
    average_balance_cents: int  # our account, last 90 days
    minimum_balance_cents: int  # our account, last 90 days
    monthly_inflow_cents: int  # average credits a month, last 90 days
    balance_volatility: Decimal  # std / |mean| of the daily balances; 0 with no history
    returned_payments: int  # last 12 months
    account_age_days: int
    loan_history: str  # LOAN_HISTORY, from our own loans
    open_loans: int  # with us

    def __post_init__(self) -> None:
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an integer")
            if value < 0 and name not in _SIGNED:
                raise ValueError(f"{name} cannot be negative")
        if self.installments < 1:
            raise ValueError("installments must be at least 1")
        if self.minimum_balance_cents > self.average_balance_cents:
            raise ValueError("minimum_balance_cents cannot exceed average_balance_cents")
        volatility = self.balance_volatility
        if not isinstance(volatility, Decimal) or not volatility.is_finite() or volatility < 0:
            raise ValueError("balance_volatility must be a finite, non-negative Decimal")
        for name, allowed in (
            ("housing", HOUSING),
            ("purpose", PURPOSES),
            ("loan_history", LOAN_HISTORY),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}")

    @property
    def has_history(self) -> bool:
        return self.account_age_days >= MIN_HISTORY_DAYS

    def as_dict(self) -> dict[str, int | str]:
        """JSON-safe: the Decimal as its string, so nothing passes through a float."""
        data = asdict(self)
        data["balance_volatility"] = str(self.balance_volatility)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Applicant:
        names = {field.name for field in fields(cls)}
        unknown = set(data) - names
        missing = names - set(data)
        if unknown or missing:
            raise ValueError(f"unknown fields {sorted(unknown)}, missing {sorted(missing)}")
        values = dict(data)
        volatility = values["balance_volatility"]
        if isinstance(volatility, float):  # a float has already lost the exact value
            raise ValueError("balance_volatility must be a string or a Decimal, not a float")
        try:
            values["balance_volatility"] = Decimal(volatility)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError("balance_volatility is not a number") from None
        return cls(**values)


def _band(value: int, whole: int, cuts: tuple[int, ...]) -> int:
    """How many of `cuts` (percent of `whole`) `value` reaches: value/whole >= cut/100,
    compared as integers."""
    return sum(1 for cut in cuts if value * 100 >= whole * cut)


def checking_account(applicant: Applicant) -> int:
    """CHK_ACCT: below zero -> 0; under a quarter of the income -> 1; else 2; none -> 3."""
    if not applicant.has_history:
        return 3
    if applicant.average_balance_cents < 0:
        return 0
    if applicant.average_balance_cents * CHECKING_GOOD_DIVISOR < applicant.monthly_income_cents:
        return 1
    return 2


def savings_account(applicant: Applicant) -> int:
    """SAV_ACCT from the lowest balance as a share of income: <5% -> 0, <20% -> 1, <40% -> 2,
    else 3. Never 4 ("unknown"): no history means nothing saved with us, so 0."""
    if not applicant.has_history or applicant.minimum_balance_cents <= 0:
        return 0
    if applicant.monthly_income_cents == 0:
        return 3  # money kept and no income to measure it against
    return _band(applicant.minimum_balance_cents, applicant.monthly_income_cents, SAVINGS_CUTS)


def install_rate(applicant: Applicant) -> int:
    """INSTALL_RATE 1..4; with no declared income, the worst."""
    if applicant.monthly_income_cents == 0:
        return 4
    return 1 + _band(applicant.installment_cents, applicant.monthly_income_cents, INSTALL_RATE_CUTS)


def employment(applicant: Applicant) -> int:
    """EMPLOYMENT 1..4 (never 0: a declared job is a job; a zero is "under a year")."""
    return 1 + sum(1 for cut in EMPLOYMENT_CUTS if applicant.employment_years >= cut)


def model_inputs(applicant: Applicant) -> dict[str, int | str]:
    """The applicant in the model's terms, keyed by German Credit's column names."""
    return {
        "CHK_ACCT": checking_account(applicant),
        "SAV_ACCT": savings_account(applicant),
        "DURATION": applicant.installments,
        "INSTALL_RATE": install_rate(applicant),
        "EMPLOYMENT": employment(applicant),
        "AGE": applicant.age_years,
        "HOUSING": applicant.housing,
        "PURPOSE": PURPOSE_CODES[applicant.purpose],
    }
