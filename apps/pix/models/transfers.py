"""Pix transfers (both directions), their refunds (devoluções) and the customer's night limit."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from apps.accounts.models import Account
from apps.core.crypto import EncryptedTextField, LookupEncryptedField, tax_id_lookup_hash
from apps.core.fsm import FSMModel
from apps.core.models import tracked_history


class PixTransfer(FSMModel):
    """One Pix, sent by one of our customers or received by one.

    Outbound to another PSP: created -> sent (payer debited to the reserves account, pacs.008
    handed to the SPI) -> settled (ACSC) or rejected (RJCT: the money goes back). Internal
    (payee at Athena) and inbound Pix settle in one step: created -> settled.
    """

    class Direction(models.TextChoices):
        OUT = "out", _("sent")
        IN = "in", _("received")

    class State(models.TextChoices):
        CREATED = "created", _("created")
        SCHEDULED = "scheduled", _("scheduled")
        SENT = "sent", _("sent to the SPI")
        SETTLED = "settled", _("settled")
        REJECTED = "rejected", _("rejected (money returned)")
        CANCELLED = "cancelled", pgettext_lazy("pix transfer state", "cancelled")
        FAILED = "failed", _("failed")

    class Initiation(models.TextChoices):
        # pacs.008 LclInstrm: how the payer gave the payee (SPI catalogue).
        MANU = "MANU", _("agency and account typed in")
        DICT = "DICT", _("Pix key")
        QRES = "QRES", _("static QR code")
        QRDN = "QRDN", _("dynamic QR code")
        INIC = "INIC", _("payment initiator")

    direction = models.CharField(
        verbose_name=_("direction"), max_length=3, choices=Direction.choices
    )
    # Null only while SCHEDULED: the id carries the minute the Pix is really sent.
    end_to_end_id = models.CharField(
        verbose_name=_("end-to-end ID"), max_length=32, unique=True, null=True, blank=True
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="pix_transfers"
    )
    amount = models.BigIntegerField(_("amount (centavos)"))
    internal = models.BooleanField(verbose_name=_("internal"), default=False)
    # The other side: the payee of an outbound Pix, the payer of an inbound one. The tax id
    # is kept in full (the SPI message carries it) but encrypted at rest.
    counterparty_name = models.CharField(
        verbose_name=_("counterparty name"), max_length=140, blank=True
    )
    counterparty_tax_id = EncryptedTextField(verbose_name=_("counterparty tax ID"), blank=True)
    # Its keyed hash (kept by save()), for exact look-ups: the payer filter of GET /pix.
    counterparty_tax_id_hash = models.CharField(
        verbose_name=_("counterparty tax ID hash"), max_length=64, blank=True, db_index=True
    )
    counterparty_ispb = models.CharField(verbose_name=_("counterparty ISPB"), max_length=8)
    counterparty_branch = models.CharField(
        verbose_name=_("counterparty branch"), max_length=4, blank=True
    )
    counterparty_account_number = models.CharField(
        verbose_name=_("counterparty account number"), max_length=20
    )
    counterparty_account_type = models.CharField(
        verbose_name=_("counterparty account type"), max_length=4, blank=True
    )
    # The payee's key (a CPF, e-mail, phone...): encrypted, still found by equality.
    counterparty_key = LookupEncryptedField(verbose_name=_("counterparty key"), blank=True)
    description = models.CharField(verbose_name=_("description"), max_length=140, blank=True)
    initiation = models.CharField(
        verbose_name=_("initiation"),
        max_length=4,
        choices=Initiation.choices,
        default=Initiation.DICT,
        blank=True,
    )
    # The receiver's reconciliation id (pacs.008 PmtId/TxId): the charge's txid for a Pix
    # paying a QR code; blank otherwise.
    tx_id = models.CharField(_("txid"), max_length=35, blank=True)
    charge = models.ForeignKey(
        "PixCharge",
        verbose_name=_("charge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    scheduled_for = models.DateField(_("scheduled for"), null=True, blank=True)
    # An internal Pix (both sides at Athena) is one row, the payer's; the payee's account is
    # kept here so the payee sees it as received (API Pix /pix, refunds, notifications).
    payee_account = models.ForeignKey(
        Account,
        verbose_name=_("payee account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pix_received_internally",
    )
    state = FSMField(
        verbose_name=_("state"), default=State.CREATED, choices=State.choices, protected=True
    )
    debit_entry_id = models.BigIntegerField(verbose_name=_("debit entry ID"), null=True, blank=True)
    credit_entry_id = models.BigIntegerField(
        verbose_name=_("credit entry ID"), null=True, blank=True
    )
    return_entry_id = models.BigIntegerField(
        verbose_name=_("return entry ID"), null=True, blank=True
    )
    reject_reason = models.CharField(verbose_name=_("reject reason"), max_length=200, blank=True)
    # The SPI messages name both parties' CPF/CNPJ: kept for the SPI's audit, encrypted.
    pacs008 = EncryptedTextField(verbose_name=_("pacs008"), blank=True)
    pacs002 = EncryptedTextField(verbose_name=_("pacs002"), blank=True)
    settled_at = models.DateTimeField(verbose_name=_("settled at"), null=True, blank=True)
    history = tracked_history(excluded_fields=["pacs008", "pacs002"])

    class Meta:
        verbose_name = _("Pix transfer")
        verbose_name_plural = _("Pix transfers")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="pix_transfer_positive"),
        ]
        indexes = [
            models.Index(fields=["account", "created_at"], name="pix_transfer_account_idx"),
            models.Index(fields=["state", "updated_at"], name="pix_transfer_state_idx"),
            models.Index(
                fields=["scheduled_for"],
                name="pix_transfer_scheduled_idx",
                condition=models.Q(state="scheduled"),
            ),
        ]

    def __str__(self) -> str:
        return f"Pix {self.direction} {self.end_to_end_id or self.pk} ({self.state})"

    def derive_fields(self) -> set[str]:
        """Fields computed from others (the counterparty's document's lookup hash); the
        names of those that changed. save() calls it; a write that bypasses save() too."""
        digest = tax_id_lookup_hash(self.counterparty_tax_id) if self.counterparty_tax_id else ""
        if digest == self.counterparty_tax_id_hash:
            return set()
        self.counterparty_tax_id_hash = digest
        return {"counterparty_tax_id_hash"}

    def save(self, *args, **kwargs) -> None:
        changed = self.derive_fields()
        if changed and kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], *changed}
        super().save(*args, **kwargs)

    @property
    def receiving_account_id(self) -> int | None:
        """The account credited: ours for an inbound Pix, the payee's for an internal one."""
        if self.direction == self.Direction.IN:
            return self.account_id
        return self.payee_account_id if self.internal else None

    @property
    def receiving_account(self) -> Account | None:
        if self.direction == self.Direction.IN:
            return self.account
        return self.payee_account if self.internal else None

    @transition(field=state, source=State.CREATED, target=State.SCHEDULED)
    def schedule(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=[State.CREATED, State.SCHEDULED], target=State.SENT)
    def send(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(
        field=state, source=[State.CREATED, State.SCHEDULED, State.SENT], target=State.SETTLED
    )
    def settle(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.settled_at = timezone.now()

    @transition(field=state, source=State.SENT, target=State.REJECTED)
    def reject(self, *, by=None, reason: str = "") -> None:
        self.reject_reason = reason[:200]

    @transition(field=state, source=State.SCHEDULED, target=State.CANCELLED)
    def cancel(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.SCHEDULED, target=State.FAILED)
    def fail(self, *, by=None, reason: str = "") -> None:
        """A scheduled Pix that could not go out on its day (funds, limits, payee gone)."""
        self.reject_reason = reason[:200]


class PixRefund(FSMModel):
    """A devolução (pacs.004) of a Pix one of our customers received, in whole or in part.

    EM_PROCESSAMENTO (customer debited to the reserves account, pacs.004 built) -> DEVOLVIDO
    (the SPI settled the return) or NAO_REALIZADO (RJCT: the money goes back to the
    customer). `refund_id` is the client's `id`, unique per Pix (endToEndId)."""

    class State(models.TextChoices):
        EM_PROCESSAMENTO = "EM_PROCESSAMENTO", _("in progress")
        DEVOLVIDO = "DEVOLVIDO", _("returned")
        NAO_REALIZADO = "NAO_REALIZADO", _("not carried out")

    transfer = models.ForeignKey(
        PixTransfer, verbose_name=_("transfer"), on_delete=models.PROTECT, related_name="refunds"
    )
    refund_id = models.CharField(_("refund id"), max_length=35)
    return_id = models.CharField(_("return id"), max_length=32, unique=True)
    amount = models.BigIntegerField(_("amount (centavos)"))
    reason_code = models.CharField(verbose_name=_("reason code"), max_length=4, default="MD06")
    description = models.CharField(verbose_name=_("description"), max_length=140, blank=True)
    state = FSMField(
        verbose_name=_("state"),
        default=State.EM_PROCESSAMENTO,
        choices=State.choices,
        protected=True,
    )
    debit_entry_id = models.BigIntegerField(verbose_name=_("debit entry ID"), null=True, blank=True)
    return_entry_id = models.BigIntegerField(
        verbose_name=_("return entry ID"), null=True, blank=True
    )
    reject_reason = models.CharField(verbose_name=_("reject reason"), max_length=200, blank=True)
    pacs004 = EncryptedTextField(verbose_name=_("pacs004"), blank=True)
    pacs002 = EncryptedTextField(verbose_name=_("pacs002"), blank=True)
    returned_at = models.DateTimeField(verbose_name=_("returned at"), null=True, blank=True)
    history = tracked_history(excluded_fields=["pacs004", "pacs002"])

    class Meta:
        verbose_name = _("Pix refund")
        verbose_name_plural = _("Pix refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "refund_id"], name="pix_refund_transfer_id_uniq"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="pix_refund_positive"),
            models.CheckConstraint(
                condition=models.Q(refund_id__regex=r"^[a-zA-Z0-9]{1,35}$"),
                name="pix_refund_id_format",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "updated_at"], name="pix_refund_state_idx"),
        ]

    def __str__(self) -> str:
        return f"Pix refund {self.refund_id} of {self.transfer_id} ({self.state})"

    @transition(field=state, source=State.EM_PROCESSAMENTO, target=State.DEVOLVIDO)
    def complete(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.returned_at = timezone.now()

    @transition(field=state, source=State.EM_PROCESSAMENTO, target=State.NAO_REALIZADO)
    def fail(self, *, by=None, reason: str = "") -> None:
        self.reject_reason = reason[:200]


class PixLimitSettings(models.Model):
    """A natural person's Pix night window and night limit (Resolução BCB nº 142/2021).

    The night starts at 20:00 or 22:00 and ends at 06:00 (Brasilia). A lower limit applies at
    once; a higher one is recorded as pending and applies 24 h after the request, so a
    fraudster holding the phone cannot raise it and empty the account the same night."""

    class NightStart(models.IntegerChoices):
        AT_20 = 20, "20:00"
        AT_22 = 22, "22:00"

    account = models.OneToOneField(
        Account,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="pix_limit_settings",
    )
    night_starts_at_hour = models.PositiveSmallIntegerField(
        _("night starts at"), choices=NightStart.choices, default=NightStart.AT_20
    )
    night_limit = models.BigIntegerField(_("night limit (centavos)"), default=100_000)
    pending_night_limit = models.BigIntegerField(
        verbose_name=_("pending night limit"), null=True, blank=True
    )
    pending_effective_at = models.DateTimeField(
        verbose_name=_("pending effective at"), null=True, blank=True
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)
    history = tracked_history()

    class Meta:
        verbose_name = _("Pix limit settings")
        verbose_name_plural = _("Pix limit settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(night_limit__gte=0), name="pix_night_limit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Pix limits of account {self.account_id}"
