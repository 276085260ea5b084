"""Borrowers and loans for the loans suites, built through the real services where money
moves (contract, collections) and with a priced offer written directly where a test needs
known terms without depending on what the score decides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from apps.accounts.models import Account, Customer
from apps.kyc.models import KycRequest
from apps.loans.models import Loan
from apps.loans.services import loan_contract
from apps.loans.services.applications import price
from tests.factories.customers import person
from tests.factories.ledger import funded_account

BIRTH = dt.date(1985, 5, 20)


def borrower(
    *, balance_cents: int = 0, name: str = "Helena Costa Prado", birth: dt.date | None = BIRTH
) -> tuple[Customer, Account]:
    """A customer at KYC level 2, verified with a birth date, with a funded account."""
    customer = person(name)
    customer.kyc_level = 2
    customer.save(update_fields=["kyc_level"])
    KycRequest.objects.create(
        customer=customer,
        target_level=2,
        declared_name=name,
        birth_date=birth,
        state=KycRequest.State.APPROVED,
        decided_at=timezone.now(),
    )
    return customer, funded_account(balance_cents, customer=customer)


def approved_loan(
    account: Account,
    *,
    now: dt.datetime,
    principal_cents: int = 1_000_000,
    monthly_rate: str = "2.5",
    installments: int = 12,
    system: str = "PRICE",
    due_day: int = 15,
) -> Loan:
    """An offer priced for a release on `now`'s Brasilia day, as the policy would leave it."""
    loan = Loan(
        customer=account.customer,
        account=account,
        state=Loan.State.APPROVED,
        requested_cents=principal_cents,
        installments_count=installments,
        system=system,
        purpose="other",
        declared_income_cents=2_000_000,
        employment_years=5,
        housing="own",
        first_due_day=due_day,
        score=700,
        band="A",
        model_version="v1",
        scored_at=now,
        approved_at=now,
    )
    price(loan, monthly_rate=Decimal(monthly_rate), release=timezone.localdate(now))
    loan.save()
    return loan


def contracted_loan(account: Account, *, now: dt.datetime, **terms) -> Loan:
    loan = approved_loan(account, now=now, **terms)
    return loan_contract(customer=account.customer, loan_id=loan.public_id, now=now)
