"""Transaction monitoring: rules with their parameters, alerts, officers' notes, COAF reports.

Circular BCB 3.978/2020 asks for monitoring, selection and analysis of suspicious operations
within 45 days, communication to COAF by the next business day after the decision, and
records kept for at least 10 years: alerts and reports are never deleted (PROTECT), they
carry their history, and a finalized report is refused any change by a database trigger.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.core.crypto import EncryptedBinaryField, EncryptedJSONField
from apps.core.fsm import FSMModel
from apps.core.models import TimeStampedModel, tracked_history

SLA_DAYS = 45


class MonitoringRule(TimeStampedModel):
    """One rule of `apps.monitoring.rules`, switched on or off and tuned by compliance."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    history = tracked_history()

    class Meta:
        ordering = ["code"]
        verbose_name = _("monitoring rule")
        verbose_name_plural = _("monitoring rules")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The rule's name in the reader's language; as written, when compliance renamed it.

        The row keeps the name it was created with (in the language active then); while it
        is one of the code's name's translations, the code's (lazy) name is shown.
        """
        from apps.monitoring.rules import rules

        spec = rules().get(self.code)
        if spec is not None and (not self.name or self.name in _every_translation(spec.name)):
            return str(spec.name)
        return self.name or self.code


def _every_translation(text) -> set[str]:
    names = set()
    for language, _language_name in settings.LANGUAGES:
        with translation.override(language):
            names.add(str(text))
    return names


class Alert(FSMModel):
    """A hit of a rule for a customer, with the movements that triggered it as evidence."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        IN_ANALYSIS = "in_analysis", _("in analysis")
        DISMISSED = "dismissed", _("dismissed")
        ESCALATED = "escalated", _("escalated")
        REPORTED = "reported", _("reported to COAF")

    #: States in which a new hit of the same rule and customer extends this alert.
    ACTIVE_STATES = (State.OPEN, State.IN_ANALYSIS)

    rule = models.ForeignKey(
        MonitoringRule, verbose_name=_("rule"), on_delete=models.PROTECT, related_name="alerts"
    )
    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="monitoring_alerts",
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dedup_key = models.CharField(verbose_name=_("dedup key"), max_length=120, db_index=True)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    sla_due_at = models.DateTimeField(_("analysis due"), editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    decision_reason = models.TextField(verbose_name=_("decision reason"), blank=True)
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    state = FSMField(
        verbose_name=_("state"), default=State.OPEN, choices=State.choices, protected=True
    )
    history = tracked_history()

    class Meta:
        verbose_name = _("monitoring alert")
        verbose_name_plural = _("monitoring alerts")
        constraints = [
            # One active alert per pattern: concurrent hits meet here and the loser extends
            # the winner's alert (services.alert_raise).
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=models.Q(state__in=["open", "in_analysis"]),
                name="monitoring_one_active_alert_per_pattern",
            ),
            models.CheckConstraint(
                condition=models.Q(risk_score__lte=100), name="monitoring_risk_score_range"
            ),
        ]
        indexes = [models.Index(fields=["state", "sla_due_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.rule.code} - {self.customer}"

    def save(self, *args, **kwargs) -> None:
        if self.sla_due_at is None:
            self.sla_due_at = self.detected_at + timedelta(days=SLA_DAYS)
        super().save(*args, **kwargs)

    @property
    def sla_days_left(self) -> int:
        """Whole days left, rounded up: 0.2 days is "1 day left", 5.1 days late is -5."""
        return math.ceil((self.sla_due_at - timezone.now()).total_seconds() / 86400)

    @property
    def is_overdue(self) -> bool:
        return self.state in self.ACTIVE_STATES and timezone.now() > self.sla_due_at

    @transition(field=state, source=State.OPEN, target=State.IN_ANALYSIS)
    def start_analysis(self, *, by=None, reason: str = "") -> None:
        if getattr(by, "is_authenticated", False) and self.assigned_to_id is None:
            self.assigned_to = by

    @transition(field=state, source=State.IN_ANALYSIS, target=State.DISMISSED)
    def dismiss(self, *, by=None, reason: str = "") -> None:
        self.decision_reason = reason
        self.decided_at = timezone.now()

    @transition(field=state, source=State.IN_ANALYSIS, target=State.ESCALATED)
    def escalate(self, *, by=None, reason: str = "") -> None:
        self.decision_reason = reason
        self.decided_at = timezone.now()

    @transition(field=state, source=State.ESCALATED, target=State.REPORTED)
    def mark_reported(self, *, by=None, reason: str = "") -> None:
        pass


class AlertNote(models.Model):
    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.PROTECT, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("alert note")
        verbose_name_plural = _("alert notes")

    def __str__(self) -> str:
        return f"{self.author}: {self.text[:40]}"


class CoafReport(TimeStampedModel):
    """A communication to COAF (SISCOAF), prepared by one officer and approved by another.

    Once approved it is final: `save()` refuses and a trigger (migration 0002) refuses any
    UPDATE or DELETE of a finalized row except recording, once, when and under which
    protocol it was sent.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("awaiting approval")
        FINALIZED = "finalized", _("finalized")

    alert = models.ForeignKey(
        Alert, verbose_name=_("alert"), on_delete=models.PROTECT, related_name="coaf_reports"
    )
    automatic = models.BooleanField(
        _("automatic communication"),
        default=False,
        help_text=_("Cash-equivalent operation at or above the threshold (art. 49)."),
    )
    # The parties' names and CPF/CNPJ, the operations and the SISCOAF data (and the PDF
    # rendered from them) are kept encrypted at rest, history rows included.
    parties = EncryptedJSONField(_("parties"), default=list)
    operations = EncryptedJSONField(_("operations"), default=list)
    total_amount = models.BigIntegerField(_("total amount (centavos)"), default=0)
    period_start = models.DateField(_("first operation"), null=True, blank=True)
    period_end = models.DateField(_("last operation"), null=True, blank=True)
    reasoning = models.TextField(_("reasoning"))
    data = EncryptedJSONField(_("SISCOAF data"), default=dict)
    document = EncryptedBinaryField(_("PDF"), editable=False)
    state = models.CharField(
        verbose_name=_("state"), max_length=10, choices=State.choices, default=State.DRAFT
    )
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(verbose_name=_("approved at"), null=True, blank=True)
    due_by = models.DateField(_("communicate by"), null=True, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    protocol = models.CharField(_("SISCOAF protocol"), max_length=60, blank=True)
    history = tracked_history(excluded_fields=["document"])

    class Meta:
        verbose_name = _("COAF communication")
        verbose_name_plural = _("COAF communications")
        permissions = [("approve_coafreport", "Can approve (finalize) a COAF communication")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state="draft")
                | models.Q(approved_by__isnull=False, approved_at__isnull=False),
                name="coaf_finalized_is_approved",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | models.Q(prepared_by__isnull=True)
                | ~models.Q(approved_by=models.F("prepared_by")),
                name="coaf_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"COAF #{self.pk} ({self.get_state_display()})"

    @property
    def is_final(self) -> bool:
        return self.state == self.State.FINALIZED

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not getattr(self, "_allow_final_write", False):
            stored = CoafReport.objects.filter(pk=self.pk).values_list("state", flat=True).first()
            if stored == self.State.FINALIZED:
                from apps.core.errors import Conflict

                raise Conflict(_("A finalized COAF communication cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        from apps.core.errors import Conflict

        if self.is_final:
            raise Conflict(_("A finalized COAF communication cannot be deleted."))
        return super().delete(*args, **kwargs)
