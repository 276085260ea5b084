"""Celery entry points of card clearing: thin wrappers over the services (beat:
athena/celery.py, under `# [cards-clearing beat]`). Both are idempotent: a file fetched twice
is recognised by its digest, a day is settled once."""

from __future__ import annotations

from celery import shared_task

from apps.cards.clearing import services
from apps.core.timezones import brasilia_today


@shared_task(acks_late=True, ignore_result=True)
def fetch_clearing_files_task() -> int:
    """Fetch and process the network's clearing files; how many were fetched."""
    return len(services.files_fetch())


@shared_task(acks_late=True, ignore_result=True)
def settle_clearing_task() -> int:
    """Settle every past business day whose files are processed and not yet settled."""
    return len(services.clearing_settle_due(today=brasilia_today()))
