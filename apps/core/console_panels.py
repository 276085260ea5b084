"""The shared kernel's own figures on the operations dashboard (apps.core.console): the
outbox lag (messages not delivered yet, since the oldest), webhooks being retried or given
up, and open system alerts (a broken audit chain)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core import console
from apps.core.models import OutboxMessage, SystemAlert, WebhookDelivery


def _outbox(day: console.Day):
    pending = OutboxMessage.objects.filter(processed_at__isnull=True)
    counted = console.tally(pending, oldest="created_at")
    failing = pending.filter(attempts__gt=0).count()
    url = reverse("admin:core_outboxmessage_changelist")
    lag = counted.oldest_at and (day.now - counted.oldest_at).total_seconds()
    yield console.Figure.of(
        _("Outbox: messages not delivered yet"),
        counted,
        url=f"{url}?state=pending",
        # A message older than five minutes means the drain is stuck or the broker is down.
        status=console.PROBLEM if failing or (lag and lag > 300) else "",
        detail=gettext("%(count)d failing") % {"count": failing} if failing else "",
        key="outbox",
    )


def _webhooks(day: console.Day):
    url = reverse("admin:core_webhookdelivery_changelist")
    retrying = WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, attempts__gt=0)
    yield console.Figure.of(
        _("Webhooks being retried"),
        console.tally(retrying, oldest="created_at"),
        url=f"{url}?state=retrying",
        key="webhooks_retrying",
    )
    failed = WebhookDelivery.objects.filter(
        state=WebhookDelivery.State.FAILED, created_at__gte=day.start, created_at__lt=day.end
    )
    counted = console.tally(failed)
    yield console.Figure.of(
        _("Webhooks given up today"),
        counted,
        url=f"{url}?state=failed&{day.as_filter('created_at')}",
        status=console.WARNING if counted.count else "",
        key="webhooks_failed",
    )


def _system_alerts(day: console.Day):
    url = reverse("admin:core_systemalert_changelist")
    counted = console.tally(
        SystemAlert.objects.exclude(state=SystemAlert.State.RESOLVED), oldest="created_at"
    )
    yield console.Figure.of(
        _("System alerts"),
        counted,
        url=f"{url}?state__in=open,acknowledged",
        status=console.PROBLEM if counted.count else "",
        key="system_alerts",
    )


def register() -> None:
    console.register_panel(
        "core.outbox",
        section=console.QUEUES,
        permission="core.view_outboxmessage",
        figures=_outbox,
        order=60,
    )
    console.register_panel(
        "core.webhooks",
        section=console.QUEUES,
        permission="core.view_webhookdelivery",
        figures=_webhooks,
        order=70,
    )
    console.register_panel(
        "core.system_alerts",
        section=console.RECONCILIATION,
        permission="core.view_systemalert",
        figures=_system_alerts,
        order=40,
    )
