"""Celery entry points of loans: thin wrappers over services (beat: athena/celery.py).

Each one is safe to run again: a collection is keyed by loan and day, the risk refresh
computes today's figures and posts only the change, an expired offer is cancelled once.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from apps.core.errors import DomainError
from apps.core.timezones import brasilia_today
from apps.loans import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def collect_due_installments_task() -> int:
    """Collect every installment due by today from its account (once per loan and day)."""
    now = timezone.now()
    collected = 0
    for loan_id in services.loans_to_collect(today=brasilia_today(now)):
        try:
            if services.loan_collect(loan_id=loan_id, now=now) is not None:
                collected += 1
        except DomainError:
            logger.exception("loan collection refused", extra={"loan_id": loan_id})
    return collected


@shared_task(acks_late=True, ignore_result=True)
def refresh_risk_task() -> int:
    """Days past due, provision levels and defaults of the running loans."""
    now = timezone.now()
    loan_ids = services.loans_to_refresh()
    for loan_id in loan_ids:
        services.loan_refresh_risk(loan_id=loan_id, now=now)
    return len(loan_ids)


@shared_task(acks_late=True, ignore_result=True)
def expire_offers_task() -> int:
    """Approvals not contracted within a week are cancelled."""
    return services.loans_expire_offers()
