"""Live portal events (channels): a nicety that must never undo or retry a payment."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def push_to_group(group: str, event: dict) -> None:
    """Send `event` to a channels group; call it after commit. A broken layer (Redis down)
    is logged, never raised: the money has moved whether or not a browser is told."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        logger.warning("live notification not sent", extra={"event": event.get("type")})
