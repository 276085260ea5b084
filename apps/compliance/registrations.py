"""What compliance plugs into other apps' extension points (from ComplianceConfig.ready()):
the onboarding screening as a gate of accounts' onboarding, and screening hits in the
compliance queue and next to a monitoring alert (apps.monitoring)."""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from apps.monitoring.registry import (
    SLA_DAYS,
    QueueItem,
    admin_url,
    register_evidence,
    register_source,
)

from .selectors import open_screening_hits, screening_hits_of_customer


def screening_queue_items() -> list[QueueItem]:
    items = []
    for h in open_screening_hits():
        customer = h.result.customer
        items.append(
            QueueItem(
                type="screening",
                pk=h.pk,
                title=f"{h.get_source_display()}: {h.listed_name}",
                customer=customer.full_name if customer else h.result.screened_name,
                state=h.get_status_display(),
                risk=h.score,
                created_at=h.result.created_at,
                due_at=h.result.created_at + timedelta(days=SLA_DAYS),
                url=admin_url(h),
            )
        )
    return items


def _hits_of_customer(customer_id: int) -> list:
    return list(screening_hits_of_customer(customer_id=customer_id)[:50])


def register() -> None:
    from apps.accounts.registry import register_gate

    from .services import onboarding_screening_gate

    register_gate("screening", onboarding_screening_gate)
    register_source("screening", label=_("screening hit"), items=screening_queue_items)
    register_evidence("screening_hits", _hits_of_customer)
