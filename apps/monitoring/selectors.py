"""Reads for the compliance queue: alerts, KYC reviews, MED cases and screening hits in one
list, and the evidence of an alert.

KYC reviews and screening hits come from apps.kyc and apps.compliance selectors, MED cases
from apps.pix; each source is imported lazily so the queue still works while one of those
apps is absent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Posting

from .models import SLA_DAYS, Alert

TYPES = {
    "alert": _("monitoring alert"),
    "kyc": _("KYC review"),
    "med": _("MED case"),
    "screening": _("screening hit"),
}


@dataclass(frozen=True)
class QueueItem:
    type: str
    pk: int
    title: str
    customer: str
    state: str
    risk: int | None
    created_at: datetime
    due_at: datetime | None
    url: str
    assigned_to: str = ""

    @property
    def type_label(self) -> str:
        return str(TYPES[self.type])

    @property
    def age_days(self) -> int:
        return (timezone.now() - self.created_at).days

    @property
    def days_left(self) -> int | None:
        if self.due_at is None:
            return None
        return math.ceil((self.due_at - timezone.now()).total_seconds() / 86400)

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and timezone.now() > self.due_at


def _admin_url(obj: Any) -> str:
    try:
        return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return ""


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
            url=_admin_url(a),
            assigned_to=str(a.assigned_to or ""),
        )
        for a in active_alerts()
    ]


def _kyc_items() -> list[QueueItem]:
    try:
        from apps.kyc.selectors import kyc_requests_for_review
    except ImportError:
        return []
    items = []
    for r in kyc_requests_for_review():
        start = r.submitted_at or r.created_at
        items.append(
            QueueItem(
                type="kyc",
                pk=r.pk,
                title=str(_("Upgrade to level %(level)s") % {"level": r.target_level}),
                customer=r.customer.full_name,
                state=r.get_state_display(),
                risk=None,
                created_at=start,
                due_at=start + timedelta(days=SLA_DAYS),
                url=_admin_url(r),
                assigned_to=str(getattr(r, "reviewed_by", None) or ""),
            )
        )
    return items


def _med_items() -> list[QueueItem]:
    try:
        from apps.pix.models import InfractionReport
    except ImportError:
        return []
    reports = InfractionReport.objects.filter(
        state__in=(InfractionReport.State.OPEN, InfractionReport.State.ACKNOWLEDGED)
    ).select_related("transfer", "transfer__account__customer")
    items = []
    for r in reports:
        customer = r.transfer.account.customer if r.transfer.account.customer_id else None
        items.append(
            QueueItem(
                type="med",
                pk=r.pk,
                title=str(_("MED report on Pix %(e2e)s") % {"e2e": r.transfer.end_to_end_id}),
                customer=customer.full_name if customer else "",
                state=r.get_state_display(),
                risk=None,
                created_at=r.created_at,
                # MED gives the receiving PSP 7 days to analyse (Pix regulation, art. 85).
                due_at=r.created_at + timedelta(days=7),
                url=_admin_url(r),
            )
        )
    return items


def _screening_items() -> list[QueueItem]:
    try:
        from apps.compliance.selectors import open_screening_hits
    except ImportError:
        return []
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
                url=_admin_url(h),
            )
        )
    return items


SOURCES = {
    "alert": _alert_items,
    "kyc": _kyc_items,
    "med": _med_items,
    "screening": _screening_items,
}


def compliance_queue(
    *, types: list[str] | None = None, min_age_days: int = 0, min_risk: int = 0
) -> list[QueueItem]:
    """Everything waiting for a compliance officer, the nearest deadline first."""
    items: list[QueueItem] = []
    for name, source in SOURCES.items():
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
    hits: list = []
    try:
        from apps.compliance.selectors import screening_hits_of_customer

        hits = list(screening_hits_of_customer(customer_id=alert.customer_id)[:50])
    except ImportError:
        pass
    return {
        "triggering": alert.evidence.get("movements", []),
        "recent": recent,
        "prior_alerts": prior,
        "screening_hits": hits,
    }
