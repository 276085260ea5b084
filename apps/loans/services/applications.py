"""Applying for a loan: validate, score, decide and price, in one transaction.

draft -> submitted -> scored -> approved | rejected, each step in the loan's history. The
decision is automated (the scorecard and the policy of apps.loans.scoring); LGPD art. 20
lets the customer ask a person to review a rejection (apps.privacy's review flow reaches
`loan_reopen_for_review`, and a credit analyst decides with `loan_decide_by_person`).

The applicant's features are read once and stored on the loan: the score is a function of
them and of the model version, so scoring the same application again gives the same score.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import services as accounts
from apps.accounts.models import Account, Customer
from apps.core.errors import Conflict, Forbidden, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.timezones import brasilia_today
from apps.kyc import selectors as kyc

from ..account_history import account_history
from ..errors import LoanNotFound, LoanStateConflict, invalid_terms
from ..models import Housing, Loan, Purpose, System
from ..pricing import PricingError, simulate
from ..pricing.dates import first_due_date
from ..scoring import policy, scorecard
from ..scoring.features import Applicant

# The product's own bounds (the calculators accept far more).
MIN_PRINCIPAL = 50_000  # R$ 500,00
MAX_PRINCIPAL = 10_000_000  # R$ 100.000,00
MIN_INSTALLMENTS = 3
MAX_INSTALLMENTS = 48
MAX_INCOME = 100_000_000_000  # R$ 1 billion a month: above it the number is a typo
OFFER_DAYS = 7  # an approval is good for a week; then the rate may have moved
SCORER = "credit-score"


def _cents(value: Any, *, field: str) -> int:
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("Enter an amount such as 1500.00."), field=field) from None
    if amount.is_finite() and amount > Decimal(MAX_INCOME) / 100:
        # Checked first: quantizing 1E+30 to centavos overflows the context.
        raise ValidationFailed(_("The amount is too large."), field=field)
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")) or amount <= 0:
        raise ValidationFailed(
            _("Enter a positive amount with at most two decimal places."), field=field
        )
    return int(amount * 100)


def _whole(value: Any, *, field: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(_("Enter a whole number."), field=field) from None
    if not low <= number <= high:
        raise ValidationFailed(
            _("Enter a number from %(low)s to %(high)s.") % {"low": low, "high": high},
            field=field,
        )
    return number


def _choice(value: Any, choices: type, *, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(_("Choose one of the options."), field=field)
    return value


def _account(customer: Customer, account_id: Any) -> Account:
    found = (
        Account.objects.filter(
            pk=account_id, customer=customer, kind=Account.Kind.CUSTOMER, state="active"
        ).first()
        if str(account_id).isdigit()
        else None
    )
    if found is None:
        raise ValidationFailed(_("Choose one of your active accounts."), field="account_id")
    return found


def persons_only(customer: Customer) -> str | None:
    """Loans are offered to natural persons only, for now: None for a person, else why not.
    Registered with accounts as the product's condition (`register_product_condition`), so
    the portal names loans only to whom `loan_apply` may lend."""
    if customer.kind != Customer.Kind.PERSON:
        return _("Loans are offered to natural persons for now.")
    return None


def _age(customer: Customer, today: dt.date) -> int:
    refusal = persons_only(customer)
    if refusal is not None:
        raise Forbidden(refusal, code="loans_persons_only")
    born = kyc.verified_birth_date(customer=customer)
    if born is None:
        raise Forbidden(
            _("Your verification has no birth date; update your KYC before applying."),
            code="kyc_birth_date_missing",
        )
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _loan_history(customer: Customer) -> tuple[str, int, int]:
    """(history class, open loans, collections that fell short in 12 months)."""
    loans = Loan.objects.filter(customer=customer).exclude(
        state__in=[*Loan.OPEN_APPLICATION, Loan.State.REJECTED, Loan.State.CANCELLED]
    )
    states = set(loans.values_list("state", flat=True))
    shortfalls = (
        loans.filter(payments__short_cents__gt=0, payments__kind="collection")
        .values("payments")
        .count()
    )
    if Loan.State.DEFAULTED in states:
        history = "defaulted"
    elif Loan.State.IN_ARREARS in states or shortfalls:
        history = "late"
    elif states & {Loan.State.ACTIVE, Loan.State.CONTRACTED, Loan.State.DISBURSED}:
        history = "current"
    elif states:
        history = "paid"
    else:
        history = "none"
    return (
        history,
        sum(1 for s in loans.values_list("state", flat=True) if s in Loan.LIVE),
        shortfalls,
    )


def _reference_installment(loan: Loan, release: dt.date) -> int:
    """The first installment at the policy's reference rate: affordability is judged before
    the rate is known (the rate follows from the score)."""
    simulation = simulate(
        principal=Decimal(loan.requested_cents) / 100,
        monthly_rate=policy.REFERENCE_RATE,
        installments=loan.installments_count,
        system=loan.system,
        release_date=release,
        first_due_date=first_due_date(release, loan.first_due_day),
    )
    return int(simulation.installments[0].amount * 100)


def applicant_of(loan: Loan, *, now: dt.datetime) -> Applicant:
    """The features of `loan`'s applicant as of `now` (stored on the loan when scored)."""
    today = brasilia_today(now)
    history, open_loans, shortfalls = _loan_history(loan.customer)
    books = account_history(account=loan.account, now=now, shortfalls=shortfalls)
    return Applicant(
        installments=loan.installments_count,
        principal_cents=loan.requested_cents,
        monthly_income_cents=loan.declared_income_cents,
        installment_cents=_reference_installment(loan, today),
        age_years=_age(loan.customer, today),
        employment_years=loan.employment_years,
        housing=loan.housing,
        purpose=loan.purpose,
        average_balance_cents=books.average_balance_cents,
        minimum_balance_cents=books.minimum_balance_cents,
        monthly_inflow_cents=books.monthly_inflow_cents,
        balance_volatility=books.balance_volatility,
        returned_payments=books.returned_payments,
        account_age_days=books.account_age_days,
        loan_history=history,
        open_loans=open_loans,
    )


def price(loan: Loan, *, monthly_rate: Decimal, release: dt.date) -> None:
    """Fix the loan's terms for a release on `release` (not saved here)."""
    principal = Decimal(loan.principal_cents or loan.requested_cents) / 100
    try:
        simulation = simulate(
            principal=principal,
            monthly_rate=monthly_rate,
            installments=loan.installments_count,
            system=loan.system,
            release_date=release,
            first_due_date=first_due_date(release, loan.first_due_day),
        )
    except PricingError as error:
        raise invalid_terms(error) from None
    loan.principal_cents = int(principal * 100)
    loan.monthly_rate = monthly_rate
    loan.release_date = release
    loan.first_due_date = simulation.installments[0].due_date
    loan.iof_cents = int(simulation.iof * 100)
    loan.fees_cents = int(simulation.fees * 100)
    loan.released_cents = int(simulation.released_amount * 100)
    loan.total_interest_cents = int(simulation.total_interest * 100)
    loan.cet_annual_percent = simulation.cet_annual_percent


def score_and_decide(loan: Loan, *, now: dt.datetime) -> Loan:
    """Score the submitted `loan` and let the policy decide (both steps in its history)."""
    applicant = applicant_of(loan, now=now)
    result = scorecard.score(applicant)
    decision = policy.offer(
        result=result,
        monthly_income_cents=loan.declared_income_cents,
        requested_cents=loan.requested_cents,
        installments=loan.installments_count,
    )
    loan.features = applicant.as_dict()
    loan.score = result.score
    loan.probability_of_default = result.probability_of_default
    loan.model_version = result.model_version
    loan.reasons = [reason.code for reason in scorecard.reasons(result)]
    loan.band = decision.band
    loan.refusal = decision.refusal
    loan.limit_cents = decision.limit_cents
    loan.scored_at = now
    by = f"{SCORER} {result.model_version}"
    apply_transition(loan, "mark_scored", by=by, reason=f"score {result.score}")
    if not decision.approved:
        return apply_transition(loan, "reject", by=by, reason=decision.refusal)
    price(loan, monthly_rate=decision.monthly_rate, release=brasilia_today(now))
    loan.approved_at = now
    return apply_transition(loan, "approve", by=by, reason=f"band {decision.band}")


def loan_apply(
    *,
    customer: Customer,
    account_id: Any,
    amount: Any,
    installments: Any,
    system: Any = System.PRICE,
    purpose: Any,
    declared_income: Any,
    employment_years: Any,
    housing: Any,
    due_day: Any = 10,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> Loan:
    """Apply for a loan: the decision (and, when approved, the priced offer) comes back at
    once. Nothing moves money until the customer contracts the offer."""
    now = now or timezone.now()
    accounts.money_gate.require_level(customer, "loans")
    requested = _cents(amount, field="amount")
    if not MIN_PRINCIPAL <= requested <= MAX_PRINCIPAL:
        raise ValidationFailed(
            _("Loans go from R$ 500,00 to R$ 100.000,00."), field="amount", value=str(amount)
        )
    fields = {
        "account": _account(customer, account_id),
        "requested_cents": requested,
        "installments_count": _whole(
            installments, field="installments", low=MIN_INSTALLMENTS, high=MAX_INSTALLMENTS
        ),
        "system": _choice(system, System, field="system"),
        "purpose": _choice(purpose, Purpose, field="purpose"),
        "declared_income_cents": _cents(declared_income, field="declared_income"),
        "employment_years": _whole(employment_years, field="employment_years", low=0, high=60),
        "housing": _choice(housing, Housing, field="housing"),
        "first_due_day": _whole(due_day, field="due_day", low=1, high=28),
    }
    _age(customer, brasilia_today(now))  # refused before anything is written
    by = actor or "customer"
    with transaction.atomic():
        # One open application at a time: the lock on the customer row serializes two tabs.
        Customer.objects.select_for_update().filter(pk=customer.pk).first()
        if Loan.objects.filter(customer=customer, state__in=Loan.OPEN_APPLICATION).exists():
            raise Conflict(
                _("You already have an application in progress: finish or cancel it first."),
                code="application_open",
            )
        loan = Loan(
            customer=customer,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            **fields,
        )
        loan._change_reason = "created"
        loan.save()
        apply_transition(loan, "submit", by=by, reason="submitted")
        return score_and_decide(loan, now=now)


def loan_of_customer(*, customer: Customer, loan_id: Any, lock: bool = False) -> Loan:
    """One of the customer's loans by public id; anything else is not found (no leak)."""
    try:
        public_id = uuid.UUID(str(loan_id))
    except ValueError:
        raise LoanNotFound(_("Loan not found.")) from None
    queryset = Loan.objects.filter(customer=customer, public_id=public_id)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    found = queryset.first()
    if found is None:
        raise LoanNotFound(_("Loan not found."))
    return found


@transaction.atomic
def loan_cancel(*, customer: Customer, loan_id: Any, actor: Any = None) -> Loan:
    loan = loan_of_customer(customer=customer, loan_id=loan_id, lock=True)
    if loan.state not in Loan.OPEN_APPLICATION:
        raise LoanStateConflict(_("Only an application not yet contracted can be cancelled."))
    return apply_transition(loan, "cancel", by=actor or "customer", reason="by the customer")


def loans_expire_offers(*, now: dt.datetime | None = None) -> int:
    """Cancel approvals older than OFFER_DAYS that were never contracted."""
    now = now or timezone.now()
    expired = 0
    stale = Loan.objects.filter(
        state=Loan.State.APPROVED, approved_at__lt=now - dt.timedelta(days=OFFER_DAYS)
    ).values_list("pk", flat=True)
    for pk in stale:
        with transaction.atomic():
            loan = Loan.objects.select_for_update().get(pk=pk)
            if loan.state == Loan.State.APPROVED:
                apply_transition(loan, "cancel", by="system", reason="offer expired")
                expired += 1
    return expired


# --- LGPD art. 20: a person reviews an automated rejection --------------------------------


@transaction.atomic
def loan_reopen_for_review(*, loan: Loan, actor: Any, reason: str) -> Loan:
    """A reversed review puts the rejected application back in the analysts' hands."""
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    if loan.state != Loan.State.REJECTED:
        raise LoanStateConflict(_("Only a rejected application can be reopened."))
    loan.decided_by_person = True
    return apply_transition(loan, "mark_scored", by=actor, reason=f"LGPD review: {reason}")


@transaction.atomic
def loan_decide_by_person(
    *,
    loan: Loan,
    actor: Any,
    approve: bool,
    reason: str,
    monthly_rate: Decimal | None = None,
    now: dt.datetime | None = None,
) -> Loan:
    """A credit analyst decides a scored application (after an LGPD review, or one the
    policy sent to a person). Approval prices the loan at `monthly_rate`, or at the rate of
    the score's band, or at the policy's highest."""
    now = now or timezone.now()
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    if loan.state != Loan.State.SCORED:
        raise LoanStateConflict(_("Only a scored application waits for a decision."))
    if not (reason or "").strip():
        raise ValidationFailed(_("Say why."), field="reason")
    loan.decided_by_person = True
    if not approve:
        return apply_transition(loan, "reject", by=actor, reason=reason)
    rate = monthly_rate or policy.rate_for_band(loan.band) or policy.REFERENCE_RATE
    price(loan, monthly_rate=rate, release=brasilia_today(now))
    loan.approved_at = now
    loan.refusal = ""
    return apply_transition(loan, "approve", by=actor, reason=reason)
