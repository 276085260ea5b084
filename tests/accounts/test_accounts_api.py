import threading
import uuid

import pytest
from django.db import connections
from rest_framework.test import APIClient

from apps.accounts.models import JournalEntry
from apps.core.fsm import apply_transition
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import CustomerFactory


def client_of(customer):
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def transfer(client, key=None, **body):
    return client.post(
        "/api/v1/transfers", body, format="json", HTTP_IDEMPOTENCY_KEY=key or uuid.uuid4().hex
    )


@pytest.mark.django_db
def test_list_accounts_shows_only_mine_with_amount_strings():
    me = CustomerFactory()
    mine = funded_account(123_456, customer=me)
    funded_account(999, customer=CustomerFactory())
    response = client_of(me).get("/api/v1/accounts")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": mine.pk,
            "branch": "0001",
            "number": mine.number,
            "name": mine.name,
            "state": "active",
            "balance": "1234.56",
            "available_balance": "1234.56",
        }
    ]


@pytest.mark.django_db
def test_transfer_is_created():
    me = CustomerFactory()
    source, destination = funded_account(10_000, customer=me), funded_account()
    response = transfer(
        client_of(me),
        source_account=source.pk,
        destination_account=destination.pk,
        amount="12.34",
        description="lunch",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount"] == "12.34" and body["status"] == "completed"
    assert JournalEntry.objects.filter(pk=body["id"], kind="book_transfer").exists()
    assert balance_of(source.pk) == (8_766, 8_766)
    assert balance_of(destination.pk) == (1_234, 1_234)


@pytest.mark.django_db(transaction=True)
def test_concurrent_replays_move_money_once():
    me = CustomerFactory()
    source, destination = funded_account(10_000, customer=me), funded_account()
    key = uuid.uuid4().hex
    results = []
    barrier = threading.Barrier(12)

    def fire():
        try:
            barrier.wait()
            response = transfer(
                client_of(me),
                key,
                source_account=source.pk,
                destination_account=destination.pk,
                amount="10.00",
            )
            results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {code for code, _ in results} == {201}
    assert len({body["id"] for _, body in results}) == 1
    assert balance_of(source.pk)[0] == 9_000
    assert JournalEntry.objects.filter(kind="book_transfer").count() == 1


@pytest.mark.django_db
def test_old_key_with_new_body_is_422_and_moves_nothing():
    me = CustomerFactory()
    source, destination = funded_account(10_000, customer=me), funded_account()
    client = client_of(me)
    first = transfer(
        client, "same", source_account=source.pk, destination_account=destination.pk, amount="1.00"
    )
    assert first.status_code == 201
    second = transfer(
        client, "same", source_account=source.pk, destination_account=destination.pk, amount="2.00"
    )
    assert second.status_code == 422
    assert second.json()["type"].endswith("idempotency_key_reused")
    assert balance_of(source.pk)[0] == 9_900


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"amount": "-1.00"}, 400, "amount"),
        ({"amount": "0.00"}, 400, "amount"),
        ({"amount": "1.234"}, 400, "amount"),
        ({"amount": 5}, 400, "amount"),
        ({"amount": "abc"}, 400, "amount"),
        ({"destination_account": 10**9}, 400, "destination_account"),
        ({"destination_account": "x"}, 400, "destination_account"),
        ({"source_account": "self"}, 400, "destination_account"),
        ({"source_account": "other"}, 404, None),
        ({"source_account": 10**9}, 404, None),
        ({"destination_account": "closed"}, 422, None),
        ({"amount": "1000.00"}, 422, None),
        ({"description": "x" * 141}, 400, "description"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_changes_nothing(change, status, field):
    me = CustomerFactory()
    source = funded_account(10_000, customer=me)
    destination = funded_account()
    closed = funded_account()
    apply_transition(closed, "close", by="test")
    other = funded_account(10_000)
    body = {"source_account": source.pk, "destination_account": destination.pk, "amount": "1.00"}
    body.update(change)
    replacements = {"self": source.pk, "other": other.pk, "closed": closed.pk}
    if body["source_account"] in replacements:
        if body["source_account"] == "self":
            body["destination_account"] = source.pk
        body["source_account"] = replacements[body["source_account"]]
    if body["destination_account"] in replacements:
        body["destination_account"] = replacements[body["destination_account"]]
    entries = JournalEntry.objects.count()
    response = transfer(client_of(me), **body)
    assert response.status_code == status, response.json()
    problem = response.json()
    assert problem["status"] == status and problem["detail"]
    if field:
        assert problem["violacoes"][0]["propriedade"] == field
    assert JournalEntry.objects.count() == entries
    assert balance_of(source.pk)[0] == 10_000
    assert balance_of(other.pk)[0] == 10_000


@pytest.mark.django_db
def test_anonymous_is_401():
    response = APIClient().get("/api/v1/accounts")
    assert response.status_code == 401
