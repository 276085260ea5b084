"""Celery entry points of the shared kernel: thin wrappers over services."""

from __future__ import annotations

import socket

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from apps.core import idempotency, outbox, webhooks


@shared_task(acks_late=True, ignore_result=True)
def drain_outbox_task() -> int:
    return outbox.drain_all()


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_records_task() -> int:
    return idempotency.purge_expired(older_than=timezone.now() - settings.IDEMPOTENCY_KEY_TTL)


@shared_task(acks_late=True, ignore_result=True)
def purge_expired_api_tokens_task() -> int:
    from apps.core.api_clients import purge_expired_tokens

    return purge_expired_tokens()


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook_task(delivery_id: int) -> None:
    """One attempt at a webhook just enqueued (kicked after its transaction commits)."""
    webhooks.webhook_deliver(delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def deliver_due_webhooks_task() -> int:
    """Beat: retries that are due, and deliveries whose kick was lost."""
    return webhooks.deliver_due_webhooks()


@shared_task(acks_late=True, ignore_result=True)
def verify_audit_chain_task() -> bool:
    """Beat (daily): walk the audit hash chain; a break opens a SystemAlert for staff."""
    from apps.core.audit_chain import verify_and_alert

    return verify_and_alert().ok


@shared_task(acks_late=True)
def ping(nonce: str) -> dict:
    """Round-trip probe used by readiness checks and integration tests."""
    return {"nonce": nonce, "worker": socket.gethostname()}
