"""Clearing as the issuer: the network's files, their lines, the operators' queue of
mismatches and the day's net settlements (written only by apps.cards.clearing.services).

* `ClearingFile`: a file as received, stored once (its SHA-256 digest is unique: the same
  file twice is recognised and changes nothing), processed whole or rejected whole (with
  the line and field of the first error).
* `ClearingLine`: what each detail record did (captured a hold, posted, refunded, queued...)
  and the journal entries it posted. A record (ARN and transaction code) is applied once:
  the same record in a later file is kept as a duplicate and moves nothing.
* `ClearingException`: a mismatch waiting for an operator (a presentment the account
  cannot pay, an over-capture beyond tolerance, an unknown card, a settlement difference).
  The money involved waits in the "suspense" internal account until it is resolved.
* `ClearingSettlement`: one business day's net paid to (or received from) the network.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.core.fsm import FSMModel
from apps.core.models import TimeStampedModel, tracked_history

__all__ = ["ClearingException", "ClearingFile", "ClearingLine", "ClearingSettlement"]


class ClearingFile(TimeStampedModel):
    class State(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSED = "processed", _("processed")
        REJECTED = "rejected", _("rejected")

    name = models.CharField(_("name"), max_length=120)
    digest = models.CharField(_("SHA-256"), max_length=64, unique=True)
    content = models.TextField(verbose_name=_("content"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    network = models.CharField(_("network"), max_length=8, blank=True)
    business_day = models.DateField(_("business day"), null=True, blank=True)
    file_sequence = models.PositiveIntegerField(_("file sequence"), null=True, blank=True)
    line_count = models.PositiveIntegerField(verbose_name=_("line count"), default=0)
    # What the trailer says the issuer owes the network (negative: is owed), centavos.
    net = models.BigIntegerField(_("net"), default=0)
    totals = models.JSONField(verbose_name=_("totals"), default=dict, blank=True)
    error_line = models.PositiveIntegerField(verbose_name=_("error line"), null=True, blank=True)
    error_field = models.CharField(verbose_name=_("error field"), max_length=80, blank=True)
    error_message = models.CharField(verbose_name=_("error message"), max_length=300, blank=True)
    processed_at = models.DateTimeField(verbose_name=_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("card clearing file")
        verbose_name_plural = _("card clearing files")
        indexes = [models.Index(fields=["business_day", "state"], name="card_clr_file_day")]

    def __str__(self) -> str:
        return self.name


class ClearingLine(models.Model):
    class Outcome(models.TextChoices):
        CAPTURED = "captured", _("hold captured")
        POSTED = "posted", _("posted without a hold")
        REFUNDED = "refunded", _("refund credited")
        REVERSED = "reversed", _("reversed")
        ALREADY_CAPTURED = "already_captured", _("already captured at authorization")
        QUEUED = "queued", _("sent to the operators' queue")
        DUPLICATE = "duplicate", _("duplicate (applied before)")

    file = models.ForeignKey(
        ClearingFile, verbose_name=_("file"), on_delete=models.PROTECT, related_name="lines"
    )
    line_number = models.PositiveIntegerField(verbose_name=_("line number"))
    transaction_code = models.CharField(_("transaction code"), max_length=2)
    arn = models.CharField(_("ARN"), max_length=23)
    original_arn = models.CharField(_("original ARN"), max_length=23, blank=True)
    card = models.ForeignKey(
        "cards.Card",
        verbose_name=_("card"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    authorization = models.ForeignKey(
        "cards.Authorization",
        verbose_name=_("authorization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clearing_lines",
    )
    masked_card = models.CharField(_("card"), max_length=16)  # BIN + last four, never more
    auth_code = models.CharField(_("approval code (DE 38)"), max_length=6, blank=True)
    rrn = models.CharField(_("RRN (DE 37)"), max_length=12, blank=True)
    amount = models.BigIntegerField(_("amount"), help_text=_("centavos"))
    transaction_date = models.DateField(_("transaction date"))
    merchant_name = models.CharField(_("merchant"), max_length=40, blank=True)
    mcc = models.CharField(_("MCC"), max_length=4, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    # The journal entries this line posted (a capture, an extra debit, a suspense entry...).
    entry_ids = models.JSONField(verbose_name=_("entry ids"), default=list, blank=True)
    detail = models.CharField(verbose_name=_("detail"), max_length=200, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["file", "line_number"]
        verbose_name = _("card clearing line")
        verbose_name_plural = _("card clearing lines")
        constraints = [
            models.UniqueConstraint(fields=["file", "line_number"], name="card_clr_line_once"),
            # A record is applied at most once, whatever file brings it again.
            models.UniqueConstraint(
                fields=["transaction_code", "arn"],
                condition=~Q(outcome="duplicate"),
                name="card_clr_record_once",
            ),
        ]
        indexes = [models.Index(fields=["arn"], name="card_clr_line_arn")]

    def __str__(self) -> str:
        return f"{self.file.name}:{self.line_number} {self.transaction_code} {self.arn}"


class ClearingException(FSMModel):
    """A mismatch for an operator. The amount waits in the suspense account until then."""

    class Reason(models.TextChoices):
        UNKNOWN_CARD = "unknown_card", _("card not ours or not matching")
        UNPAID = "unpaid", _("presentment without authorization the account cannot pay")
        OVER_TOLERANCE = "over_tolerance", _("capture beyond the authorized amount's tolerance")
        EXTRA_UNPAID = "extra_unpaid", _("capture over the authorized amount, account cannot pay")
        AUTHORIZATION_REVERSED = (
            "authorization_reversed",
            _("presentment of a reversed authorization"),
        )
        AMOUNT_MISMATCH = "amount_mismatch", _("amount differs from the captured authorization")
        REFUND_UNPAID = "refund_unpaid", _("refund the account cannot receive")
        REVERSAL_UNMATCHED = "reversal_unmatched", _("reversal of a record we do not have")
        SETTLEMENT_DIFFERENCE = "settlement_difference", _("network's net differs from the files")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        CHARGED = "charged", _("charged to the customer")
        CLOSED = "closed", _("closed")

    line = models.ForeignKey(
        ClearingLine,
        verbose_name=_("line"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exceptions",
    )
    settlement = models.ForeignKey(
        "ClearingSettlement",
        verbose_name=_("settlement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exceptions",
    )
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices)
    state = FSMField(
        verbose_name=_("state"), default=State.OPEN, choices=State.choices, protected=True
    )
    # Signed, centavos: positive is money the customer owes (debited from suspense), negative
    # money owed to the customer (a refund we could not credit).
    amount = models.BigIntegerField(_("amount"), help_text=_("centavos"))
    account_id = models.BigIntegerField(_("account"), null=True, blank=True)
    detail = models.CharField(verbose_name=_("detail"), max_length=300, blank=True)
    suspense_entry_id = models.BigIntegerField(
        verbose_name=_("suspense entry ID"), null=True, blank=True
    )
    resolution_entry_id = models.BigIntegerField(
        verbose_name=_("resolution entry ID"), null=True, blank=True
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(verbose_name=_("resolved at"), null=True, blank=True)
    resolution = models.CharField(verbose_name=_("resolution"), max_length=300, blank=True)
    history = tracked_history()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("card clearing exception")
        verbose_name_plural = _("card clearing exceptions")
        indexes = [models.Index(fields=["state", "-created_at"], name="card_clr_exc_open")]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} #{self.pk}"

    @transition(field=state, source=State.OPEN, target=State.CHARGED)
    def charge(self, *, by=None, reason: str = "") -> None:
        self.resolution = reason[:300]

    @transition(field=state, source=State.OPEN, target=State.CLOSED)
    def close(self, *, by=None, reason: str = "") -> None:
        self.resolution = reason[:300]


class ClearingSettlement(TimeStampedModel):
    """A business day's net with the network, paid from (or received into) our reserves."""

    business_day = models.DateField(_("business day"), unique=True)
    network_net = models.BigIntegerField(_("network's net"), help_text=_("centavos we owe"))
    files_net = models.BigIntegerField(_("files' net"), help_text=_("centavos we owe"))
    file_count = models.PositiveIntegerField(verbose_name=_("file count"), default=0)
    entry_id = models.BigIntegerField(verbose_name=_("entry ID"), null=True, blank=True)

    class Meta:
        ordering = ["-business_day"]
        verbose_name = _("card network settlement")
        verbose_name_plural = _("card network settlements")

    def __str__(self) -> str:
        return f"{self.business_day} {self.network_net}"

    @property
    def difference(self) -> int:
        return self.network_net - self.files_net
