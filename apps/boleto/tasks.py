"""Celery entry points of boletos: thin wrappers over services (beat: athena/celery.py)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from apps.boleto.issuing import services as issuing
from apps.boleto.payments import services as payments
from apps.boleto.settlement import services as settlement
from apps.core import due_amounts
from apps.core.timezones import brasilia_today


@shared_task(acks_late=True, ignore_result=True)
def send_remittance_task() -> int | None:
    cnab_file = settlement.remittance_send()
    return cnab_file.pk if cnab_file else None


@shared_task(acks_late=True, ignore_result=True)
def fetch_returns_task() -> int:
    """Fetch and process COMPE's return files; each file is processed once (by digest)."""
    return len(settlement.returns_fetch())


@shared_task(acks_late=True, ignore_result=True)
def run_scheduled_payments_task() -> int:
    return payments.scheduled_payments_run()


@shared_task(acks_late=True, ignore_result=True)
def expire_boletos_task() -> int:
    return issuing.boletos_expire()


@shared_task(acks_late=True, ignore_result=True)
def compe_settle_task() -> int | None:
    """Settle yesterday's COMPE net (the clearing day closed); at most once a day."""
    day = brasilia_today() - dt.timedelta(days=1)
    while not due_amounts.B3.is_business_day(day):
        day -= dt.timedelta(days=1)
    return settlement.compe_settle(day=day)
