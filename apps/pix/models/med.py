"""MED (Mecanismo Especial de Devolução): infraction reports and cautionary blocks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from apps.core.fsm import FSMModel
from apps.core.models import tracked_history
from apps.pix.models.transfers import PixRefund, PixTransfer


class InfractionReport(FSMModel):
    """A MED infraction report about one Pix.

    role REPORTER: our customer sent the Pix and contests it (we report to the DICT; the
    receiving PSP analyses). role REPORTED: another PSP reports a Pix our customer received;
    our compliance officers analyse it and, when they agree, a MED refund returns what is
    left of the money (a `PixRefund` with reason FR01).

    OPEN -> ACKNOWLEDGED -> CLOSED (analysis_result AGREED | DISAGREED); OPEN/ACKNOWLEDGED
    -> CANCELLED (withdrawn by the reporter)."""

    class Role(models.TextChoices):
        REPORTER = "REPORTER", _("reported by us")
        REPORTED = "REPORTED", _("reported against us")

    class Situation(models.TextChoices):
        SCAM = "SCAM", _("scam")
        ACCOUNT_TAKEOVER = "ACCOUNT_TAKEOVER", _("account takeover")
        COERCION = "COERCION", _("coercion")
        FRAUDULENT_ACCESS = "FRAUDULENT_ACCESS", _("fraudulent access")
        OTHER = "OTHER", _("other")

    class State(models.TextChoices):
        OPEN = "OPEN", _("open")
        ACKNOWLEDGED = "ACKNOWLEDGED", _("under analysis")
        CLOSED = "CLOSED", _("closed")
        CANCELLED = "CANCELLED", pgettext_lazy("infraction report state", "cancelled")

    class Result(models.TextChoices):
        AGREED = "AGREED", _("agreed: fraud confirmed")
        DISAGREED = "DISAGREED", _("disagreed")

    dict_report_id = models.UUIDField(
        verbose_name=_("DICT report ID"), default=uuid.uuid4, unique=True, editable=False
    )
    transfer = models.ForeignKey(
        PixTransfer,
        verbose_name=_("transfer"),
        on_delete=models.PROTECT,
        related_name="infraction_reports",
    )
    role = models.CharField(verbose_name=_("role"), max_length=8, choices=Role.choices)
    situation = models.CharField(
        verbose_name=_("situation"), max_length=17, choices=Situation.choices
    )
    details = models.TextField(_("details"), max_length=2000, blank=True)
    reporter_participant = models.CharField(verbose_name=_("reporter participant"), max_length=8)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = FSMField(
        verbose_name=_("state"), default=State.OPEN, choices=State.choices, protected=True
    )
    analysis_result = models.CharField(
        verbose_name=_("analysis result"), max_length=9, choices=Result.choices, blank=True
    )
    analysis_details = models.TextField(verbose_name=_("analysis details"), blank=True)
    analysed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("analysed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(verbose_name=_("closed at"), null=True, blank=True)
    refund = models.ForeignKey(
        PixRefund,
        verbose_name=_("refund"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="infractions",
    )
    history = tracked_history()

    class Meta:
        verbose_name = _("MED infraction report")
        verbose_name_plural = _("MED infraction reports")
        constraints = [
            # One open report per Pix and side: a second one would double-refund.
            models.UniqueConstraint(
                fields=["transfer", "role"],
                condition=models.Q(state__in=["OPEN", "ACKNOWLEDGED"]),
                name="infraction_one_open_per_transfer",
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="infraction_queue_idx")]

    def __str__(self) -> str:
        return f"MED {self.role} {self.transfer_id} ({self.state})"

    @transition(field=state, source=State.OPEN, target=State.ACKNOWLEDGED)
    def acknowledge(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=[State.OPEN, State.ACKNOWLEDGED], target=State.CLOSED)
    def close(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.closed_at = timezone.now()

    @transition(field=state, source=[State.OPEN, State.ACKNOWLEDGED], target=State.CANCELLED)
    def cancel(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.closed_at = timezone.now()


class CautionaryBlock(FSMModel):
    """A cautionary block (bloqueio cautelar) of a received Pix: up to 72 h, as a ledger hold.

    ACTIVE -> RELEASED (analysis cleared it, or 72 h passed: state EXPIRED) | USED (the held
    money went back to the payer by a MED refund)."""

    MAX_DURATION_HOURS = 72

    class State(models.TextChoices):
        ACTIVE = "ACTIVE", _("active")
        RELEASED = "RELEASED", _("released")
        EXPIRED = "EXPIRED", _("expired (72 h)")
        USED = "USED", _("used for a MED refund")

    transfer = models.ForeignKey(
        PixTransfer,
        verbose_name=_("transfer"),
        on_delete=models.PROTECT,
        related_name="cautionary_blocks",
    )
    hold = models.OneToOneField(
        "accounts.Hold",
        verbose_name=_("hold"),
        on_delete=models.PROTECT,
        related_name="cautionary_block",
    )
    amount = models.BigIntegerField(_("amount (centavos)"))
    reason = models.CharField(verbose_name=_("reason"), max_length=200)
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    infraction = models.ForeignKey(
        InfractionReport,
        verbose_name=_("infraction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cautionary_blocks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = FSMField(
        verbose_name=_("state"), default=State.ACTIVE, choices=State.choices, protected=True
    )
    history = tracked_history()

    class Meta:
        verbose_name = _("cautionary block")
        verbose_name_plural = _("cautionary blocks")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="cautionary_positive"),
        ]

    def __str__(self) -> str:
        return f"block of {self.transfer_id}: {self.amount} ({self.state})"

    @transition(field=state, source=State.ACTIVE, target=State.RELEASED)
    def release(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.ACTIVE, target=State.EXPIRED)
    def expire(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.ACTIVE, target=State.USED)
    def use(self, *, by=None, reason: str = "") -> None:
        pass
