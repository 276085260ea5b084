"""Celery entry points of the accounts domain."""

from celery import shared_task

from apps.accounts import services
from apps.accounts.reconciliation import reconcile


@shared_task(acks_late=True, ignore_result=True)
def reconcile_ledger_task() -> bool:
    return reconcile().ok


@shared_task(acks_late=True, ignore_result=True)
def expire_holds_task() -> int:
    return services.holds_expire_due()


@shared_task(acks_late=True, ignore_result=True)
def advance_checkpoints_task() -> int:
    from apps.accounts.ledger import advance_checkpoints

    return advance_checkpoints()
