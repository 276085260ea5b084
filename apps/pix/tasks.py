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


class _AlreadyReceived(Exception):
    """The SPI says DUPL: it already has this pacs.008; undo the rejection pix_submit made."""


@shared_task(acks_late=True, ignore_result=True)
def pix_retry_sent_task(older_than_seconds: int = 30, batch: int = 100) -> int:
    """Hand SENT transfers (no final answer yet) to the SPI again; returns how many moved on.

    A DUPL answer means the SPI already received the message (the earlier attempt reached it
    but the answer was lost): rejecting would give back money the SPI may have moved, so the
    transfer stays SENT, logged for operations."""
    import logging
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from apps.pix.models import PixTransfer
    from apps.pix.transfers import pix_submit

    logger = logging.getLogger(__name__)
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        PixTransfer.objects.filter(
            state=PixTransfer.State.SENT,
            direction=PixTransfer.Direction.OUT,
            updated_at__lt=cutoff,
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:batch]
    )
    moved = 0
    for transfer_id in ids:
        try:
            with transaction.atomic():
                transfer = pix_submit(transfer_id)
                if (
                    transfer.state == PixTransfer.State.REJECTED
                    and transfer.reject_reason.startswith("DUPL")
                ):
                    raise _AlreadyReceived
        except _AlreadyReceived:
            logger.warning(
                "pix retry: the SPI already has this pacs.008 (DUPL); left SENT",
                extra={"end_to_end_id": transfer.end_to_end_id},
            )
            continue
        except Exception:
            logger.exception("pix retry failed", extra={"transfer_id": transfer_id})
            continue
        if transfer.state != PixTransfer.State.SENT:
            moved += 1
    return moved
