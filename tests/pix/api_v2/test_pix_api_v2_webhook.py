"""API Pix v2 webhooks (PUT/GET/DELETE /webhook/{chave}, GET /webhook) and the whole flow:
a webhook configured through the API, a Pix arriving through the SPI simulator, its
notification received by a real HTTP server (signed), refunds through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from apps.core.models import AuditEvent, WebhookDelivery
from apps.core.webhooks import verify_signature, webhook_enqueue
from apps.pix.charges.webhooks import DELIVERY_SOURCE
from apps.pix.keys.services import key_register
from apps.pix.models import PixKey, PixRefund, PixWebhook
from tests.factories.ledger import balance_of
from tests.support.pix_received import (
    V2,
    assert_problem,
    receive_pix,
    receiving_customer,
)
from tests.support.webhook_receiver import running_receiver

HOOK = "https://pix.example.com/api/webhook/"


@pytest.fixture
def receiver():
    with running_receiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _local_webhooks(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # the test receiver listens on 127.0.0.1
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return settings


def put_webhook(client, key: str, url: str = HOOK):
    return client.put(f"{V2}/webhook/{key}", {"webhookUrl": url})


# --- Configuration ------------------------------------------------------------------------


@pytest.mark.django_db
def test_put_get_and_delete_a_webhook():
    loja = receiving_customer()
    key = loja.key.key

    created = put_webhook(loja.client, key)

    assert created.status_code == 200, created.content
    body = created.json()
    assert body["webhookUrl"] == HOOK and body["chave"] == key
    assert body["criacao"].endswith("Z") and len(body["hmacSecret"]) >= 40
    webhook = PixWebhook.objects.get(pix_key=loja.key)
    assert webhook.secret == body["hmacSecret"] and webhook.customer == loja.customer
    assert AuditEvent.objects.filter(
        object_type="pix.PixWebhook", detail__event="pix.webhook.configured"
    ).exists()

    shown = loja.client.get(f"{V2}/webhook/{key}")
    assert shown.status_code == 200
    assert shown.json() == {"webhookUrl": HOOK, "chave": key, "criacao": body["criacao"]}

    # A key typed in upper case is the same EVP.
    assert loja.client.get(f"{V2}/webhook/{key.upper()}").status_code == 200

    removed = loja.client.delete(f"{V2}/webhook/{key}")
    assert removed.status_code == 204 and removed.content == b""
    assert not PixWebhook.objects.exists()
    assert_problem(loja.client.get(f"{V2}/webhook/{key}"), 404, "WebhookNaoEncontrado")
    assert_problem(loja.client.delete(f"{V2}/webhook/{key}"), 404, "WebhookNaoEncontrado")


@pytest.mark.django_db
def test_a_second_put_replaces_url_and_secret_and_retargets_pending_deliveries():
    loja = receiving_customer()
    first = put_webhook(loja.client, loja.key.key).json()
    webhook = PixWebhook.objects.get()
    pending = webhook_enqueue(
        source=DELIVERY_SOURCE,
        source_id=webhook.pk,
        event_key="E-pending",
        url=HOOK + "pix",
        secret=first["hmacSecret"],
        payload={"pix": []},
    )

    second = put_webhook(loja.client, loja.key.key, "https://erp.example.org/hooks").json()

    assert second["webhookUrl"] == "https://erp.example.org/hooks"
    assert second["hmacSecret"] != first["hmacSecret"]
    assert PixWebhook.objects.count() == 1
    pending.refresh_from_db()
    assert pending.url == "https://erp.example.org/hooks/pix"
    assert pending.secret == second["hmacSecret"]

    loja.client.delete(f"{V2}/webhook/{loja.key.key}")
    pending.refresh_from_db()
    assert pending.state == WebhookDelivery.State.FAILED
    assert "removed" in pending.last_error


@pytest.mark.django_db
def test_list_webhooks_with_window_and_pages():
    loja = receiving_customer()
    other = receiving_customer("Outra Loja Lima")
    second_key = key_register(account=loja.account, key_type="EVP", actor=loja.customer.user)
    second_key.refresh_from_db()
    put_webhook(loja.client, loja.key.key)
    put_webhook(loja.client, second_key.key, "https://erp.example.org/b")
    put_webhook(other.client, other.key.key)

    listed = loja.client.get(f"{V2}/webhook")

    assert listed.status_code == 200
    body = listed.json()
    assert [w["chave"] for w in body["webhooks"]] == [loja.key.key, second_key.key]
    assert body["parametros"] == {
        "paginacao": {
            "paginaAtual": 0,
            "itensPorPagina": 100,
            "quantidadeDePaginas": 1,
            "quantidadeTotalDeItens": 2,
        }
    }
    page = loja.client.get(
        f"{V2}/webhook", {"paginacao.itensPorPagina": 1, "paginacao.paginaAtual": 1}
    ).json()
    assert [w["chave"] for w in page["webhooks"]] == [second_key.key]
    assert page["parametros"]["paginacao"]["quantidadeDePaginas"] == 2

    later = (timezone.now() + timedelta(hours=1)).isoformat()
    none_yet = loja.client.get(f"{V2}/webhook", {"inicio": later}).json()
    assert none_yet["webhooks"] == [] and none_yet["parametros"]["inicio"].endswith("Z")

    for params, prop in [
        ({"inicio": "2026-02-01T00:00:00Z", "fim": "2026-01-01T00:00:00Z"}, "fim"),
        ({"inicio": "not a date"}, "inicio"),
        ({"paginacao.paginaAtual": "-1"}, "paginacao.paginaAtual"),
        ({"paginacao.itensPorPagina": "0"}, "paginacao.itensPorPagina"),
    ]:
        assert_problem(
            loja.client.get(f"{V2}/webhook", params), 400, "WebhookConsultaInvalida", prop
        )


@pytest.mark.django_db
def test_only_the_callers_active_keys_take_a_webhook():
    loja = receiving_customer()
    other = receiving_customer("Outra Loja Lima")
    put_webhook(other.client, other.key.key)

    for key in (other.key.key, "unknown-key", "+5561999998888", "x" * 78, "%00", "a\u0001b"):
        response = put_webhook(loja.client, key)
        assert_problem(response, 400, "WebhookOperacaoInvalida", "chave")
        assert_problem(loja.client.get(f"{V2}/webhook/{key}"), 404, "WebhookNaoEncontrado")
        assert_problem(loja.client.delete(f"{V2}/webhook/{key}"), 404, "WebhookNaoEncontrado")
    assert PixWebhook.objects.get().customer == other.customer  # untouched

    from apps.pix.keys.services import key_delete

    key_delete(pix_key=loja.key, actor=loja.customer.user)
    assert PixKey.objects.get(pk=loja.key.pk).state == PixKey.State.DELETED
    assert_problem(put_webhook(loja.client, loja.key.key), 400, "WebhookOperacaoInvalida", "chave")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"webhookUrl": ""},
        {"webhookUrl": 42},
        {"webhookUrl": None},
        {"webhookUrl": ["https://a.example"]},
        {"webhookUrl": "not a url"},
        {"webhookUrl": "ftp://files.example.com/x"},
        {"webhookUrl": "https://user:pw@pix.example.com/hook"},
        {"webhookUrl": "https://pix.example.com/" + "a" * 500},
        {"webhookUrl": "https://pix.example.com/\u0000"},
        b'{"webhookUrl": "https://pix.example.com/\\ud800"}',  # a lone surrogate
        ["https://pix.example.com"],
        "https://pix.example.com",
    ],
)
def test_garbage_webhook_bodies_are_refused(body):
    loja = receiving_customer()
    url = f"{V2}/webhook/{loja.key.key}"
    if isinstance(body, bytes):
        response = loja.client.put(url, data=body, content_type="application/json")
    else:
        response = loja.client.put(url, body, format="json")
    assert_problem(response, 400, "WebhookOperacaoInvalida")
    assert not PixWebhook.objects.exists()


@pytest.mark.django_db
def test_a_broken_json_body_is_refused():
    loja = receiving_customer()
    response = loja.client.put(
        f"{V2}/webhook/{loja.key.key}", data=b'{"webhookUrl": ', content_type="application/json"
    )
    assert_problem(response, 400, "WebhookOperacaoInvalida")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://pix.example.com/hook", "https"),
        ("https://127.0.0.1/hook", "public"),
        ("https://10.0.0.8/hook", "public"),
        ("https://169.254.169.254/latest", "public"),
        ("https://[::1]/hook", "public"),
    ],
)
def test_production_refuses_plain_http_and_internal_addresses(settings, url, reason):
    settings.DEBUG, settings.TESTING = False, False
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    loja = receiving_customer()

    response = put_webhook(loja.client, loja.key.key, url)

    body = assert_problem(response, 400, "WebhookOperacaoInvalida", "webhookUrl")
    assert reason in body["detail"]
    assert not PixWebhook.objects.exists()


# --- The whole flow -----------------------------------------------------------------------


def _verified(request, secret: str) -> dict:
    assert verify_signature(
        secret=secret,
        body=request.body,
        timestamp=request.headers["X-Athena-Timestamp"],
        signature=request.headers["X-Athena-Signature"],
    ), request.headers
    return request.json()


@pytest.mark.django_db(transaction=True)
def test_webhook_put_then_pix_in_then_refunds(receiver):
    """Nothing is driven by hand: commits kick the outbox, the outbox enqueues the
    delivery, its commit kicks the POST (Celery runs eagerly under ATHENA_TESTING)."""
    try:
        loja = receiving_customer()
        put = put_webhook(loja.client, loja.key.key, receiver.url + "/athena/")
        assert put.status_code == 200, put.content
        secret = put.json()["hmacSecret"]

        pix = receive_pix(loja, 10_000, txid="pedido00042abcdefghijklmnopq", remittance="Pedido 42")

        (request,) = receiver.wait_for(1)
        assert request.path == "/athena/pix"
        body = _verified(request, secret)
        assert body == {
            "pix": [
                {
                    "endToEndId": pix.end_to_end_id,
                    "txid": "pedido00042abcdefghijklmnopq",
                    "valor": "100.00",
                    "chave": loja.key.key,
                    "horario": body["pix"][0]["horario"],
                    "infoPagador": "Pedido 42",
                }
            ]
        }
        delivery = WebhookDelivery.objects.get(event_key=pix.end_to_end_id)
        assert delivery.state == "delivered" and delivery.attempts == 1
        assert request.headers["X-Athena-Event-Id"] == str(delivery.pk)
        assert balance_of(loja.account.pk)[0] == 10_000

        first = loja.client.put(f"{V2}/pix/{pix.end_to_end_id}/devolucao/d1", {"valor": "25.00"})
        second = loja.client.put(f"{V2}/pix/{pix.end_to_end_id}/devolucao/d2", {"valor": "70.00"})
        beyond = loja.client.put(f"{V2}/pix/{pix.end_to_end_id}/devolucao/d3", {"valor": "5.01"})

        assert first.status_code == second.status_code == 201
        assert first.json()["status"] == second.json()["status"] == "DEVOLVIDO"
        assert_problem(beyond, 400, "PixDevolucaoInvalida", "valor")
        assert balance_of(loja.account.pk)[0] == 500
        assert PixRefund.objects.filter(transfer=pix).count() == 2

        # Each refund that reached DEVOLVIDO was notified too, with the Pix's devolucoes.
        requests = receiver.wait_for(3)
        refund_bodies = [_verified(r, secret) for r in requests[1:]]
        assert [len(b["pix"][0]["devolucoes"]) for b in refund_bodies] == [1, 2]
        last = refund_bodies[-1]["pix"][0]["devolucoes"]
        assert [(d["id"], d["valor"], d["status"]) for d in last] == [
            ("d1", "25.00", "DEVOLVIDO"),
            ("d2", "70.00", "DEVOLVIDO"),
        ]
        assert len(receiver.requests) == 3
    finally:
        connections.close_all()
