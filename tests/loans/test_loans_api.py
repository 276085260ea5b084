"""A customer's loans over the API: apply, read the decision with its reasons and the model's
metrics, contract, pay, prepay, pay off, the CCB; strangers and bad input."""

from __future__ import annotations

import io
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from apps.accounts import services as accounts
from apps.accounts.models import Account
from apps.loans.models import Loan
from tests.factories.ledger import balance_of
from tests.support.loans import approved_loan, borrower

pytestmark = pytest.mark.django_db


def _client(customer) -> APIClient:
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def _key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _strong():
    customer, account = borrower(balance_cents=400_000)
    Account.objects.filter(pk=account.pk).update(
        created_at=timezone.now() - timezone.timedelta(days=200)
    )
    for _ in range(3):
        accounts.deposit(account_id=account.pk, amount_cents=900_000, description="salary")
    return customer, account


def _body(account, **changes) -> dict:
    return {
        "account_id": account.pk,
        "amount": "5000.00",
        "installments": 12,
        "system": "PRICE",
        "purpose": "furniture",
        "declared_income": "9000.00",
        "employment_years": 8,
        "housing": "own",
        "due_day": 10,
    } | changes


def test_apply_contract_pay_and_pay_off_over_the_api():
    customer, account = _strong()
    api = _client(customer)
    answer = api.post("/api/v1/loans/applications", _body(account), format="json", headers=_key())
    assert answer.status_code == 201, answer.json()
    loan = answer.json()
    assert loan["state"] == "approved"
    decision = loan["decision"]
    assert decision["model_version"] == "v1" and isinstance(decision["score"], int)
    assert len(decision["reasons"]) == 3 and all(r["text"] for r in decision["reasons"])
    assert loan["terms"]["principal"] == "5000.00" and len(loan["installments"]) == 12
    before = balance_of(account.pk)[0]
    url = f"/api/v1/loans/{loan['id']}"
    contracted = api.post(f"{url}/contract", headers=_key())
    assert contracted.status_code == 200, contracted.json()
    assert contracted.json()["state"] == "active"
    released = int(contracted.json()["terms"]["released_amount"].replace(".", ""))
    assert balance_of(account.pk)[0] == before + released
    paid = api.post(f"{url}/pay", headers=_key())
    assert paid.status_code == 200 and paid.json()["installments"] == [1]
    prepaid = api.post(f"{url}/prepay", {"installments": 2}, format="json", headers=_key())
    assert prepaid.status_code == 200 and prepaid.json()["installments"] == [11, 12]
    payoff = api.post(f"{url}/payoff", headers=_key())
    assert payoff.status_code == 200 and payoff.json()["loan_state"] == "paid_off"
    listed = api.get("/api/v1/loans/")
    assert listed.status_code == 200 and listed.json()[0]["state"] == "paid_off"
    ccb = api.get(f"{url}/ccb")
    assert ccb.status_code == 200 and ccb["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(ccb.content)).pages)
    assert Loan.objects.get().contract_number in text


def test_the_model_card_is_public_with_its_training_metrics():
    answer = APIClient().get("/api/v1/loans/model")
    assert answer.status_code == 200
    card = answer.json()
    assert card["version"] == "v1"
    assert {"auc", "ks", "brier"} <= set(card["metrics"]["test"])
    assert Decimal(card["metrics"]["test"]["auc"]) > Decimal("0.65")


def test_a_stranger_cannot_see_or_touch_a_loan():
    owner, account = borrower(balance_cents=0)
    loan = approved_loan(account, now=timezone.now())
    stranger, _ = borrower(name="Pessoa Estranha")
    api = _client(stranger)
    for method, path in (
        ("get", ""),
        ("get", "/ccb"),
        ("post", "/contract"),
        ("post", "/cancel"),
        ("post", "/payoff"),
    ):
        answer = getattr(api, method)(f"/api/v1/loans/{loan.public_id}{path}", headers=_key())
        assert answer.status_code == 404, (path, answer.status_code)
    assert api.get("/api/v1/loans/not-a-uuid").status_code == 404
    loan.refresh_from_db()
    assert loan.state == Loan.State.APPROVED


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": "abc"},
        {"amount": 12.5},
        {"installments": "many"},
        {"installments": 0},
        {"purpose": "yacht"},
        {"due_day": 31},
        {"account_id": "x"},
        {"declared_income": "0"},
    ],
)
def test_bad_applications_are_4xx_and_store_nothing(changes):
    customer, account = borrower(balance_cents=0)
    answer = _client(customer).post(
        "/api/v1/loans/applications", _body(account, **changes), format="json", headers=_key()
    )
    assert 400 <= answer.status_code < 500, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert not Loan.objects.exists()


def test_anonymous_callers_cannot_apply():
    answer = APIClient().post("/api/v1/loans/applications", {}, format="json", headers=_key())
    assert answer.status_code in (401, 403)
