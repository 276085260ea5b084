"""Applying: KYC level 2, validation that changes nothing, the automated decision with its
reasons and history, the same score twice, and the LGPD art. 20 review by a person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.accounts import services as accounts
from apps.accounts.models import Account
from apps.core.errors import DomainError, ValidationFailed
from apps.core.models import StateTransitionLog
from apps.loans import services
from apps.loans.models import Loan
from apps.loans.scoring import scorecard
from apps.loans.scoring.features import Applicant
from apps.privacy import services as privacy
from tests.factories.customers import person
from tests.factories.ledger import funded_account
from tests.support.loans import borrower

pytestmark = pytest.mark.django_db

# The ledger stamps postings with the database's clock: the account history is today's.
NOW = timezone.now()
TODAY = timezone.localdate(NOW)


def _order(account, **changes) -> dict:
    order = {
        "account_id": account.pk,
        "amount": "5000.00",
        "installments": 12,
        "system": "PRICE",
        "purpose": "furniture",
        "declared_income": "9000.00",
        "employment_years": 8,
        "housing": "own",
        "due_day": 10,
    }
    return {**order, **changes}


def _salaried(balance_cents: int = 400_000):
    """A customer of 200 days whose salary arrives in the account (postings are stamped by
    the database clock, so the history is built today and the account backdated)."""
    customer, account = borrower(balance_cents=balance_cents)
    Account.objects.filter(pk=account.pk).update(created_at=NOW - dt.timedelta(days=200))
    account.refresh_from_db()
    for _ in range(3):
        accounts.deposit(account_id=account.pk, amount_cents=900_000, description="salary")
    return customer, account


def test_a_strong_applicant_is_approved_with_a_priced_offer_and_reasons():
    customer, account = _salaried()
    loan = services.loan_apply(customer=customer, now=NOW, **_order(account))
    assert loan.state == Loan.State.APPROVED, (loan.score, loan.refusal)
    assert loan.score and loan.model_version == "v1" and loan.band in "ABCD"
    assert len(loan.reasons) == 3
    assert loan.features["monthly_income_cents"] == 900_000
    assert loan.principal_cents == 500_000 and loan.release_date == TODAY
    assert loan.first_due_date.day == 10 and (loan.first_due_date - TODAY).days >= 28
    assert loan.cet_annual_percent > 0 and loan.iof_cents > 0
    names = list(
        StateTransitionLog.objects.filter(
            object_id=str(loan.pk), content_type__model="loan"
        ).values_list("transition", flat=True)
    )
    assert names == ["submit", "mark_scored", "approve"]


def test_scoring_the_same_application_twice_gives_the_same_score():
    customer, account = _salaried()
    loan = services.loan_apply(customer=customer, now=NOW, **_order(account))
    again = services.applicant_of(loan, now=NOW)
    assert again.as_dict() == loan.features
    stored = Applicant.from_dict(loan.features)
    assert scorecard.score(stored).score == scorecard.score(again).score == loan.score


def test_a_weak_applicant_is_rejected_with_reasons_and_the_limit():
    customer, account = borrower(balance_cents=1_000)
    loan = services.loan_apply(
        customer=customer,
        now=NOW,
        **_order(account, amount="60000.00", declared_income="1500.00", housing="rent",
                 employment_years=0, installments=48),
    )  # fmt: skip
    assert loan.state == Loan.State.REJECTED
    assert loan.refusal in {"score_too_low", "above_limit"}
    assert loan.reasons and loan.principal_cents is None


def test_below_kyc_level_2_nothing_is_written():
    customer = person("Sem Nivel Dois")
    account = funded_account(10_000, customer=customer)
    with pytest.raises(DomainError) as refused:
        services.loan_apply(customer=customer, now=NOW, **_order(account))
    assert refused.value.status_code in (403, 422)
    assert not Loan.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "abc"),
        ("amount", "0"),
        ("amount", "100.00"),
        ("amount", "1.001"),
        ("amount", "1e999"),
        ("declared_income", "1E+30"),
        ("installments", "0"),
        ("installments", "49"),
        ("installments", "x"),
        ("purpose", "yacht"),
        ("housing", "castle"),
        ("due_day", "31"),
        ("declared_income", "-5"),
        ("account_id", "999999"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_changes_nothing(field, value):
    customer, account = borrower(balance_cents=1_000)
    with pytest.raises(ValidationFailed) as refused:
        services.loan_apply(customer=customer, now=NOW, **_order(account, **{field: value}))
    assert refused.value.field == field
    assert not Loan.objects.exists()


def test_one_open_application_at_a_time():
    customer, account = _salaried()
    services.loan_apply(customer=customer, now=NOW, **_order(account))
    with pytest.raises(DomainError) as refused:
        services.loan_apply(customer=customer, now=NOW, **_order(account))
    assert refused.value.status_code == 409


def test_an_offer_expires_after_a_week():
    customer, account = _salaried()
    loan = services.loan_apply(customer=customer, now=NOW, **_order(account))
    assert services.loans_expire_offers(now=NOW + dt.timedelta(days=6)) == 0
    assert services.loans_expire_offers(now=NOW + dt.timedelta(days=8)) == 1
    loan.refresh_from_db()
    assert loan.state == Loan.State.CANCELLED


def test_a_rejection_reviewed_by_a_person_goes_back_to_an_analyst(django_user_model):
    customer, account = borrower(balance_cents=1_000)
    loan = services.loan_apply(
        customer=customer,
        now=NOW,
        **_order(account, amount="60000.00", declared_income="1500.00", installments=48),
    )
    assert loan.state == Loan.State.REJECTED
    req = privacy.privacy_request_create(customer=customer, kind="automated_decision_review")
    assert req.decision_ref == f"loans:{loan.public_id}"
    officer = django_user_model.objects.create_user(
        username="dpo", email="dpo@athena.test", password="x", is_staff=True
    )
    privacy.privacy_request_start(req=req, actor=officer)
    privacy.automated_decision_review(
        req=req, actor=officer, reverse=True, reasoning="income proven by payslips"
    )
    loan.refresh_from_db()
    assert loan.state == Loan.State.SCORED and loan.decided_by_person
    loan = services.loan_decide_by_person(
        loan=loan, actor=officer, approve=True, reason="payslips", now=NOW
    )
    assert loan.state == Loan.State.APPROVED and loan.principal_cents == 6_000_000


def test_a_company_is_told_loans_are_for_natural_persons():
    from tests.factories.customers import company

    customer = company()
    customer.kyc_level = 2
    customer.save(update_fields=["kyc_level"])
    account = funded_account(10_000, customer=customer)
    with pytest.raises(DomainError) as refused:
        services.loan_apply(customer=customer, now=NOW, **_order(account))
    assert refused.value.code == "loans_persons_only"
    assert not Loan.objects.exists()
