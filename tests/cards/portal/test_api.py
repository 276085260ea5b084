"""The card-management API: list and issue (idempotent), one card, controls, block and
unblock, transactions. Never a PAN (BIN + last four at most) in any answer; another
customer's card is 404; field-level errors, never a 500."""

from __future__ import annotations

import json
import uuid

import pytest
from rest_framework.test import APIClient

from apps.cards import services
from apps.cards.models import Card
from tests.factories.customers import person
from tests.factories.ledger import funded_account
from tests.support.cards import cardholder, purchase

pytestmark = pytest.mark.django_db


def client_of(account) -> APIClient:
    client = APIClient()
    client.force_authenticate(account.customer.user)
    return client


def no_pan(response, *pans: str) -> dict | list:
    text = response.content.decode()
    for pan in pans:
        assert pan not in text
    return response.json()


def test_issue_is_idempotent_and_answers_the_masked_card_only():
    account, issued = cardholder(10_000)
    client = client_of(account)
    key = str(uuid.uuid4())
    body = {"account": account.pk, "kind": "virtual"}
    first = client.post("/api/v1/cards", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.content
    answer = first.json()
    card = Card.objects.get(public_id=answer["id"])
    assert answer["masked_pan"] == card.masked_pan and answer["last4"] == card.last4
    assert answer["status"] == "active" and answer["kind"] == "virtual"
    assert answer["expiry"] == card.expiry
    assert answer["controls"] == {
        "per_purchase_limit": None,
        "daily_limit": None,
        "blocked_mcc_groups": [],
        "online": True,
        "contactless": True,
        "abroad": False,
    }
    assert "pan" not in answer and "cvv2" not in answer
    from apps.cards.services.issuing import decrypt_pan

    pan = decrypt_pan(card)
    assert pan not in first.content.decode()
    again = client.post("/api/v1/cards", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.json() == answer and again["Idempotent-Replayed"] == "true"
    assert Card.objects.filter(customer=account.customer).count() == 2

    listed = no_pan(client.get("/api/v1/cards"), pan, issued.pan)
    assert {c["id"] for c in listed} == {answer["id"], str(issued.card.public_id)}
    detail = no_pan(client.get(f"/api/v1/cards/{answer['id']}"), pan)
    assert detail == answer


def test_issue_needs_the_key_and_valid_fields():
    account, _issued = cardholder(0)
    client = client_of(account)
    assert (
        client.post("/api/v1/cards", {"account": account.pk, "kind": "virtual"}).status_code == 400
    )
    bad = client.post(
        "/api/v1/cards",
        {"account": account.pk, "kind": "golden"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert bad.status_code == 400 and "kind" in bad.content.decode()
    foreign = funded_account(0, customer=person("Outra Pessoa Silva"))
    other = client.post(
        "/api/v1/cards",
        {"account": foreign.pk, "kind": "virtual"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k2",
    )
    assert other.status_code == 404


def test_below_kyc_level_1_issuing_is_refused():
    account = funded_account(0, customer=person("Ana Beatriz Costa"))
    refused = client_of(account).post(
        "/api/v1/cards",
        {"account": account.pk, "kind": "virtual"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert refused.status_code == 403
    assert not Card.objects.exists()


def test_controls_block_unblock_and_activate():
    account, issued = cardholder(0)
    client = client_of(account)
    base = f"/api/v1/cards/{issued.card.public_id}"
    changed = client.patch(
        f"{base}/controls",
        {"per_purchase_limit": "150.00", "blocked_mcc_groups": ["gambling"], "abroad": True},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    controls = no_pan(changed, issued.pan)["controls"]
    assert controls["per_purchase_limit"] == "150.00" and controls["daily_limit"] is None
    assert controls["blocked_mcc_groups"] == ["gambling"] and controls["abroad"] is True
    assert controls["online"] is True  # not sent: unchanged
    cleared = client.post(f"{base}/controls", {"per_purchase_limit": None}, format="json")
    assert cleared.json()["controls"]["per_purchase_limit"] is None
    for body, field in (
        ({"daily_limit": "-1.00"}, "daily_limit"),
        ({"daily_limit": "abc"}, "daily_limit"),
        ({"blocked_mcc_groups": ["casino"]}, "blocked_mcc_groups"),
        ({"online": "maybe"}, "online"),
    ):
        refused = client.patch(f"{base}/controls", body, format="json")
        assert refused.status_code == 400 and field in refused.content.decode(), body

    blocked = client.post(f"{base}/block")
    assert blocked.status_code == 200 and blocked.json()["status"] == "blocked"
    assert client.post(f"{base}/block").status_code == 409
    assert client.post(f"{base}/unblock").json()["status"] == "active"
    assert client.post(f"{base}/activate").status_code == 409

    _acc, physical = cardholder(0, kind="physical", name="Pedro Alves Rocha")
    pclient = client_of(_acc)
    assert pclient.get(f"/api/v1/cards/{physical.card.public_id}").json()["status"] == "requested"
    assert (
        pclient.post(f"/api/v1/cards/{physical.card.public_id}/activate").json()["status"]
        == "active"
    )


def test_transactions_list_the_cards_purchases_masked():
    account, issued = cardholder(10_000)
    request = purchase(issued, 1_050)
    services.authorize(request)
    services.authorize(purchase(issued, 20_000, mcc="5732"))
    rows = no_pan(client_of(account).get(f"/api/v1/cards/{issued.card.public_id}/transactions"))
    assert issued.pan not in json.dumps(rows)
    assert [r["amount"] for r in rows] == ["200.00", "10.50"]
    declined, approved = rows
    assert approved["response_code"] == "00" and approved["state"] == "approved"
    assert approved["merchant_name"] == "PADARIA TRES IRMAOS" and approved["mcc"] == "5411"
    assert approved["auth_code"]
    assert declined["response_code"] == "51" and declined["mcc_label"]
    assert declined["response_text"]
    assert approved["fraud_flagged"] is False and approved["customer_confirmed"] is False


def test_another_customers_card_is_404_everywhere():
    _account, issued = cardholder(0)
    mallory, _own = cardholder(0, name="Mallory Nunes Dias")
    client = client_of(mallory)
    base = f"/api/v1/cards/{issued.card.public_id}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/transactions").status_code == 404
    assert client.patch(f"{base}/controls", {"online": False}, format="json").status_code == 404
    for action in ("block", "unblock", "activate", "controls"):
        assert client.post(f"{base}/{action}", {}, format="json").status_code == 404, action
    assert client.get(f"/api/v1/cards/{uuid.uuid4()}").status_code == 404
    issued.card.refresh_from_db()
    assert issued.card.state == Card.State.ACTIVE and issued.card.online_enabled
    assert [c["id"] for c in client.get("/api/v1/cards").json()] == [str(_own.card.public_id)]


def test_the_schema_documents_the_card_endpoints():
    account, _issued = cardholder(0)
    schema = client_of(account).get("/api/schema/", HTTP_ACCEPT="application/json")
    if schema.status_code != 200:
        pytest.skip(f"no /api/schema/ here ({schema.status_code})")
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/cards",
        "/api/v1/cards/{card_id}",
        "/api/v1/cards/{card_id}/controls",
        "/api/v1/cards/{card_id}/block",
        "/api/v1/cards/{card_id}/unblock",
        "/api/v1/cards/{card_id}/transactions",
    ):
        assert path in paths, path
