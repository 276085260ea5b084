"""Outbox handler: every ledger movement re-evaluates the rules for the customers it touched.

Only their own recent window is read, and the evaluation is idempotent (a re-delivered
message extends the same alerts with nothing new), as the outbox's at-least-once delivery
requires.
"""

from __future__ import annotations

from apps.accounts.models import Account
from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_handler

from .services import monitoring_evaluate_customer


@outbox_handler("ledger.balance_changed")
def monitor_movement(payload: dict, message: OutboxMessage) -> None:
    customer_ids = (
        Account.objects.filter(pk__in=payload.get("accounts", []), kind=Account.Kind.CUSTOMER)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    for customer_id in customer_ids:
        monitoring_evaluate_customer(customer_id=customer_id)
