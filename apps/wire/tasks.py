"""Celery entry points of TED: thin wrappers over services (beat: athena/celery.py)."""

from __future__ import annotations

from celery import shared_task

from apps.wire import services


@shared_task(acks_late=True, ignore_result=True)
def send_due_wires_task() -> int:
    """Scheduled TEDs whose moment came (the window's opening): debit and send."""
    return services.wires_send_due()


@shared_task(acks_late=True, ignore_result=True)
def inbox_task() -> int:
    """What the STR queued for us: TEDs to credit, our TEDs returned."""
    return services.wires_inbox_run()


@shared_task(acks_late=True, ignore_result=True)
def resend_task() -> int:
    """Messages the STR did not answer: the same message again (idempotent at the STR)."""
    return services.wires_resend_stuck() + services.inbound_returns_resend()
