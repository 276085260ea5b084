"""Reads for the compliance queue: alerts, KYC reviews, MED cases and screening hits in one
list, and the evidence of an alert.

Monitoring lists its own alerts; KYC reviews, MED cases and screening hits are sources the
kyc, pix and compliance apps register in apps.monitoring.registry from their ready().
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Posting

from . import registry
from .models import Alert
from .registry import QueueItem, admin_url


def active_alerts() -> QuerySet[Alert]:
    return (
        Alert.objects.filter(state__in=Alert.ACTIVE_STATES)
        .select_related("rule", "customer", "assigned_to")
        .order_by("sla_due_at", "pk")
    )


def _alert_items() -> list[QueueItem]:
    return [
        QueueItem(
            type="alert",
            pk=a.pk,
            title=f"{a.rule.name}: {a.summary}",
            customer=a.customer.full_name,
            state=a.get_state_display(),
            risk=a.risk_score,
            created_at=a.detected_at,
            due_at=a.sla_due_at,
            url=admin_url(a),
            assigned_to=str(a.assigned_to or ""),
        )
        for a in active_alerts()
    ]


def register_queue_sources() -> None:
    """Monitoring's own source; other apps register theirs in their ready()."""
    registry.register_source("alert", label=_("monitoring alert"), items=_alert_items)


def compliance_queue(
    *, types: list[str] | None = None, min_age_days: int = 0, min_risk: int = 0
) -> list[QueueItem]:
    """Everything waiting for a compliance officer, the nearest deadline first."""
    items: list[QueueItem] = []
    for name, source in registry.sources().items():
        if types and name not in types:
            continue
        items.extend(source())
    if min_age_days:
        items = [i for i in items if i.age_days >= min_age_days]
    if min_risk:
        items = [i for i in items if (i.risk or 0) >= min_risk]
    far = timezone.now() + timedelta(days=36500)
    return sorted(items, key=lambda i: (i.due_at or far, i.created_at))


def alert_evidence(*, alert: Alert, recent_days: int = 90, limit: int = 100) -> dict[str, Any]:
    """What an officer looks at: the movements that triggered the alert, the customer's
    recent movements, their prior alerts and their screening hits."""
    recent = list(
        Posting.objects.filter(
            account__customer_id=alert.customer_id,
            created_at__gte=timezone.now() - timedelta(days=recent_days),
        )
        .order_by("-created_at", "-pk")
        .values("pk", "entry_id", "account_id", "amount", "kind", "created_at")[:limit]
    )
    prior = list(
        Alert.objects.filter(customer_id=alert.customer_id)
        .exclude(pk=alert.pk)
        .select_related("rule")
        .order_by("-detected_at")[:50]
    )
    hits = registry.evidence("screening_hits", alert.customer_id)[:50]
    return {
        "triggering": alert.evidence.get("movements", []),
        "recent": recent,
        "prior_alerts": prior,
        "screening_hits": hits,
    }


# --- The operations dashboard (apps.core.console; registered in monitoring/console.py) -----


def alerts_waiting():
    """Alerts waiting for analysis, since the oldest detection, and how many are overdue."""
    from apps.core.console import tally

    active = Alert.objects.filter(state__in=Alert.ACTIVE_STATES)
    return tally(active, oldest="detected_at"), active.filter(sla_due_at__lt=timezone.now()).count()


def coaf_reports_waiting_approval():
    """COAF communications prepared and waiting for a second officer (four eyes)."""
    from apps.core.console import tally

    from .models import CoafReport

    return tally(
        CoafReport.objects.filter(state=CoafReport.State.DRAFT),
        amount="total_amount",
        oldest="created_at",
    )
