"""Outbox handlers of the accounts domain: balance notifications to the portal."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from apps.accounts.selectors import balance_group
from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_handler

from .models import Account

logger = logging.getLogger(__name__)


@outbox_handler("ledger.balance_changed")
def push_balance_changed(payload: dict, message: OutboxMessage) -> None:
    """Tell each owner's open portal pages the new balances (websocket, via channels)."""
    layer = get_channel_layer()
    if layer is None:
        return
    accounts = (
        Account.objects.with_balances()
        .filter(pk__in=payload.get("accounts", []), kind=Account.Kind.CUSTOMER)
        .select_related("customer")
    )
    try:
        for account in accounts:
            async_to_sync(layer.group_send)(
                balance_group(account.customer.user_id),
                {
                    "type": "balance.changed",
                    "account_id": account.pk,
                    "balance": account.total_balance,
                    "available_balance": account.available_balance,
                    "entry_id": payload.get("entry_id"),
                    "kind": payload.get("kind"),
                    "message_id": str(message.id),
                },
            )
    except Exception:
        # A live nicety (pages read balances afresh when they load): the channel layer being
        # unreachable must not fail the message, whose other handlers (transaction
        # monitoring) must run.
        logger.warning("balance push not sent", exc_info=True)
