"""The Pix transfers API (/api/v1/pix/transfers...) and the retry of SENT transfers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import JournalEntry
from apps.pix.models import PixTransfer
from apps.pix.tasks import pix_retry_sent_task
from apps.pix.transfers.services.send import pix_submit
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import api_client, idem, person
from tests.support.pix_transfers import key_elsewhere

pytestmark = pytest.mark.django_db

URL = "/api/v1/pix/transfers"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def payer(amount_cents: int = 100_000):
    customer = person("Maria Souza Lima")
    return customer, funded_account(amount_cents, customer=customer)


def send(client, headers=None, **body):
    return client.post(URL, body, format="json", **(idem() if headers is None else headers))


def test_send_pix_and_replay_moves_money_once(django_capture_on_commit_callbacks):
    customer, account = payer()
    client = api_client(customer)
    key = key_elsewhere()
    headers = idem()
    body = {"account": account.pk, "key": key, "amount": "150.00", "description": "aluguel"}

    # The SPI sees the message only after the debit commits (on_commit); the answer is SENT.
    with django_capture_on_commit_callbacks(execute=True):
        first = send(client, headers, **body)
    assert first.status_code == 201, first.json()
    data = first.json()
    assert set(data) == {
        "id",
        "end_to_end_id",
        "state",
        "amount",
        "payee",
        "created_at",
        "reject_reason",
    }
    assert data["state"] == "sent" and data["amount"] == "150.00"
    detail = client.get(f"{URL}/{data['end_to_end_id']}")
    assert detail.status_code == 200 and detail.json()["state"] == "settled"
    assert data["reject_reason"] is None
    assert data["payee"]["name"] == "Carlos P. D."
    assert data["payee"]["ispb"] and data["payee"]["bank"]

    again = send(client, headers, **body)
    assert again.status_code == 201
    assert again.json() == data
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert PixTransfer.objects.count() == 1
    assert balance_of(account.pk)[0] == 100_000 - 15_000


def test_limit_is_a_422_with_the_services_message():
    customer, account = payer(100_000)  # KYC level 0: R$ 500,00 a day
    response = send(api_client(customer), account=account.pk, key=key_elsewhere(), amount="600.00")
    assert response.status_code == 422
    assert response["Content-Type"].startswith(PROBLEM)
    assert "R$ 500,00" in response.json()["detail"]
    assert balance_of(account.pk)[0] == 100_000 and not PixTransfer.objects.exists()


def test_someone_elses_account_is_a_404():
    _, account = payer()
    intruder = person("Joao Carlos Silva")
    response = send(api_client(intruder), account=account.pk, key=key_elsewhere(), amount="1.00")
    assert response.status_code == 404
    assert not PixTransfer.objects.exists()


@pytest.mark.parametrize("amount", ["abc", "0.00", "-1.00", "1.5", ""])
def test_bad_amount_is_a_400_with_violations(amount):
    customer, account = payer()
    response = send(api_client(customer), account=account.pk, key=key_elsewhere(), amount=amount)
    assert response.status_code == 400
    body = response.json()
    assert response["Content-Type"].startswith(PROBLEM)
    assert any(v.get("propriedade") == "amount" for v in body.get("violacoes", [])), body


def test_missing_idempotency_key_is_a_400():
    customer, account = payer()
    response = send(
        api_client(customer), {}, account=account.pk, key=key_elsewhere(), amount="1.00"
    )
    assert response.status_code == 400


def test_list_and_detail():
    customer, account = payer()
    client = api_client(customer)
    key = key_elsewhere()
    first = send(client, account=account.pk, key=key, amount="1.00").json()
    second = send(client, account=account.pk, key=key, amount="2.00").json()

    listed = client.get(URL, {"account": account.pk})
    assert listed.status_code == 200
    assert [t["end_to_end_id"] for t in listed.json()] == [
        second["end_to_end_id"],
        first["end_to_end_id"],
    ]
    detail = client.get(f"{URL}/{first['end_to_end_id']}")
    assert detail.status_code == 200 and detail.json() == first

    intruder = api_client(person("Joao Carlos Silva"))
    assert intruder.get(f"{URL}/{first['end_to_end_id']}").status_code == 404
    assert intruder.get(URL, {"account": account.pk}).status_code == 404
    assert client.get(URL, {"account": "x"}).status_code == 404
    assert client.get(f"{URL}/E000000000000000000000000000000").status_code == 404


def test_unauthenticated_is_a_401():
    client = APIClient()
    assert client.post(URL, {}, format="json", **idem()).status_code == 401
    assert client.get(URL, {"account": 1}).status_code == 401
    assert client.get(f"{URL}/E123").status_code == 401


def _sent_transfer(settings, account):
    from apps.pix.transfers.services.send import pix_send

    settings.PIX_SPI_TIMEOUT_RATE = 1.0
    transfer = pix_send(account=account, key=key_elsewhere(), amount_cents=1_000)
    pix_submit(transfer.pk)  # what the after-commit callback does; the SPI times out
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SENT
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    PixTransfer.objects.filter(pk=transfer.pk).update(
        updated_at=transfer.updated_at - timedelta(seconds=60)
    )
    return transfer


def test_retry_settles_a_sent_transfer(settings):
    _, account = payer()
    transfer = _sent_transfer(settings, account)
    assert pix_retry_sent_task() == 1
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED
    assert balance_of(account.pk)[0] == 99_000


def test_retry_leaves_recent_transfers_alone(settings):
    _, account = payer()
    transfer = _sent_transfer(settings, account)
    PixTransfer.objects.filter(pk=transfer.pk).update(updated_at=timezone.now())
    assert pix_retry_sent_task() == 0
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SENT


def test_retry_on_dupl_asks_the_status_and_settles_keeping_the_money_out(settings):
    from apps.pix.adapters.spi import spi_client

    _, account = payer()
    transfer = _sent_transfer(settings, account)
    # The first attempt reached the SPI; only its answer was lost. The resend gets DUPL and
    # the SPI's status query says the original settled (tests/test_pix_spi_dupl.py).
    spi_client().send_credit_transfer(transfer.pacs008.encode())
    returns_before = JournalEntry.objects.filter(kind="pix_return").count()

    assert pix_retry_sent_task() == 1
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED and not transfer.reject_reason
    assert balance_of(account.pk)[0] == 99_000
    assert JournalEntry.objects.filter(kind="pix_return").count() == returns_before
