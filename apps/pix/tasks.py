"""Celery entry points of the Pix keys domain: thin wrappers over services.

Beat schedules live in athena/celery.py:
    "pix-sync-dict-claims":   apps.pix.tasks.sync_dict_claims_task, every 60 s
    "pix-expire-stale-keys":  apps.pix.tasks.expire_stale_keys_task, every hour
"""

from __future__ import annotations

from celery import shared_task

from apps.pix.keys import claims as key_claims
from apps.pix.keys import services


@shared_task(acks_late=True, ignore_result=True)
def sync_dict_claims_task() -> int:
    """Poll the DICT: claims against our keys arrive, ours progress, and claims whose
    resolution period ended get their default outcome. Idempotent: a claim already in the
    DICT's state is left alone."""
    return key_claims.claims_sync()


@shared_task(acks_late=True, ignore_result=True)
def expire_stale_keys_task() -> int:
    return services.keys_expire_stale()


@shared_task(acks_late=True, ignore_result=True)
def pix_retry_sent_task(older_than_seconds: int = 30, batch: int = 100) -> int:
    """Hand SENT transfers (no final answer yet) to the SPI again; returns how many moved on.

    A resend of a message the SPI already processed is answered DUPL; pix_submit then asks
    the SPI's status query for the outcome (settled, rejected, or still unknown: SENT)."""
    import logging
    from datetime import timedelta

    from django.utils import timezone

    from apps.pix.models import PixTransfer
    from apps.pix.transfers.services.send import pix_submit

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
            transfer = pix_submit(transfer_id)
        except Exception:
            logger.exception("pix retry failed", extra={"transfer_id": transfer_id})
            continue
        if transfer.state != PixTransfer.State.SENT:
            moved += 1
    return moved


@shared_task(acks_late=True, ignore_result=True)
def run_scheduled_pix_task() -> int:
    """Send the scheduled Pix due today (from 06:00 Brasilia). Several workers may run it at
    once: each transfer is claimed with FOR UPDATE SKIP LOCKED, so none goes out twice."""
    from apps.pix.transfers.services.scheduled import pix_run_scheduled

    return pix_run_scheduled()


@shared_task(acks_late=True, ignore_result=True)
def expire_cautionary_blocks_task() -> int:
    """End MED cautionary blocks after 72 h (EXPIRED, hold released as expired). Idempotent:
    a block already ended is skipped."""
    from apps.pix.med.blocks import cautionary_blocks_expire_due

    return cautionary_blocks_expire_due()


@shared_task(acks_late=True, ignore_result=True)
def expire_charges_task(batch: int = 500) -> int:
    """API Pix charges past their life become REMOVIDA_PELO_PSP: cobs past criacao +
    expiracao, cobvs past their last payable date. Idempotent: only ATIVA charges move."""
    from apps.pix.charges.services import charges_expire

    return charges_expire(batch=batch)
