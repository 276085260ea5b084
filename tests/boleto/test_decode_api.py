"""POST /api/v1/boletos/decode: what a code carries, or a 422 naming the rule it breaks."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.boleto import decode_api
from tests.factories.customers import person

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)
# pagarme/node-boleto@9506c90 test/integration/bradesco/boleto.spec.js (factor 1001, reset)
BRADESCO_LINHA = "23790.00124 50005.663146 87123.456706 8 10010000000200"
BRADESCO_BARCODE = "23798100100000002000001250005663148712345670"
# mcrvaz/boleto-brasileiro-validator@35229a9 test/boleto-arrecadacao.js (mod 10)
COLLECTION_LINHA = "836200000005 667800481000 180975657313 001589636081"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    # The factor window is read around today in Brasilia: pin it, never the real date.
    monkeypatch.setattr(decode_api, "brasilia_today", lambda: TODAY)


@pytest.fixture
def client():
    api = APIClient()
    api.force_authenticate(person().user)
    return api


def post(client, body):
    return client.post(reverse("api-boleto-decode"), body, format="json")


def test_bank_linha(client):
    response = post(client, {"code": BRADESCO_LINHA})
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "kind": "bank",
        "barcode": BRADESCO_BARCODE,
        "bank_code": "237",
        "amount": "2.00",
        "due_date": "2025-02-23",
    }


def test_bank_barcode_reads_the_same(client):
    by_linha = post(client, {"code": BRADESCO_LINHA}).json()
    assert post(client, {"code": BRADESCO_BARCODE}).json() == by_linha


def test_collection_linha(client):
    response = post(client, {"code": COLLECTION_LINHA})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["kind"] == "collection"
    assert body["barcode"] == "83620000000667800481001809756573100158963608"
    assert (body["bank_code"], body["due_date"], body["amount"]) == (None, None, "66.78")
    assert set(body) == {"kind", "barcode", "bank_code", "amount", "due_date"}


def test_no_amount_is_null(client):
    from apps.boleto.codecs.codes import bank_barcode

    barcode = bank_barcode(bank_code="332", amount_cents=0, due_date=None, free_field="1" * 25)
    body = post(client, {"code": barcode}).json()
    assert (body["amount"], body["due_date"]) == (None, None)


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        (BRADESCO_LINHA[:-1] + "1", "general_check_digit"),
        ("23790.00125 50005.663146 87123.456706 8 10010000000200", "field_1_check_digit"),
        (BRADESCO_BARCODE[:-1], "length"),
        ("2379O.00124 50005.663146 87123.456706 8 10010000000200", "characters"),
        ("842900000002404201622015806051904292586034111220", "collection_value_id"),
    ],
)
def test_code_breaking_a_rule_is_422_naming_it(client, code, rule):
    response = post(client, {"code": code})
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith(f"invalid_boleto_code.{rule}")
    assert rule in body["detail"]
    assert body["violacoes"][0]["propriedade"] == "code"


@pytest.mark.parametrize("body", [{}, {"code": ""}, {"code": 23790012450005}, {"code": None}])
def test_missing_or_non_string_code_is_400_naming_the_field(client, body):
    response = post(client, body)
    assert response.status_code == 400
    assert response.json()["violacoes"][0]["propriedade"] == "code"


def test_anonymous_callers_decode_too():
    response = APIClient().post(
        reverse("api-boleto-decode"), {"code": BRADESCO_LINHA}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["barcode"] == BRADESCO_BARCODE
