"""Celery entry points of the Pix keys domain: thin wrappers over services.

Beat schedules live in athena/celery.py:
    "pix-sync-dict-claims":   apps.pix.tasks.sync_dict_claims_task, every 60 s
    "pix-expire-stale-keys":  apps.pix.tasks.expire_stale_keys_task, every hour
"""

from __future__ import annotations

from celery import shared_task

from apps.pix import services


@shared_task(acks_late=True, ignore_result=True)
def sync_dict_claims_task() -> int:
    """Poll the DICT: claims against our keys arrive, ours progress, and claims whose
    resolution period ended get their default outcome. Idempotent: a claim already in the
    DICT's state is left alone."""
    return services.claims_sync()


@shared_task(acks_late=True, ignore_result=True)
def expire_stale_keys_task() -> int:
    return services.keys_expire_stale()
