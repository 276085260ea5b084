"""The API Pix webhook of a key (`PUT/GET/DELETE /webhook/{chave}`, `GET /webhook`) and the
webhooks a received Pix is notified to.

Every PUT generates a new HMAC secret and answers it once (`hmacSecret`); the deliveries
still pending for the webhook are re-pointed at the new URL and signed with the new secret.
DELETE gives up the pending ones. Configuring or removing a webhook is an audit event: it
decides where news of the customer's money goes. See docs/pix-webhooks.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import Customer
from apps.core.audit import record_event
from apps.core.models import AuditEvent
from apps.core.webhooks import (
    WebhookUrlRefused,
    check_webhook_url,
    new_webhook_secret,
    webhook_cancel_pending,
    webhook_retarget,
)
from apps.pix import locks
from apps.pix.charges.errors import WebhookNaoEncontrado, WebhookOperacaoInvalida, with_violation
from apps.pix.charges.selectors import active_key_of_customer
from apps.pix.codecs.keys import mask_key
from apps.pix.models import PixKey, PixTransfer, PixWebhook

#: WebhookDelivery.source of Pix notifications; source_id is the PixWebhook's id.
DELIVERY_SOURCE = "pix"
KEY_MAX_LENGTH = 77


def delivery_url(webhook: PixWebhook) -> str:
    """Where notifications of received Pix are POSTed: the configured URL + "/pix", as the
    API Pix callback `{webhookUrl}/pix` says."""
    return webhook.url.rstrip("/") + "/pix"


def webhook_configure(
    *, customer: Customer, key: str, url: Any, actor: Any = None
) -> tuple[PixWebhook, str, bool]:
    """Create or replace the webhook of one of the customer's active keys.

    Returns (webhook, secret, created); the secret is new on every call and is not shown
    again."""
    try:
        url = check_webhook_url(url, field="webhookUrl")
    except WebhookUrlRefused as refused:
        raise with_violation(
            WebhookOperacaoInvalida, refused.message, prop="webhookUrl", value=refused.value
        ) from None
    with transaction.atomic():
        pix_key = _locked_active_key(customer, key)
        secret = new_webhook_secret()
        webhook = PixWebhook.objects.filter(pix_key=pix_key).first()
        created = webhook is None
        if created:
            webhook = PixWebhook.objects.create(
                customer=customer, pix_key=pix_key, url=url, secret=secret
            )
        else:
            webhook.url, webhook.secret = url, secret
            webhook.save(update_fields=["url", "secret", "updated_at"])
            webhook_retarget(
                source=DELIVERY_SOURCE,
                source_id=webhook.pk,
                url=delivery_url(webhook),
                secret=secret,
            )
        record_event(
            AuditEvent.Action.BUSINESS,
            actor=actor,
            obj=webhook,
            detail={
                "event": "pix.webhook.configured",
                "key": mask_key(pix_key.key_type, pix_key.key),
                "created": created,
            },
        )
    return webhook, secret, created


def _usable(key: Any) -> bool:
    """A value that may be looked up at all (a path segment may carry NUL or control
    characters, which PostgreSQL refuses in a query)."""
    return (
        isinstance(key, str)
        and 0 < len(key) <= KEY_MAX_LENGTH
        and not any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in key)
        and key.isprintable()
    )


def _locked_active_key(customer: Customer, key: Any) -> PixKey:
    found = None
    if _usable(key):
        found = active_key_of_customer(customer=customer, key=key)
    if found is None:
        raise with_violation(
            WebhookOperacaoInvalida,
            _("The key is not an active Pix key of this receiving customer."),
            prop="chave",
            value=key[:KEY_MAX_LENGTH] if _usable(key) else None,
        )
    # Serialises concurrent PUTs of one key (one webhook per key).
    return locks.key_for_update(found.pk)


def webhook_of_customer(*, customer: Customer, key: Any) -> PixWebhook:
    """The webhook of one of the customer's keys, or WebhookNaoEncontrado."""
    webhook = None
    if _usable(key):
        pix_key = active_key_of_customer(customer=customer, key=key)
        values = {key} | ({pix_key.key} if pix_key else set())
        webhook = (
            PixWebhook.objects.filter(customer=customer, pix_key__key__in=values)
            .select_related("pix_key")
            .order_by("-pk")
            .first()
        )
    if webhook is None:
        raise WebhookNaoEncontrado(_("No webhook is configured for this key."))
    return webhook


def webhook_remove(*, customer: Customer, key: Any, actor: Any = None) -> None:
    with transaction.atomic():
        webhook = webhook_of_customer(customer=customer, key=key)
        webhook = locks.webhook_for_update(webhook.pk)
        webhook_cancel_pending(
            source=DELIVERY_SOURCE, source_id=webhook.pk, reason="webhook removed by the customer"
        )
        record_event(
            AuditEvent.Action.BUSINESS,
            actor=actor,
            obj=webhook,
            detail={
                "event": "pix.webhook.removed",
                "key": mask_key(webhook.pix_key.key_type, webhook.pix_key.key),
            },
        )
        webhook.delete()


def webhooks_of_customer(
    *, customer: Customer, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> QuerySet[PixWebhook]:
    webhooks = PixWebhook.objects.filter(customer=customer).select_related("pix_key")
    if start is not None:
        webhooks = webhooks.filter(created_at__gte=start)
    if end is not None:
        webhooks = webhooks.filter(created_at__lte=end)
    return webhooks.order_by("created_at", "pk")


def webhooks_for_transfer(transfer: PixTransfer) -> list[PixWebhook]:
    """The webhooks to notify of a received Pix: that of the key the payer used, and that
    of the key of the charge it paid; only the receiving customer's, on active keys."""
    keys = {transfer.counterparty_key} - {""}
    if transfer.charge_id is not None:
        keys.add(transfer.charge.key)
    receiving = transfer.receiving_account
    if not keys or receiving is None:
        return []
    return list(
        PixWebhook.objects.filter(
            customer_id=receiving.customer_id,
            pix_key__key__in=keys,
            pix_key__state=PixKey.State.ACTIVE,
        )
        .select_related("pix_key")
        .order_by("pk")
    )
