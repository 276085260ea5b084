"""Money coming back: collections on due dates, payments, prepayments and payoff.

What an installment asks on a day (`Charge`):
* due or overdue: its late charges (CMN Res. 4.882, computed on what is still owed of the
  installment for the days since its due date, less the late charges already paid), then
  the rest of its interest, then the rest of its amortization: a payment pays in that order
  (Civil Code art. 354: interest before capital);
* not yet due, paid now: its value today at the contract rate (apps.loans.pricing.
  prepayment), the difference being the legal discount of future interest (CDC art. 52).

Every movement is one journal entry and one `LoanPayment` row with its split:

    customer account     - amount
    loans_receivable     + amortization (the principal it recovers)
    interest_revenue     + interest - discount + late interest + default interest
    fee_revenue          + fine

Interest is recognised when received (cash basis); a discount beyond an installment's own
interest reduces interest revenue, so over a loan the revenue is the interest received.

The collection on a due date (`loan_collect`) takes what the account has, up to what is due,
under the account's lock: a short balance is collected in part and the rest stays in arrears.
Its `LoanPayment.key` names the loan and the day, so a collection task delivered twice (or
two workers) collects once: the loan's row lock serializes them and the second finds the row.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import services as accounts
from apps.accounts.models import Customer
from apps.core.errors import DomainError, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.timezones import brasilia_today

from ..errors import LoanStateConflict, NothingToPay
from ..models import Installment, Loan, LoanPayment
from ..pricing import late_charges
from ..pricing.prepayment import periods_early, present_value
from .applications import loan_of_customer

_PARTS = ("late_interest", "fine", "default_interest", "interest", "amortization")


def _cents(value: Decimal) -> int:
    return int(value * 100)


@dataclass
class Charge:
    """What one installment asks today, by part, in the order a payment pays them."""

    installment: Installment
    late_interest: int = 0
    fine: int = 0
    default_interest: int = 0
    interest: int = 0
    amortization: int = 0
    discount: int = 0  # future interest forgiven: paid early, the installment is worth less
    days_late: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, part) for part in _PARTS)

    @property
    def late_total(self) -> int:
        return self.late_interest + self.fine + self.default_interest


@dataclass
class Allocation:
    """How much of a payment each part of each installment takes."""

    charges: list[Charge]
    taken: dict[int, dict[str, int]] = field(default_factory=dict)  # installment pk -> parts

    def part(self, name: str) -> int:
        return sum(parts.get(name, 0) for parts in self.taken.values())

    @property
    def amount(self) -> int:
        return sum(self.part(name) for name in _PARTS)

    @property
    def discount(self) -> int:
        return sum(c.discount for c in self.charges if c.installment.pk in self.taken)


def _remaining_interest(installment: Installment) -> tuple[int, int]:
    """(interest, amortization) still owed of the installment itself."""
    interest_paid = min(installment.paid_cents, installment.interest_cents)
    return (
        installment.interest_cents - interest_paid,
        installment.amortization_cents - (installment.paid_cents - interest_paid),
    )


def _due_dates(loan: Loan) -> list[dt.date]:
    cached = getattr(loan, "_due_dates", None)
    if cached is None:
        cached = list(loan.installments.order_by("number").values_list("due_date", flat=True))
        loan._due_dates = cached
    return cached


def charge_of(installment: Installment, *, loan: Loan, today: dt.date) -> Charge:
    """What `installment` asks on `today` (see the module)."""
    interest, amortization = _remaining_interest(installment)
    charge = Charge(installment, interest=interest, amortization=amortization)
    if installment.due_date > today:
        periods = periods_early(
            today=today,
            due_date=installment.due_date,
            release_date=loan.release_date,
            due_dates=_due_dates(loan),
        )
        value = _cents(
            present_value(
                amount=Decimal(installment.outstanding_cents) / 100,
                monthly_rate=loan.monthly_rate,
                periods=periods,
            )
        )
        # The discount cancels the installment's interest first; beyond it, the revenue of
        # the loan (see the module): the amortization is recovered whole.
        charge.discount = installment.outstanding_cents - value
        charge.interest = interest - charge.discount
        return charge
    days_late = (today - installment.due_date).days
    if days_late and installment.outstanding_cents:
        owed = late_charges(
            amount=Decimal(installment.outstanding_cents) / 100,
            monthly_rate=loan.monthly_rate,
            days_late=days_late,
        )
        already = installment.late_paid_cents
        for part, value in (
            ("late_interest", owed.interest),
            ("fine", owed.fine),
            ("default_interest", owed.default_interest),
        ):
            due = max(_cents(value) - already, 0)
            already = max(already - _cents(value), 0)
            setattr(charge, part, due)
        charge.days_late = days_late
    return charge


def _open_installments(loan: Loan):
    return loan.installments.filter(paid_at__isnull=True).order_by("number")


def charges_due(loan: Loan, *, today: dt.date) -> list[Charge]:
    """The installments due on or before `today` still owed, oldest first."""
    return [
        charge_of(i, loan=loan, today=today)
        for i in _open_installments(loan).filter(due_date__lte=today)
    ]


def payoff_charges(loan: Loan, *, today: dt.date) -> list[Charge]:
    """Every installment still owed, valued today (overdue with charges, future discounted)."""
    return [charge_of(i, loan=loan, today=today) for i in _open_installments(loan)]


def _allocate(charges: list[Charge], amount: int) -> Allocation:
    allocation = Allocation(charges)
    left = amount
    for charge in charges:
        parts: dict[str, int] = {}
        for part in _PARTS:
            want = getattr(charge, part)
            if want < 0:
                # A discount beyond the installment's interest (paid early): it lowers what
                # the installment takes, and only a payment of it whole carries one.
                parts[part] = want
                left -= want
                continue
            if want == 0:
                continue
            take = min(want, left)
            if take:
                parts[part] = take
                left -= take
        if parts:
            allocation.taken[charge.installment.pk] = parts
        if left <= 0:
            break
    return allocation


def _apply(allocation: Allocation, *, now: dt.datetime) -> list[int]:
    """Write what each installment received; the numbers it paid whole."""
    settled = []
    for charge in allocation.charges:
        parts = allocation.taken.get(charge.installment.pk)
        if not parts:
            continue
        installment = charge.installment
        installment.late_paid_cents += sum(
            parts.get(p, 0) for p in ("late_interest", "fine", "default_interest")
        )
        installment.paid_cents += parts.get("interest", 0) + parts.get("amortization", 0)
        installment.discount_cents += charge.discount
        if installment.outstanding_cents == 0:
            installment.paid_at = now
            settled.append(installment.number)
        installment.save(
            update_fields=["late_paid_cents", "paid_cents", "discount_cents", "paid_at"]
        )
    return settled


def _post(loan: Loan, allocation: Allocation, *, kind: str, metadata: dict) -> int | None:
    if allocation.amount <= 0:
        return None
    revenue = (
        allocation.part("interest")
        + allocation.part("late_interest")
        + allocation.part("default_interest")
    )
    legs = [accounts.Leg(loan.account_id, -allocation.amount)]
    for code, amount in (
        ("loans_receivable", allocation.part("amortization")),
        ("interest_revenue", revenue),
        ("fee_revenue", allocation.part("fine")),
    ):
        if amount:
            legs.append(accounts.Leg(accounts.internal_account_id(code), amount))
    return accounts.post_entry(
        kind=kind,
        legs=legs,
        description=f"Loan {loan.contract_number}",
        reference_type="loan",
        reference_id=loan.pk,
        metadata={"loan": str(loan.public_id), "contract": loan.contract_number, **metadata},
    )


def _record(
    loan: Loan,
    allocation: Allocation,
    *,
    kind: str,
    key: str,
    entry_id: int | None,
    short: int = 0,
    actor: Any = None,
) -> LoanPayment:
    return LoanPayment.objects.create(
        loan=loan,
        kind=kind,
        key=key,
        amount_cents=allocation.amount,
        principal_cents=allocation.part("amortization"),
        interest_cents=allocation.part("interest"),
        late_interest_cents=allocation.part("late_interest"),
        fine_cents=allocation.part("fine"),
        default_interest_cents=allocation.part("default_interest"),
        discount_cents=allocation.discount,
        short_cents=short,
        installments=sorted(
            c.installment.number for c in allocation.charges if c.installment.pk in allocation.taken
        ),
        entry_id=entry_id,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _settle_state(loan: Loan, *, today: dt.date, now: dt.datetime, by: Any) -> None:
    """Move the loan to what its installments now say: paid off, in arrears or current."""
    still_open = _open_installments(loan)
    if not still_open.exists():
        loan.paid_off_at = now
        loan.days_past_due = 0
        apply_transition(loan, "pay_off", by=by, reason="every installment paid")
        return
    overdue = still_open.filter(due_date__lte=today).exists()
    if overdue and loan.state == Loan.State.ACTIVE:
        apply_transition(loan, "fall_in_arrears", by="system", reason="installment unpaid")
    elif not overdue and loan.state == Loan.State.IN_ARREARS:
        loan.days_past_due = 0
        apply_transition(loan, "activate", by=by, reason="arrears paid")


def _locked_live(loan_id: int) -> Loan:
    loan = Loan.objects.select_for_update(of=("self",)).get(pk=loan_id)
    if loan.state not in Loan.LIVE:
        raise LoanStateConflict(_("This loan is not running."))
    return loan


# --- The collection on due dates (Celery) ---------------------------------------------------


def collection_key(loan: Loan, today: dt.date) -> str:
    return f"collection:{loan.pk}:{today.isoformat()}"


@transaction.atomic
def loan_collect(*, loan_id: int, now: dt.datetime | None = None) -> LoanPayment | None:
    """Collect what `loan` has due today from its account, as much as there is (see the
    module). Once per loan and day; None when nothing was due or it already ran."""
    now = now or timezone.now()
    today = brasilia_today(now)
    loan = Loan.objects.select_for_update(of=("self",)).get(pk=loan_id)
    if loan.state not in Loan.LIVE:
        return None
    key = collection_key(loan, today)
    if LoanPayment.objects.filter(key=key).exists():
        return None
    charges = charges_due(loan, today=today)
    due = sum(c.total for c in charges)
    if due <= 0:
        return None
    try:
        available = max(accounts.account_lock_available(account_id=loan.account_id), 0)
    except DomainError:
        available = 0
    allocation = _allocate(charges, min(available, due))
    try:
        with transaction.atomic():
            entry_id = _post(
                loan,
                allocation,
                kind="loan_collection",
                metadata={"installments": sorted({c.installment.number for c in charges})},
            )
    except DomainError:
        # A blocked account or one that cannot be debited: nothing is collected today.
        allocation = _allocate(charges, 0)
        entry_id = None
    _apply(allocation, now=now)
    payment = _record(
        loan,
        allocation,
        kind=LoanPayment.Kind.COLLECTION,
        key=key,
        entry_id=entry_id,
        short=due - allocation.amount,
    )
    _settle_state(loan, today=today, now=now, by="collection")
    return payment


def loans_to_collect(*, today: dt.date) -> list[int]:
    """Live loans with an installment due by `today` and no collection yet today."""
    done = LoanPayment.objects.filter(key__endswith=f":{today.isoformat()}", kind="collection")
    return list(
        Loan.objects.filter(state__in=Loan.LIVE)
        .filter(installments__paid_at__isnull=True, installments__due_date__lte=today)
        .exclude(pk__in=done.values("loan_id"))
        .distinct()
        .values_list("pk", flat=True)
    )


# --- What the customer orders ---------------------------------------------------------------


def _customer_payment(
    *,
    customer: Customer,
    loan_id: Any,
    kind: str,
    pick,
    actor: Any,
    now: dt.datetime | None,
) -> LoanPayment:
    now = now or timezone.now()
    today = brasilia_today(now)
    with transaction.atomic():
        loan = _locked_live(loan_of_customer(customer=customer, loan_id=loan_id).pk)
        charges = pick(loan, today)
        if not charges:
            raise NothingToPay(_("There is nothing to pay on this loan."))
        allocation = _allocate(charges, sum(c.total for c in charges))
        # The customer's own debit: the loans product's limits apply (apps.accounts.money_gate).
        accounts.money_gate_check(
            account=loan.account, product="loans", amount_cents=allocation.amount, now=now
        )
        entry_id = _post(
            loan,
            allocation,
            kind="loan_installment",
            metadata={"installments": sorted(c.installment.number for c in charges), "what": kind},
        )
        _apply(allocation, now=now)
        payment = _record(
            loan,
            allocation,
            kind=kind,
            key=f"{kind}:{loan.pk}:{uuid.uuid4()}",
            entry_id=entry_id,
            actor=actor,
        )
        _settle_state(loan, today=today, now=now, by=actor or "customer")
        return payment


def _next_installment(loan: Loan, today: dt.date) -> list[Charge]:
    """Everything overdue, or else the next installment (early, discounted)."""
    due = charges_due(loan, today=today)
    if due:
        return due
    first = _open_installments(loan).first()
    return [charge_of(first, loan=loan, today=today)] if first else []


def loan_pay_installment(
    *, customer: Customer, loan_id: Any, actor: Any = None, now: dt.datetime | None = None
) -> LoanPayment:
    """Pay what is overdue (with its late charges), or the next installment when nothing
    is: paid before its due date it is discounted."""
    return _customer_payment(
        customer=customer,
        loan_id=loan_id,
        kind=LoanPayment.Kind.PAYMENT,
        pick=_next_installment,
        actor=actor,
        now=now,
    )


def loan_prepay(
    *,
    customer: Customer,
    loan_id: Any,
    installments: Any,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> LoanPayment:
    """Prepay the LAST `installments` installments still owed (the term shortens; the
    discount is the largest there), after anything overdue, which must be paid first."""
    try:
        count = int(str(installments))
    except ValueError:
        count = 0
    if count < 1:
        raise ValidationFailed(_("Choose how many installments to prepay."), field="installments")

    def pick(loan: Loan, today: dt.date) -> list[Charge]:
        if charges_due(loan, today=today):
            raise LoanStateConflict(_("Pay the overdue installments first."))
        future = list(_open_installments(loan).filter(due_date__gt=today))
        if count > len(future):
            raise ValidationFailed(
                _("Only %(n)s installments can be prepaid.") % {"n": len(future)},
                field="installments",
            )
        return [charge_of(i, loan=loan, today=today) for i in future[-count:]][::-1]

    return _customer_payment(
        customer=customer,
        loan_id=loan_id,
        kind=LoanPayment.Kind.PREPAYMENT,
        pick=pick,
        actor=actor,
        now=now,
    )


def loan_payoff(
    *, customer: Customer, loan_id: Any, actor: Any = None, now: dt.datetime | None = None
) -> LoanPayment:
    """Pay the whole loan today: overdue with its charges, the rest discounted."""
    return _customer_payment(
        customer=customer,
        loan_id=loan_id,
        kind=LoanPayment.Kind.PAYOFF,
        pick=lambda loan, today: payoff_charges(loan, today=today),
        actor=actor,
        now=now,
    )
