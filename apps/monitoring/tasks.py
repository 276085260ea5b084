"""Celery entry points of transaction monitoring."""

from __future__ import annotations

from celery import shared_task

from .services import monitoring_run_batch


@shared_task(acks_late=True)
def monitoring_daily_batch_task() -> int:
    """Re-run every rule for the customers that moved money in the last day (beat, daily).
    Idempotent: alerts are deduplicated, so a re-delivered task opens nothing twice."""
    return monitoring_run_batch(days=1)
