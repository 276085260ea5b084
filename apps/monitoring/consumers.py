"""`ws/compliance/queue/`: new monitoring alerts pushed to compliance officers' queue page."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .services import QUEUE_GROUP

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


def may_watch_queue(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("monitoring.view_alert")
    )


class ComplianceQueueConsumer(AsyncJsonWebsocketConsumer):
    """Staff with the compliance permission only; the browser sends nothing we act on."""

    joined = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await database_sync_to_async(may_watch_queue)(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(QUEUE_GROUP, self.channel_name)
        self.joined = True
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.joined:
            await self.channel_layer.group_discard(QUEUE_GROUP, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        return None

    async def alert_created(self, event: dict) -> None:
        await self.send_json(
            {
                "type": "alert.created",
                "alert_id": event["alert_id"],
                "rule": event.get("rule", ""),
                "customer": event.get("customer", ""),
                "risk_score": event.get("risk_score"),
                "summary": event.get("summary", ""),
            }
        )
