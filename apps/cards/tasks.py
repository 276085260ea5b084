"""Celery entry points of cards: thin wrappers over services (beat: athena/celery.py)."""

from __future__ import annotations

from celery import shared_task

from apps.cards import services
from apps.cards.clearing import tasks as clearing_tasks  # noqa: F401 (beat names its tasks)


@shared_task(acks_late=True, ignore_result=True)
def expire_authorizations_task() -> int:
    return services.authorizations_expire()
