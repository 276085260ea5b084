"""Celery entry points of screening: thin wrappers over the services."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def import_lists_task(source: str, path: str) -> int:
    """Import a list file; returns the active version's id (a re-run of the same file is a
    no-op: same checksum)."""
    return services.import_list(source=source, path=path).version.pk


@shared_task(acks_late=True, ignore_result=True)
def rescreen_customers_task(version_id: int) -> int:
    return services.rescreen_customers(version_id=version_id)
