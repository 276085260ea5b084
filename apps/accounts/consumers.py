"""Websocket consumers of the accounts domain: live balances on the portal dashboard."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from apps.accounts.selectors import balance_group
from apps.core.money import format_brl

# Close code for "sign in first" (4000-4999 are the application's own).
CLOSE_UNAUTHENTICATED = 4401


class BalanceConsumer(AsyncJsonWebsocketConsumer):
    """`ws/balances/`: one signed-in user's balance changes, pushed as they happen.

    The session cookie authenticates the socket (AuthMiddlewareStack in athena/asgi.py);
    anonymous sockets are refused at the handshake. The socket joins the user's group, to
    which the outbox handler `push_balance_changed` sends `balance.changed` events carrying
    raw centavos; they reach the browser with the amounts formatted here as well, so the page
    never formats money itself. The browser sends nothing: messages from it are ignored.
    """

    group_name: str | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group_name = balance_group(user.pk)
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group_name is not None:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        return None  # nothing to hear from the browser (not even JSON that fails to decode)

    async def balance_changed(self, event: dict) -> None:
        balance, available = event["balance"], event["available_balance"]
        await self.send_json(
            {
                "type": "balance.changed",
                "account_id": event["account_id"],
                "balance": balance,
                "available_balance": available,
                "balance_display": format_brl(balance),
                "available_balance_display": format_brl(available),
                "entry_id": event.get("entry_id"),
                "kind": event.get("kind"),
                "message_id": event.get("message_id"),
            }
        )

    async def pix_received(self, event: dict) -> None:
        """A Pix arrived (apps.pix.transfers.notifications): amount and the payer's masked name, for
        the portal's toast."""
        await self.send_json(
            {
                "type": "pix.received",
                "account_id": event["account_id"],
                "end_to_end_id": event.get("end_to_end_id"),
                "amount": event["amount"],
                "amount_display": format_brl(event["amount"]),
                "payer_name": event.get("payer_name") or "",
                "message_id": event.get("message_id"),
            }
        )

    async def boleto_paid(self, event: dict) -> None:
        """Boletos of the customer's were paid (apps.boleto.notifications): how many and
        how much, for the portal's toast."""
        await self.send_json(
            {
                "type": "boleto.paid",
                "count": event["count"],
                "amount": event["amount"],
                "amount_display": format_brl(event["amount"]),
            }
        )
