"""Contracting an approved loan and disbursing it through the ledger.

approved -> contracted -> disbursed -> active, in one transaction: the customer accepts the
CCB (cédula de crédito bancário), its installments are written from the priced terms, and
one journal entry releases the money:

    customer account     + released (principal - IOF - fees)
    iof_payable          + IOF (withheld, owed to the Treasury: Decree 6.306 art. 4)
    fee_revenue          + fees (none for natural persons: CMN Res. 3.518 forbids the TAC)
    loans_receivable     - principal (an asset: its balance is what customers owe us)

An offer accepted on a later day than it was priced is priced again for today's release (the
same rate; the IOF and the first due date follow the new dates), so the CCB always shows
the schedule that runs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import services as accounts
from apps.accounts.models import Customer
from apps.core.fsm import apply_transition
from apps.core.timezones import brasilia_today

from ..errors import LoanStateConflict
from ..models import Installment, Loan
from ..pricing import build_schedule
from .applications import loan_of_customer, price


def contract_number(loan: Loan, today: dt.date) -> str:
    """ "CCB" + the year + the loan's id in 10 digits: unique, and sortable by year."""
    return f"CCB{today.year}{loan.pk:010d}"


def schedule_of(loan: Loan) -> list[Installment]:
    """The installment rows of `loan`'s priced terms (not saved)."""
    rows = build_schedule(
        principal=Decimal(loan.principal_cents) / 100,
        monthly_rate=loan.monthly_rate,
        installments=loan.installments_count,
        system=loan.system,
        first_due_date=loan.first_due_date,
    )
    return [
        Installment(
            loan=loan,
            number=row.number,
            due_date=row.due_date,
            amount_cents=int(row.amount * 100),
            interest_cents=int(row.interest * 100),
            amortization_cents=int(row.amortization * 100),
            balance_cents=int(row.balance * 100),
        )
        for row in rows
    ]


def _disburse(loan: Loan, *, by: Any, now: dt.datetime) -> None:
    legs = [
        accounts.Leg(loan.account_id, loan.released_cents),
        accounts.Leg(accounts.internal_account_id("loans_receivable"), -loan.principal_cents),
    ]
    if loan.iof_cents:
        legs.append(accounts.Leg(accounts.internal_account_id("iof_payable"), loan.iof_cents))
    if loan.fees_cents:
        legs.append(accounts.Leg(accounts.internal_account_id("fee_revenue"), loan.fees_cents))
    loan.disbursement_entry_id = accounts.post_entry(
        kind="loan_disbursement",
        legs=legs,
        description=f"Loan {loan.contract_number}",
        reference_type="loan",
        reference_id=loan.pk,
        metadata={
            "loan": str(loan.public_id),
            "contract": loan.contract_number,
            "principal": loan.principal_cents,
            "iof": loan.iof_cents,
        },
    )
    loan.disbursed_at = now
    apply_transition(loan, "disburse", by=by, reason="released to the account")
    apply_transition(loan, "activate", by="system", reason="schedule running")


@transaction.atomic
def loan_contract(
    *, customer: Customer, loan_id: Any, actor: Any = None, now: dt.datetime | None = None
) -> Loan:
    """The customer accepts the CCB of an approved loan: it is contracted and the money is
    released to the account at once."""
    now = now or timezone.now()
    loan = loan_of_customer(customer=customer, loan_id=loan_id, lock=True)
    if loan.state != Loan.State.APPROVED:
        raise LoanStateConflict(_("Only an approved loan can be contracted."))
    today = brasilia_today(now)
    if loan.release_date != today:
        price(loan, monthly_rate=loan.monthly_rate, release=today)
    loan.contract_number = contract_number(loan, today)
    loan.contracted_at = now
    by = actor or "customer"
    apply_transition(loan, "contract", by=by, reason="CCB accepted")
    Installment.objects.bulk_create(schedule_of(loan))
    _disburse(loan, by=by, now=now)
    return loan
