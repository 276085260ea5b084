"""Transactional outbox: side effects that must not be lost and must not run for rolled-back rows.

`publish()` writes an `OutboxMessage` in the caller's transaction. A Celery task drains
committed messages in batches (`SELECT ... FOR UPDATE SKIP LOCKED`, so several workers share
the work) and hands each to the handlers registered for its topic. Delivery is at least
once: handlers must be idempotent (they receive the message id to deduplicate on).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.models import OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[dict, OutboxMessage], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

MAX_BACKOFF = timedelta(hours=1)


def outbox_handler(topic: str) -> Callable[[Handler], Handler]:
    """Register `fn(payload, message)` for a topic (at import, from AppConfig.ready)."""

    def register(fn: Handler) -> Handler:
        if fn not in _handlers[topic]:
            _handlers[topic].append(fn)
        return fn

    return register


def handlers_for(topic: str) -> list[Handler]:
    return list(_handlers.get(topic, ()))


def publish(*, topic: str, payload: dict, delay: timedelta | None = None) -> OutboxMessage:
    """Record a side effect inside the current transaction and kick a drain after commit."""
    now = timezone.now()
    message = OutboxMessage.objects.create(
        topic=topic, payload=payload, available_at=now + (delay or timedelta(0))
    )
    _kick_drain_after_commit()
    return message


def _kick_drain_after_commit() -> None:
    # One kick per transaction, however many messages it publishes; beat drains anyway, so a
    # lost kick only delays delivery. The pending on-commit list dies with a rollback, so
    # looking there (rather than at a flag) never leaves a stale "already kicked".
    if not connection.in_atomic_block:
        _kick()
        return
    if any(func is _kick for _sids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_kick)


def _kick() -> None:
    if not getattr(settings, "OUTBOX_KICK_ON_COMMIT", True):
        return
    from apps.core.tasks import drain_outbox_task

    try:
        drain_outbox_task.delay()
    except Exception:  # the broker being down must not fail a committed payment
        logger.warning("outbox kick failed; beat will drain", exc_info=True)


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(attempts, 12)), MAX_BACKOFF)


def drain(*, batch_size: int | None = None) -> int:
    """Deliver one batch of due messages; returns how many were delivered."""
    batch_size = batch_size or settings.OUTBOX_BATCH_SIZE
    delivered = 0
    with transaction.atomic():
        now = timezone.now()
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, available_at__lte=now)
            .order_by("available_at")[:batch_size]
        )
        for message in messages:
            try:
                with transaction.atomic():
                    for handler in handlers_for(message.topic):
                        handler(message.payload, message)
            except Exception as exc:
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                message.available_at = now + _backoff(message.attempts)
                logger.warning("outbox handler failed for %s", message.topic, exc_info=True)
            else:
                message.processed_at = now
                delivered += 1
        OutboxMessage.objects.bulk_update(
            messages, ["processed_at", "attempts", "last_error", "available_at"]
        )
    return delivered


def drain_all(*, max_batches: int = 100) -> int:
    total = 0
    for _ in range(max_batches):
        count = drain()
        total += count
        if count == 0:
            break
    return total
