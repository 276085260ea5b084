"""LGPD data-subject requests and the records an erasure had to keep (legal retention)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.core.fsm import FSMModel
from apps.core.models import tracked_history

#: LGPD art. 19 II: a clear and complete statement within 15 days of the request. We apply
#: the same clock to every kind of request (the ANPD has not regulated the others yet).
ANSWER_WITHIN = timedelta(days=15)


class DataSubjectRequest(FSMModel):
    """One request of a data subject (LGPD art. 18 and 20) and its answer.

    received -> in_progress -> completed | refused (with the reason in `answer`)."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("access to my data")
        CORRECTION = "correction", _("correction of my data")
        ERASURE = "erasure", _("erasure of my data")
        AUTOMATED_DECISION_REVIEW = (
            "automated_decision_review",
            _("review of an automated decision"),
        )

    class State(models.TextChoices):
        RECEIVED = "received", _("received")
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")
        REFUSED = "refused", _("refused")

    OPEN_STATES = (State.RECEIVED, State.IN_PROGRESS)

    class CorrectionField(models.TextChoices):
        FULL_NAME = "full_name", _("full name")
        EMAIL = "email", _("e-mail address")

    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="privacy_requests",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    state = FSMField(
        verbose_name=_("state"), default=State.RECEIVED, choices=State.choices, protected=True
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due by"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    details = models.TextField(_("details"), blank=True)
    # Correction: which field and the value asked for.
    field = models.CharField(
        _("field to correct"), max_length=20, choices=CorrectionField.choices, blank=True
    )
    new_value = models.CharField(_("new value"), max_length=254, blank=True)
    # Automated decision review: the KYC request whose automatic rejection is contested.
    decision_ref = models.CharField(_("decision reviewed"), max_length=64, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handled by"),
    )
    history = tracked_history()

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open erasure at a time: a second click must not run a second erasure.
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(kind="erasure", state__in=["received", "in_progress"]),
                name="privacy_one_open_erasure",
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="privacy_request_queue_idx")]
        permissions = [
            ("handle_datasubjectrequest", "Can answer data-subject requests"),
            ("erase_customer", "Can erase a customer's personal data"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_state_display()})"

    def save(self, *args, **kwargs) -> None:
        if self.due_at is None:
            self.due_at = self.requested_at + ANSWER_WITHIN
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @transition(field=state, source=State.RECEIVED, target=State.IN_PROGRESS)
    def start(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=[State.RECEIVED, State.IN_PROGRESS], target=State.COMPLETED)
    def complete(self, *, by=None, reason: str = "") -> None:
        self.answer = reason
        self.answered_at = timezone.now()

    @transition(field=state, source=[State.RECEIVED, State.IN_PROGRESS], target=State.REFUSED)
    def refuse(self, *, by=None, reason: str = "") -> None:
        self.answer = reason
        self.answered_at = timezone.now()


class Erasure(models.Model):
    """A customer whose personal data was erased: what remains is blocked until
    `retention_until` (relationship end + 10 years, Circular BCB 3.978 art. 67)."""

    customer = models.OneToOneField(
        "accounts.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="erasure",
    )
    request = models.OneToOneField(
        DataSubjectRequest,
        verbose_name=_("request"),
        on_delete=models.PROTECT,
        related_name="erasure",
    )
    erased_at = models.DateTimeField(verbose_name=_("erased at"))
    retention_until = models.DateField(verbose_name=_("retention until"))
    summary = models.JSONField(verbose_name=_("summary"), default=dict)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"erasure of customer {self.customer_id} ({self.erased_at:%Y-%m-%d})"


class RetainedRecord(models.Model):
    """A record kept after an erasure because the law requires it, blocked from any use
    other than the legal obligation until `retention_until` (LGPD art. 16 I)."""

    erasure = models.ForeignKey(
        Erasure, verbose_name=_("erasure"), on_delete=models.PROTECT, related_name="retained"
    )
    model = models.CharField(verbose_name=_("model"), max_length=100)  # app_label.ModelName
    object_id = models.CharField(verbose_name=_("object ID"), max_length=64)
    retention_until = models.DateField(verbose_name=_("retention until"))
    legal_basis = models.CharField(verbose_name=_("legal basis"), max_length=200)

    class Meta:
        verbose_name = _("retained record")
        verbose_name_plural = _("retained records")
        constraints = [
            models.UniqueConstraint(fields=["model", "object_id"], name="privacy_retained_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.model} {self.object_id} kept until {self.retention_until}"
