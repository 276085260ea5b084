"""After a Pix is received (outbox topic "pix.received"): the integrator's webhook delivery,
the customer's e-mail and live websocket event, each exactly once however often the outbox
delivers, and an e-mail failure retried on its own."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.db import connections
from django.utils import timezone

from apps.core.models import AuditEvent, OutboxMessage, WebhookDelivery
from apps.core.outbox import drain_all, publish
from apps.pix.charges.services import ChargeInput, charge_create
from apps.pix.charges.webhooks import webhook_configure
from apps.pix.keys.services import key_register
from apps.pix.models import PixWebhook
from apps.pix.transfers import notifications
from athena.asgi import application
from tests.support.pix_received import receive_pix, receiving_customer
from tests.support.websockets import WebsocketCommunicator, run, session_cookie

PAYER = "Carlos Pereira Dias"


class FailingEmailBackend:
    """An SMTP server that is down."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")


@pytest.fixture(autouse=True)
def _drive_by_hand(settings):
    # The tests drain the outbox themselves; deliveries are only enqueued, not POSTed.
    settings.OUTBOX_KICK_ON_COMMIT = False
    settings.WEBHOOK_KICK_ON_COMMIT = False
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return settings


def with_webhook(loja, url: str = "https://erp.example.com/hooks/"):
    webhook, secret, _ = webhook_configure(customer=loja.customer, key=loja.key.key, url=url)
    return webhook, secret


def notified_markers(transfer) -> int:
    return AuditEvent.objects.filter(
        object_type="pix.PixTransfer",
        object_id=str(transfer.pk),
        detail__event=notifications.NOTIFIED_EVENT,
    ).count()


@pytest.mark.django_db
def test_a_received_pix_is_notified_once_to_webhook_email_and_portal(
    django_capture_on_commit_callbacks, monkeypatch
):
    loja = receiving_customer("Loja Alves Souza")
    webhook, _secret = with_webhook(loja)
    pix = receive_pix(loja, 1_234, payer_name=PAYER, remittance="Pedido 7")
    pushed: list = []
    original_push = notifications._push_live

    def recording_push(user_id, event):  # records, then sends for real
        pushed.append((user_id, event))
        original_push(user_id, event)

    monkeypatch.setattr(notifications, "_push_live", recording_push)
    with django_capture_on_commit_callbacks(execute=True):
        drain_all()
    # The outbox delivers at least once: the same news again changes nothing.
    publish(topic=notifications.RECEIVED, payload={"transfer_id": pix.pk})
    with django_capture_on_commit_callbacks(execute=True):
        drain_all()

    delivery = WebhookDelivery.objects.get(source="pix", source_id=str(webhook.pk))
    assert delivery.event_key == pix.end_to_end_id
    assert delivery.url == "https://erp.example.com/hooks/pix"
    assert delivery.secret == webhook.secret
    assert delivery.payload["pix"][0]["endToEndId"] == pix.end_to_end_id
    assert delivery.payload["pix"][0]["valor"] == "12.34"
    assert delivery.payload["pix"][0]["infoPagador"] == "Pedido 7"

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [loja.customer.user.email]
    assert "R$ 12,34" in email.subject
    assert "R$ 12,34" in email.body and "Carlos P. D." in email.body
    assert PAYER not in email.body  # the payer's full name stays out of e-mail
    assert pix.end_to_end_id in email.body

    assert pushed == [
        (
            loja.customer.user_id,
            {
                "type": "pix.received",
                "account_id": loja.account.pk,
                "end_to_end_id": pix.end_to_end_id,
                "amount": 1_234,
                "payer_name": "Carlos P. D.",
                "message_id": pushed[0][1]["message_id"],
            },
        )
    ]
    assert notified_markers(pix) == 1
    assert not OutboxMessage.objects.filter(processed_at__isnull=True).exists()


@pytest.mark.django_db
def test_without_a_webhook_only_the_customer_is_told():
    loja = receiving_customer()
    other_key = key_register(account=loja.account, key_type="EVP", actor=loja.customer.user)
    other_key.refresh_from_db()
    webhook_configure(customer=loja.customer, key=other_key.key, url="https://erp.example.com")
    receive_pix(loja, 500)  # paid to loja.key, which has no webhook

    drain_all()

    assert not WebhookDelivery.objects.exists()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_pix_paying_a_charge_notifies_the_charges_key_webhook():
    loja = receiving_customer()
    webhook, _ = with_webhook(loja)
    charge, _created = charge_create(
        customer=loja.customer, kind="cob", data=ChargeInput(key=loja.key.key, amount=4_200)
    )
    # Typed-in account (no key in the pacs.008), but naming the charge's txid.
    pix = receive_pix(loja, 4_200, txid=charge.txid, with_key=False)
    pix.refresh_from_db()
    assert pix.charge_id == charge.pk and pix.counterparty_key == ""

    drain_all()

    delivery = WebhookDelivery.objects.get(source_id=str(webhook.pk))
    assert delivery.payload["pix"][0]["txid"] == charge.txid
    assert "chave" not in delivery.payload["pix"][0]


@pytest.mark.django_db
def test_an_smtp_failure_retries_the_email_alone(settings):
    loja = receiving_customer()
    with_webhook(loja)
    pix = receive_pix(loja, 2_000)
    settings.EMAIL_BACKEND = (
        "tests.pix.transfers.test_pix_received_notification.FailingEmailBackend"
    )

    drain_all()

    email_message = OutboxMessage.objects.get(topic=notifications.RECEIVED_EMAIL)
    assert email_message.processed_at is None and email_message.attempts == 1
    assert "SMTP server unreachable" in email_message.last_error
    assert OutboxMessage.objects.get(topic=notifications.RECEIVED).processed_at is not None
    assert WebhookDelivery.objects.count() == 1
    assert mail.outbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboxMessage.objects.filter(pk=email_message.pk).update(available_at=timezone.now())
    drain_all()

    assert len(mail.outbox) == 1 and "R$ 20,00" in mail.outbox[0].subject
    assert WebhookDelivery.objects.count() == 1 and notified_markers(pix) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"transfer_id": "12"}, {"transfer_id": 10**12}])
def test_messages_naming_no_received_pix_are_done_with_quietly(payload):
    publish(topic=notifications.RECEIVED, payload=payload)
    publish(topic=notifications.RECEIVED_EMAIL, payload=payload)
    publish(topic=notifications.REFUND_FINISHED, payload=payload)

    assert drain_all() == 3
    assert mail.outbox == [] and not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_webhook_whose_url_no_longer_passes_is_skipped(settings):
    loja = receiving_customer()
    with_webhook(loja, "http://erp.example.com/hooks")  # accepted under tests (http)
    receive_pix(loja, 700)
    settings.DEBUG, settings.TESTING = False, False  # production: https only

    drain_all()

    assert not WebhookDelivery.objects.exists()
    assert len(mail.outbox) == 1  # the customer is told all the same
    assert PixWebhook.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_portal_socket_shows_the_pix():
    """Through the real ASGI application and the balances websocket."""
    loja = receiving_customer()
    cookie = session_cookie(loja.customer.user)
    drain_all()  # the account's opening news goes out before anyone listens

    async def scenario():
        ws = WebsocketCommunicator(
            application,
            "/ws/balances/",
            headers=[
                (b"host", b"localhost"),
                (b"origin", b"http://localhost"),
                (b"cookie", cookie),
            ],
        )
        assert (await ws.connect(timeout=5))[0]

        def arrive():
            receive_pix(loja, 98_765, payer_name="Joana Maria da Silva")
            drain_all()

        await sync_to_async(arrive)()
        events = []
        while not any(e["type"] == "pix.received" for e in events):
            events.append(await ws.receive_json_from(timeout=5))
        pix_event = next(e for e in events if e["type"] == "pix.received")
        assert pix_event["account_id"] == loja.account.pk
        assert pix_event["amount"] == 98_765
        assert pix_event["amount_display"] == "R$ 987,65"
        assert pix_event["payer_name"] == "Joana M. S."  # first name and initials
        assert len(pix_event["end_to_end_id"]) == 32
        await ws.disconnect()

    try:
        run(scenario)
    finally:
        run(sync_to_async(connections.close_all))
        connections.close_all()
