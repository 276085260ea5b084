"""The credit console: the portfolio with arrears aging and provisions, an application with
its score, features and reasons, the model versions with their metrics, and the analysts'
decision on a scored application (with a reason)."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.loans import services
from apps.loans.models import Loan
from tests.factories.users import UserFactory
from tests.support.loans import borrower, contracted_loan

pytestmark = pytest.mark.django_db

BRT = dt.timezone(dt.timedelta(hours=-3))
RELEASE = dt.datetime(2026, 1, 15, 12, 0, tzinfo=BRT)


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_portfolio_the_loan_page_and_the_model_page(admin_client):
    _, account = borrower()
    loan = contracted_loan(account, now=RELEASE)
    loan.reasons = ["installment_to_income", "account_age"]
    loan.save()
    services.loan_refresh_risk(loan_id=loan.pk, now=RELEASE)
    page = admin_client.get("/admin/loans/loan/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "arrears-aging" in body and loan.contract_number in body
    detail = admin_client.get(f"/admin/loans/loan/{loan.pk}/change/")
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "installment_to_income" in body and loan.customer.tax_id not in body
    model = admin_client.get("/admin/loans/loan/model/")
    assert model.status_code == 200
    assert "AUC" in model.content.decode() and "v1" in model.content.decode()
    assert admin_client.get(f"/admin/loans/loan/{loan.pk}/history/").status_code == 200
    assert admin_client.get("/admin/loans/loanpayment/").status_code == 200


def test_an_analyst_decides_a_scored_application_with_a_reason(admin_client):
    _, account = borrower()
    loan = Loan.objects.create(
        customer=account.customer,
        account=account,
        state=Loan.State.SCORED,
        requested_cents=300_000,
        installments_count=6,
        purpose="repairs",
        declared_income_cents=500_000,
        employment_years=2,
        housing="rent",
        band="C",
    )
    answer = admin_client.post(
        "/admin/loans/loan/",
        {"action": "approve_by_person", "_selected_action": [loan.pk], "apply": "1",
         "reason": "payslips checked"},
    )  # fmt: skip
    assert answer.status_code == 302
    loan.refresh_from_db()
    assert loan.state == Loan.State.APPROVED and loan.decided_by_person
    assert str(loan.monthly_rate) == "2.4900"
