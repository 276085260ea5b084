"""What happens after a Pix is received: the integrator's webhook, the customer's live
notification and e-mail (outbox handlers, registered in PixConfig.ready).

"pix.received" ({"transfer_id"}, published by pix_receive in the credit's transaction):

    (a) a webhook delivery to each webhook of the receiving key (or of the key of the charge
        the Pix paid): POST {webhookUrl}/pix {"pix": [<Pix>]}, event key = endToEndId;
    (b) a "pix.received" event on the portal's websocket (the balances group of the user),
        sent after commit, with the amount and the payer's masked name;
    (c) a "pix.received.email" message, whose handler e-mails the customer.

"pix.refund.finished" ({"refund_id", "state"}, published when a refund reaches DEVOLVIDO or
NAO_REALIZADO): the webhook is called again with the Pix and its devolucoes, as the API Pix
callback requires (event key = endToEndId/rtrId/status).

Exactly once, although the outbox delivers at least once: a handler's writes commit in the
same transaction that marks its message processed, so a message is only ever handled again
after a rollback that undid those writes too. What is not in the database is guarded so:

* webhook deliveries are unique per (source, webhook, event key): enqueuing twice is a no-op;
* the live notification and the e-mail hang on a marker, an AuditEvent ("business" action,
  detail.event "pix.received.notified") on the transfer, checked and written with the
  transfer's row locked: a second "pix.received" message for the same Pix (republished by
  hand, or by a future code path) finds it and notifies nobody again. The marker is in the
  append-only audit log, so it can neither be lost nor edited, and it records when the
  customer was told;
* the e-mail goes out from its own message: an SMTP failure retries only the e-mail (outbox
  backoff), never the webhook or the live event, and the e-mail message itself is written
  once, with the marker. Only a crash between the SMTP server's acceptance and the commit
  can send it twice (no mail protocol is transactional); we prefer that to losing it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Prefetch, Q
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone
from django_fsm.signals import post_transition

from apps.accounts.selectors import balance_group
from apps.core.audit import record_event
from apps.core.i18n import in_language_of
from apps.core.live import push_to_group
from apps.core.models import AuditEvent, OutboxMessage
from apps.core.money import format_brl
from apps.core.outbox import outbox_handler, publish
from apps.core.webhooks import WebhookUrlRefused, webhook_enqueue
from apps.pix.adapters.dict import LEGAL_PERSON, NATURAL_PERSON, mask_owner_name
from apps.pix.charges.webhooks import DELIVERY_SOURCE, delivery_url, webhooks_for_transfer
from apps.pix.models import PixRefund, PixTransfer

logger = logging.getLogger(__name__)

RECEIVED = "pix.received"
RECEIVED_EMAIL = "pix.received.email"
REFUND_FINISHED = "pix.refund.finished"
NOTIFIED_EVENT = "pix.received.notified"


def payer_display_name(transfer: PixTransfer) -> str:
    """The payer as the customer is shown it: a person's first name and initials, a
    company's name in full (as the DICT shows payees). For an internal Pix the payer is the
    customer who owns the row."""
    if transfer.direction == PixTransfer.Direction.OUT:
        payer = transfer.account.customer
        owner_type = LEGAL_PERSON if payer.kind == payer.Kind.COMPANY else NATURAL_PERSON
        return mask_owner_name(owner_type, payer.full_name)
    digits = "".join(ch for ch in transfer.counterparty_tax_id or "" if ch.isalnum())
    owner_type = LEGAL_PERSON if len(digits) == 14 else NATURAL_PERSON
    return mask_owner_name(owner_type, transfer.counterparty_name)


#: Received Pix: inbound ones, and internal ones (one row, the payer's) for their payee.
RECEIVED_ROWS = Q(direction=PixTransfer.Direction.IN) | Q(
    internal=True, payee_account__isnull=False
)


def _locked_transfer(transfer_id) -> PixTransfer | None:
    if not isinstance(transfer_id, int):
        return None
    return (
        PixTransfer.objects.select_for_update(of=("self",))
        .filter(RECEIVED_ROWS, pk=transfer_id)
        .select_related("account__customer__user", "payee_account__customer__user", "charge")
        .prefetch_related(
            Prefetch("refunds", queryset=PixRefund.objects.order_by("created_at", "pk"))
        )
        .first()
    )


def _notify_webhooks(transfer: PixTransfer, *, event_key: str) -> int:
    from apps.pix.transfers.api_v2_serializers import pix_document

    enqueued = 0
    for webhook in webhooks_for_transfer(transfer):
        try:
            webhook_enqueue(
                source=DELIVERY_SOURCE,
                source_id=webhook.pk,
                event_key=event_key,
                url=delivery_url(webhook),
                secret=webhook.secret,
                payload={"pix": [pix_document(transfer)]},
            )
        except WebhookUrlRefused:
            # The URL no longer passes the policy (it tightened since it was configured):
            # nothing can be sent there, and the customer's own notifications still go.
            logger.warning("pix webhook URL refused; not notified", extra={"webhook": webhook.pk})
            continue
        enqueued += 1
    return enqueued


def _already_notified(transfer: PixTransfer) -> bool:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.BUSINESS,
        object_type=PixTransfer._meta.label,
        object_id=str(transfer.pk),
        detail__event=NOTIFIED_EVENT,
    ).exists()


@outbox_handler(RECEIVED)
def notify_pix_received(payload: dict, message: OutboxMessage) -> None:
    transfer = _locked_transfer(payload.get("transfer_id"))
    if transfer is None or transfer.state != PixTransfer.State.SETTLED:
        return
    _notify_webhooks(transfer, event_key=transfer.end_to_end_id)
    if _already_notified(transfer):
        return
    customer = transfer.receiving_account.customer
    if customer is None:
        return
    record_event(
        AuditEvent.Action.BUSINESS,
        obj=transfer,
        actor_label="pix notifications",
        detail={"event": NOTIFIED_EVENT, "outbox_message_id": message.id},
    )
    publish(topic=RECEIVED_EMAIL, payload={"transfer_id": transfer.pk})
    event = {
        "type": "pix.received",
        "account_id": transfer.receiving_account_id,
        "end_to_end_id": transfer.end_to_end_id,
        "amount": transfer.amount,
        "payer_name": payer_display_name(transfer),
        "message_id": str(message.id),
    }
    user_id = customer.user_id
    transaction.on_commit(lambda: _push_live(user_id, event))


def _push_live(user_id: int, event: dict) -> None:
    push_to_group(balance_group(user_id), event)


@outbox_handler(RECEIVED_EMAIL)
def email_pix_received(payload: dict, message: OutboxMessage) -> None:
    transfer = (
        PixTransfer.objects.filter(RECEIVED_ROWS, pk=payload.get("transfer_id"))
        .select_related("account__customer__user", "payee_account__customer__user")
        .first()
        if isinstance(payload.get("transfer_id"), int)
        else None
    )
    if transfer is None or transfer.receiving_account.customer is None:
        return
    payee = transfer.receiving_account.customer
    user = payee.user
    if not user.email:
        return
    context = {
        "participant": settings.PIX_PARTICIPANT_NAME,
        "customer_name": payee.full_name,
        "amount": format_brl(transfer.amount),
        "payer_name": payer_display_name(transfer),
        "received_at": timezone.localtime(transfer.settled_at or transfer.created_at),
        "end_to_end_id": transfer.end_to_end_id,
        "description": transfer.description,
    }
    # In the customer's language (chosen at sign-up or in the language switch).
    with in_language_of(user):
        subject = " ".join(render_to_string("email/pix_received_subject.txt", context).split())
        body = render_to_string("email/pix_received_body.txt", context).strip() + "\n"
    # Errors propagate: the outbox retries this message (and only this one) with backoff.
    send_mail(subject, body, None, [user.email])


# --- Refunds reaching a final status ------------------------------------------------------


@receiver(post_transition, sender=PixRefund, dispatch_uid="pix_refund_finished_webhook")
def _refund_finished(sender, instance: PixRefund, name, source, target, **kwargs) -> None:
    # Fired inside the refund's transaction, before its row is saved: the message carries
    # the id, and its handler reads the refund once committed.
    if target in (PixRefund.State.DEVOLVIDO, PixRefund.State.NAO_REALIZADO):
        publish(topic=REFUND_FINISHED, payload={"refund_id": instance.pk, "state": str(target)})


@outbox_handler(REFUND_FINISHED)
def notify_refund_finished(payload: dict, message: OutboxMessage) -> None:
    refund = (
        PixRefund.objects.filter(pk=payload.get("refund_id"))
        .only("transfer_id", "return_id")
        .first()
        if isinstance(payload.get("refund_id"), int)
        else None
    )
    if refund is None:
        return
    transfer = _locked_transfer(refund.transfer_id)
    if transfer is None:
        return
    state = str(payload.get("state") or "")[:20]
    _notify_webhooks(transfer, event_key=f"{transfer.end_to_end_id}/{refund.return_id}/{state}")
