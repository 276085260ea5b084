"""The same decision as JSON for acquirers: POST /api/v1/cards/authorizations (and
/reversals), client-credentials tokens with `cardauth.write` only, answers for every
decision, 400 problem+json naming the field, no PAN stored, logged or echoed."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from apps.accounts.models import Hold
from apps.cards.iso.scopes import CARD_AUTH_SCOPES
from apps.cards.models import Authorization
from apps.core.api_clients import api_client_create, register_scopes, token_issue
from tests.factories.ledger import balance_of
from tests.factories.users import UserFactory
from tests.support.cards import cardholder, purchase

pytestmark = pytest.mark.django_db

URL = "/api/v1/cards/authorizations"
REVERSALS = "/api/v1/cards/authorizations/reversals"


@pytest.fixture(autouse=True)
def _scopes():
    register_scopes(CARD_AUTH_SCOPES)  # CardsConfig.ready() does it (lead's note)


def _bearer(*scopes: str) -> Client:
    acquirer = UserFactory(email="integracao@adquirente.example")
    client, secret = api_client_create(user=acquirer, name="Adquirente", scope=scopes)
    token, _ = token_issue(client_id=client.client_id, secret=secret, scope=None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def acquirer() -> Client:
    return _bearer("cardauth.write")


def _body(issued, amount_cents: int, **fields) -> dict:
    request = purchase(issued, amount_cents)
    body = {
        "pan": request.pan,
        "expiry": request.expiry,
        "amount": f"{amount_cents / 100:.2f}",
        "stan": request.stan,
        "rrn": request.rrn,
        "terminal_id": request.terminal_id,
        "merchant_id": request.merchant_id,
        "merchant_name": request.merchant_name,
        "mcc": request.mcc,
        "entry_mode": request.entry_mode,
    }
    body.update(fields)
    return body


def _post(client: Client, url: str, body) -> tuple[int, dict, str]:
    response = client.post(url, json.dumps(body), content_type="application/json")
    return response.status_code, response.json(), response.content.decode()


def test_an_approval_and_its_replay(acquirer, caplog):
    caplog.set_level(logging.DEBUG)
    account, issued = cardholder(100_000)
    body = _body(issued, 12_345)
    status, answer, text = _post(acquirer, URL, body)
    assert status == 200
    assert answer["response_code"] == "00" and answer["approved"] is True
    assert len(answer["auth_code"]) == 6
    row = Authorization.objects.get(pk=answer["authorization_id"])
    assert row.channel == "http" and row.amount == 12_345
    assert balance_of(account.pk) == (100_000, 87_655)
    status, again, _ = _post(acquirer, URL, body)
    assert status == 200 and again == answer
    assert Authorization.objects.count() == 1
    assert issued.pan not in text and issued.pan not in str(row.message)
    assert row.message["pan"] == issued.card.masked_pan
    assert issued.pan not in caplog.text


def test_declines_are_answers_not_errors(acquirer):
    account, issued = cardholder(100_000)
    status, answer, _ = _post(acquirer, URL, _body(issued, 100_001))
    assert status == 200
    assert answer == {
        "response_code": "51",
        "auth_code": "",
        "approved": False,
        "authorization_id": answer["authorization_id"],
    }
    wrong = f"{(int(issued.cvv2) + 1) % 1000:03d}"
    status, answer, text = _post(acquirer, URL, _body(issued, 1_000, entry_mode="812", cvv2=wrong))
    assert (status, answer["response_code"]) == (200, "N7")
    row = Authorization.objects.get(pk=answer["authorization_id"])
    assert row.card_present is False and row.message["cvv2"] == "***"
    status, answer, _ = _post(acquirer, URL, _body(issued, 1_000, pan="5067270000000000"))
    assert (status, answer["response_code"], answer["authorization_id"]) == (200, "14", None)
    assert balance_of(account.pk) == (100_000, 100_000)


def test_a_reversal_releases_once(acquirer):
    account, issued = cardholder(100_000)
    original = _body(issued, 30_000)
    assert _post(acquirer, URL, original)[1]["approved"]
    reversal = {
        key: original[key] for key in ("pan", "amount", "rrn", "terminal_id", "merchant_id")
    }
    reversal.update(stan="900001", original_stan=original["stan"])
    for _ in range(2):
        status, answer, _ = _post(acquirer, REVERSALS, reversal)
        assert (status, answer["response_code"]) == (200, "00")
    assert balance_of(account.pk) == (100_000, 100_000)
    assert Hold.objects.filter(account_id=account.pk, state=Hold.State.RELEASED).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pan", "5067-2712-3456"),
        ("amount", "0.00"),
        ("amount", "12,34"),
        ("stan", "12"),
        ("expiry", "2913"),
        ("cvv2", "12a"),
        ("mcc", "54"),
        ("currency", "840"),
        ("mti", "0400"),
        ("country", "Brasil"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(acquirer, field, value):
    account, issued = cardholder(100_000)
    status, answer, text = _post(acquirer, URL, _body(issued, 1_000, **{field: value}))
    assert status == 400
    assert answer["violacoes"][0]["propriedade"] == field
    assert issued.pan not in text
    assert Authorization.objects.count() == 0


def test_a_bad_pan_is_never_echoed(acquirer):
    status, answer, text = _post(acquirer, URL, {"pan": "50672712345678941234", "amount": "1"})
    assert status == 400 and "50672712345678941234" not in text
    assert {v["propriedade"] for v in answer["violacoes"]} >= {"pan", "stan", "rrn"}


@pytest.mark.parametrize("body", ["[]", "null", '"pan"', "{", "{" * 5000])
def test_a_body_that_is_not_an_object_is_a_400(acquirer, body):
    response = acquirer.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


def test_only_acquirer_tokens_with_the_scope(client):
    account, issued = cardholder(100_000)
    body = _body(issued, 1_000)
    assert _post(Client(), URL, body)[0] == 401
    assert _post(_bearer("pix.read"), URL, body)[0] == 403
    # The cardholder's own portal session does not authorize card payments.
    client.force_login(account.customer.user)
    assert _post(client, URL, body)[0] == 403
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert _post(client, URL, body)[0] == 403
    assert Authorization.objects.count() == 0
