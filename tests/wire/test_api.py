"""The TED API: 201 with id, status and scheduled_for, idempotent, field-level errors, no
500 for anything a client sends, another customer's TED is 404."""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.test import TestCase
from rest_framework.test import APIClient

from apps.wire.models import Wire
from tests.factories.ledger import balance_of
from tests.support.wires import IN_WINDOW, payee, ted_sender

pytestmark = pytest.mark.django_db


def client_of(account) -> APIClient:
    client = APIClient()
    client.force_authenticate(account.customer.user)
    return client


def body(account, to: dict, amount: str = "250.00", **extra) -> dict:
    return {
        "account": account.pk,
        "bank": to["bank"],
        "branch": to["branch"],
        "account_number": to["account_number"],
        "holder_name": to["holder_name"],
        "holder_tax_id": to["holder_tax_id"],
        "amount": amount,
        **extra,
    }


@time_machine.travel(IN_WINDOW, tick=False)
def test_post_answers_201_with_id_status_and_scheduled_for_and_replays():
    account = ted_sender(100_000)
    client = client_of(account)
    data = body(account, payee())
    key = str(uuid.uuid4())
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        first = client.post("/api/v1/wires", data, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201, first.content
    assert len(callbacks) == 1  # the STR is called after the commit, never inside it
    answer = first.json()
    assert answer["status"] == "sent" and answer["scheduled_for"] is None
    assert uuid.UUID(answer["id"])
    assert answer["amount"] == "250.00" and answer["fee"] == "5.00"
    assert "*" in answer["holder_tax_id"]
    again = client.post("/api/v1/wires", data, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert again.json() == answer
    assert Wire.objects.count() == 1
    assert client.get(f"/api/v1/wires/{answer['id']}").json()["status"] == "settled"
    assert [w["id"] for w in client.get("/api/v1/wires").json()] == [answer["id"]]


@time_machine.travel("2026-12-11 20:30:00+00:00", tick=False)  # Friday 17:30 in Brasilia
def test_after_the_cut_off_the_answer_says_when_and_it_can_be_cancelled():
    account = ted_sender(100_000)
    client = client_of(account)
    quote = client.post("/api/v1/wires/quote", body(account, payee()), format="json")
    assert quote.status_code == 200
    assert quote.json()["scheduled"] is True
    assert quote.json()["goes_at"].startswith("2026-12-14T06:30:00-03:00")
    created = client.post(
        "/api/v1/wires", body(account, payee()), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    ).json()
    assert created["status"] == "scheduled"
    assert created["scheduled_for"].startswith("2026-12-14T06:30:00-03:00")
    cancelled = client.post(f"/api/v1/wires/{created['id']}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/wires/{created['id']}/cancel").status_code == 409


@time_machine.travel(IN_WINDOW, tick=False)
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"bank": "000"}, "bank"),
        ({"holder_tax_id": "123"}, "holder_tax_id"),
        ({"branch": "x"}, "branch"),
        ({"scheduled_for": "2026-13-01"}, "scheduled_for"),
        ({"account": "nope"}, "account"),
        ({"account_type": "ZZ"}, "account_type"),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(changes, field):
    account = ted_sender(100_000)
    response = client_of(account).post(
        "/api/v1/wires",
        {**body(account, payee()), **changes},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code in (400, 404, 422), response.content
    assert field in response.content.decode()
    assert not Wire.objects.exists()
    assert balance_of(account.pk)[0] == 100_000


@time_machine.travel(IN_WINDOW, tick=False)
def test_another_customers_ted_is_404_and_garbage_is_not_500():
    account = ted_sender(100_000)
    wire = (
        client_of(account)
        .post("/api/v1/wires", body(account, payee()), format="json", HTTP_IDEMPOTENCY_KEY="a")
        .json()
    )
    other = client_of(ted_sender(0, name="Outra Pessoa"))
    assert other.get(f"/api/v1/wires/{wire['id']}").status_code == 404
    assert other.post(f"/api/v1/wires/{wire['id']}/cancel").status_code == 404
    assert other.get("/api/v1/wires/not-a-uuid").status_code == 404
    nested = '{"a":' * 100_000 + "null" + "}" * 100_000
    response = other.post(
        "/api/v1/wires", nested, content_type="application/json", HTTP_IDEMPOTENCY_KEY="n"
    )
    assert 400 <= response.status_code < 500
    assert APIClient().post("/api/v1/wires", {}, format="json").status_code in (401, 403)
