"""The boleto API: pay with an Idempotency-Key (money moves once), issue, read, cancel, PDF,
the issuer's webhook; bad input is a 4xx naming the field, never a 500."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from rest_framework.test import APIClient

from apps.boleto.models import Boleto, BoletoPayment
from apps.core.timezones import brasilia_today
from tests.factories.customers import new_cpf
from tests.factories.ledger import balance_of
from tests.support.boletos import Issuer, boleto_elsewhere, payer

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _key() -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}


def test_pay_twice_with_the_same_key_or_a_new_one_moves_money_once():
    customer, account = payer()
    title = boleto_elsewhere(payer_customer=customer, amount_cents=12_000)
    api = _client(customer.user)
    body = {"account": account.pk, "code": title.barcode}
    key = _key()
    first = api.post("/api/v1/boletos/payments", body, format="json", **key)
    assert first.status_code == 201, first.json()
    assert first.json()["state"] == "paid" and first.json()["amount"] == "120.00"
    replay = api.post("/api/v1/boletos/payments", body, format="json", **key)
    assert replay.status_code == 201 and replay.json() == first.json()
    again = api.post("/api/v1/boletos/payments", body, format="json", **_key())
    assert again.status_code == 409 and again.json()["type"].endswith("boleto_already_paid")
    assert balance_of(account.pk)[0] == 500_000 - 12_000
    assert BoletoPayment.objects.count() == 1
    listed = api.get("/api/v1/boletos/payments").json()
    assert [p["id"] for p in listed] == [first.json()["id"]]


def test_quote_shows_cip_figures_without_moving_money():
    customer, account = payer()
    title = boleto_elsewhere(payer_customer=customer, amount_cents=9_900)
    response = _client(customer.user).post(
        "/api/v1/boletos/quote", {"code": title.barcode}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["amount"] == "99.00" and body["beneficiary_name"] == title.beneficiary_name
    assert "*" in body["beneficiary_tax_id"]
    assert balance_of(account.pk)[0] == 500_000


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"code": "123"}, 400, "account"),
        ({"account": "x", "code": "123"}, 400, "account"),
        ({"account": 1}, 400, "code"),
        ({"account": 1, "code": "1" * 47}, 422, "code"),
        ({"account": 1, "code": "abc"}, 422, "code"),
        ({"account": 1, "code": "23790.00124", "amount": "-1"}, 400, "amount"),
    ],
)
def test_bad_payments_name_the_field(body, status, field):
    customer, account = payer()
    body = {**body, "account": account.pk} if body.get("account") == 1 else body
    response = _client(customer.user).post(
        "/api/v1/boletos/payments", body, format="json", **_key()
    )
    assert response.status_code == status, response.json()
    assert field in str(response.json())
    assert not BoletoPayment.objects.exists()


def test_issue_read_pdf_and_cancel_through_the_api():
    issuer = Issuer()
    api = _client(issuer.customer.user)
    due = (brasilia_today() + dt.timedelta(days=15)).isoformat()
    body = {
        "account": issuer.account.pk,
        "amount": "250.00",
        "due_date": due,
        "payer_name": "Joana Dias",
        "payer_tax_id": new_cpf(),
        "fine_percent": "2.00",
        "interest_monthly_percent": "1.00",
        "payer_address": {
            "street": "Rua A, 1",
            "city": "Sao Paulo",
            "state": "SP",
            "zip": "01001000",
        },
    }
    created = api.post("/api/v1/boletos", body, format="json", **_key())
    assert created.status_code == 201, created.json()
    boleto = created.json()
    assert boleto["barcode"].startswith("332") and boleto["state"] == "registered"
    assert (
        api.get(f"/api/v1/boletos/{boleto['id']}").json()["nosso_numero"] == boleto["nosso_numero"]
    )
    pdf = api.get(f"/api/v1/boletos/{boleto['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    cancelled = api.post(f"/api/v1/boletos/{boleto['id']}/cancel", {}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = api.post(f"/api/v1/boletos/{boleto['id']}/cancel", {}, format="json")
    assert again.status_code == 409


def test_issue_refusals_are_field_errors():
    issuer = Issuer()
    api = _client(issuer.customer.user)
    bad = {
        "account": issuer.account.pk,
        "amount": "10.00",
        "due_date": "2001-01-01",
        "payer_name": "Joana",
        "payer_tax_id": "111.111.111-11",
    }
    response = api.post("/api/v1/boletos", bad, format="json", **_key())
    assert response.status_code == 400
    assert not Boleto.objects.exists()


def test_webhook_url_is_checked():
    issuer = Issuer()
    api = _client(issuer.customer.user)
    refused = api.put("/api/v1/boletos/webhook", {"url": "not a url"}, format="json")
    assert refused.status_code == 400
    ok = api.put(
        "/api/v1/boletos/webhook", {"url": "https://erp.example.com/boletos"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["url"] == "https://erp.example.com/boletos"


def test_staff_without_a_customer_get_403():
    from tests.factories.users import UserFactory

    response = _client(UserFactory(is_staff=True)).get("/api/v1/boletos")
    assert response.status_code == 403
