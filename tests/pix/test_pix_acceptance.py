"""Issue #4's acceptance flow for charges, end to end through the public interfaces.

A company creates a charge (PUT /cob/{txid}) and a webhook (PUT /webhook/{chave}) through
BACEN's API Pix; a customer of another PSP pays it (the SPI simulator builds the pacs.008,
`pix_receive` credits it); the charge turns CONCLUIDA and lists the Pix, the Pix appears
under GET /pix, a real HTTP server receives the signed notification at URL + "/pix"; the
company refunds twice in part and a third refund beyond the original is refused.
(Sending to another PSP, and the money coming back on a rejection, are covered by
tests/test_pix_transfers.py.)"""

from __future__ import annotations

import json

import pytest
from django.db import connections

from apps.core.webhooks import verify_signature
from apps.pix.models import PixCharge, PixRefund
from tests.factories.ledger import balance_of
from tests.support.pix_charges import V2, Receiver, cob_body, pay, put, txid
from tests.support.webhook_receiver import running_receiver


@pytest.fixture
def receiver():
    with running_receiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _local(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the receiver listens on 127.0.0.1
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


# Committed transactions, as in production: commits kick the outbox, its handler enqueues
# the webhook, whose commit kicks the POST (Celery runs eagerly under ATHENA_TESTING).
@pytest.mark.django_db(transaction=True)
def test_charge_paid_turns_concluida_fires_webhook_and_refunds_never_exceed(receiver):
    try:
        loja = Receiver("Loja Alves Souza Ltda")
        client = loja.client
        hook = client.put(
            f"{V2}/webhook/{loja.key}", {"webhookUrl": receiver.url + "/hooks"}, format="json"
        )
        assert hook.status_code == 200, hook.content
        secret = hook.json()["hmacSecret"]

        tx = txid()
        created = put(client, "cob", tx, cob_body(loja, valor={"original": "150.00"}))
        assert created.status_code == 201, created.content
        assert created.json()["status"] == "ATIVA"
        assert created.json()["pixCopiaECola"].startswith("000201")

        pix = pay(loja, tx=tx, amount_cents=15_000)

        charge = client.get(f"{V2}/cob/{tx}").json()
        assert charge["status"] == "CONCLUIDA"
        assert [p["endToEndId"] for p in charge["pix"]] == [pix.end_to_end_id]
        assert PixCharge.objects.get(txid=tx).status == PixCharge.Status.CONCLUIDA
        listed = client.get(
            f"{V2}/pix", {"inicio": "2020-01-01T00:00:00Z", "fim": "2100-01-01T00:00:00Z"}
        ).json()
        assert [(p["endToEndId"], p["txid"], p["valor"]) for p in listed["pix"]] == [
            (pix.end_to_end_id, tx, "150.00")
        ]
        assert balance_of(loja.account.pk)[0] == 15_000

        (notified,) = receiver.wait_for(1)
        assert notified.path == "/hooks/pix"
        assert verify_signature(
            secret=secret,
            timestamp=notified.headers["X-Athena-Timestamp"],
            body=notified.body,
            signature=notified.headers["X-Athena-Signature"],
        )
        assert json.loads(notified.body)["pix"][0]["endToEndId"] == pix.end_to_end_id

        refund = f"{V2}/pix/{pix.end_to_end_id}/devolucao"
        first = client.put(f"{refund}/r1", {"valor": "50.00"}, format="json")
        second = client.put(f"{refund}/r2", {"valor": "60.00"}, format="json")
        beyond = client.put(f"{refund}/r3", {"valor": "40.01"}, format="json")
        again = client.put(f"{refund}/r1", {"valor": "50.00"}, format="json")

        assert first.status_code == second.status_code == 201, (first.content, second.content)
        assert {first.json()["status"], second.json()["status"]} == {"DEVOLVIDO"}
        assert beyond.status_code == 400, beyond.content
        assert {v["propriedade"] for v in beyond.json()["violacoes"]} == {"valor"}
        assert again.json()["rtrId"] == first.json()["rtrId"]  # the same id, the same refund
        assert PixRefund.objects.filter(transfer=pix).count() == 2
        assert balance_of(loja.account.pk)[0] == 15_000 - 11_000
    finally:
        connections.close_all()
