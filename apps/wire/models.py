"""TED through the STR: the participant directory, wires we send, wires we receive, the STR
messages exchanged, and the customers' favourite destinations.

* `Participant`: the directory of Brazilian payment participants (COMPE code, ISPB, name,
  whether it is on the RSFN (so reachable through the STR) and in Pix). Loaded from the
  public list shipped in `data/bancos.csv`; `manage.py refresh_banks` reloads it. Pix's
  participant look-ups read the same directory.
* `Wire`: a TED a customer sends. created -> scheduled -> sent -> settled | returned |
  rejected, and scheduled -> cancelled. The amount and the fee are debited when it is sent
  (inside the window), never before: a schedule holds no money.
* `InboundWire`: a TED another bank sent us (STR0008R2): credited to the account its branch,
  number and holder document name, or returned (STR0010) with the SPB return reason.
* `StrMessage`: every STR message we sent or received, with holder documents masked.
* `WireFavourite`: a destination a customer saved.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.accounts.models import Account, Customer
from apps.core.crypto import LookupEncryptedField
from apps.core.fsm import FSMModel
from apps.core.models import TimeStampedModel, tracked_history


class Participant(models.Model):
    """One institution of the directory (not personal data: institutions are public)."""

    ispb = models.CharField(_("ISPB"), max_length=8, unique=True)
    compe = models.CharField(_("COMPE code"), max_length=3, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    long_name = models.CharField(_("full name"), max_length=200, blank=True)
    cnpj = models.CharField(_("CNPJ"), max_length=18, blank=True)
    in_str = models.BooleanField(_("takes part in STR"), default=False)
    pix_type = models.CharField(
        _("Pix participation"), max_length=4, blank=True, help_text="DRCT, IDRT or empty"
    )
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        ordering = ["compe", "ispb"]
        verbose_name = _("participant")
        verbose_name_plural = _("participant directory")

    def __str__(self) -> str:
        return f"{self.compe or '---'} {self.name}"

    @property
    def in_pix(self) -> bool:
        return self.pix_type in ("DRCT", "IDRT")


class AccountType(models.TextChoices):
    """The catalogue's TpCt domain, the kinds a customer can send to."""

    CHECKING = "CC", _("checking account")
    SAVINGS = "PP", _("savings account")
    PAYMENT = "PG", _("payment account")


class Wire(FSMModel):
    """A TED a customer orders (see the module's doc)."""

    class State(models.TextChoices):
        CREATED = "created", _("created")
        SCHEDULED = "scheduled", _("scheduled")
        SENT = "sent", _("sent")
        SETTLED = "settled", _("settled")
        RETURNED = "returned", _("returned")
        REJECTED = "rejected", _("rejected")
        CANCELLED = "cancelled", _("cancelled")

    public_id = models.UUIDField(
        verbose_name=_("public ID"), default=uuid.uuid4, unique=True, editable=False
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="wires"
    )
    amount = models.BigIntegerField(verbose_name=_("amount"), help_text=_("centavos"))
    fee = models.BigIntegerField(verbose_name=_("fee"), default=0, help_text=_("centavos"))
    bank_ispb = models.CharField(_("ISPB"), max_length=8)
    bank_compe = models.CharField(_("bank code"), max_length=3, blank=True)
    bank_name = models.CharField(_("bank"), max_length=120)
    branch = models.CharField(_("branch"), max_length=4)
    account_number = models.CharField(_("account"), max_length=13)
    account_type = models.CharField(
        _("account type"), max_length=2, choices=AccountType.choices, default=AccountType.CHECKING
    )
    holder_name = models.CharField(_("holder"), max_length=80)
    holder_tax_id = LookupEncryptedField(_("holder CPF/CNPJ"), clear_max_length=14)
    purpose = models.CharField(_("purpose (FinlddCli)"), max_length=5, default="10")
    note = models.CharField(_("note"), max_length=140, blank=True)
    state = FSMField(
        verbose_name=_("state"), default=State.CREATED, choices=State.choices, protected=True
    )
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    # Our control number (NumCtrlIF): unique, so a message is never sent twice as two wires.
    control_number = models.CharField(_("NumCtrlIF"), max_length=20, unique=True)
    str_control_number = models.CharField(_("NumCtrlSTR"), max_length=20, blank=True)
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    settled_at = models.DateTimeField(verbose_name=_("settled at"), null=True, blank=True)
    settlement_date = models.DateField(_("settlement date (DtMovto)"), null=True, blank=True)
    return_code = models.CharField(_("return reason (CodDevTransf)"), max_length=3, blank=True)
    returned_at = models.DateTimeField(verbose_name=_("returned at"), null=True, blank=True)
    rejection_code = models.CharField(_("rejection code"), max_length=40, blank=True)
    debit_entry_id = models.BigIntegerField(verbose_name=_("debit entry ID"), null=True, blank=True)
    refund_entry_id = models.BigIntegerField(
        verbose_name=_("refund entry ID"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = tracked_history()

    LIVE_SCHEDULE = (State.CREATED, State.SCHEDULED)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("TED sent")
        verbose_name_plural = _("TEDs sent")
        indexes = [
            models.Index(
                fields=["scheduled_for"],
                name="wire_scheduled_due",
                condition=Q(state="scheduled"),
            ),
            models.Index(fields=["account", "-created_at"], name="wire_account_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="wire_amount_positive"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="wire_fee_nonneg"),
        ]

    def __str__(self) -> str:
        return f"TED {self.control_number}"

    @property
    def total(self) -> int:
        return self.amount + self.fee

    @transition(field=state, source=State.CREATED, target=State.SCHEDULED)
    def schedule(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=[State.CREATED, State.SCHEDULED], target=State.SENT)
    def send(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=State.SENT, target=State.SETTLED)
    def settle(self, *, by=None, reason: str = "") -> None: ...

    @transition(
        field=state, source=[State.CREATED, State.SCHEDULED, State.SENT], target=State.REJECTED
    )
    def reject(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=[State.SENT, State.SETTLED], target=State.RETURNED)
    def return_(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=State.SCHEDULED, target=State.CANCELLED)
    def cancel(self, *, by=None, reason: str = "") -> None: ...


class InboundWire(TimeStampedModel):
    """A TED another bank sent to one of our accounts (see the module's doc)."""

    class State(models.TextChoices):
        CREDITED = "credited", _("credited")
        RETURNED = "returned", _("returned")

    # The STR's control number of the STR0008R2: a redelivered message is recognised.
    str_control_number = models.CharField(_("NumCtrlSTR"), max_length=20, unique=True)
    sender_ispb = models.CharField(_("sender ISPB"), max_length=8)
    sender_bank_name = models.CharField(_("sender bank"), max_length=120, blank=True)
    sender_branch = models.CharField(_("sender branch"), max_length=4, blank=True)
    sender_account = models.CharField(_("sender account"), max_length=13, blank=True)
    sender_name = models.CharField(_("sender"), max_length=80)
    sender_tax_id = LookupEncryptedField(_("sender CPF/CNPJ"), clear_max_length=14)
    branch = models.CharField(_("branch"), max_length=4)
    account_number = models.CharField(_("account"), max_length=13)
    holder_tax_id = LookupEncryptedField(_("holder CPF/CNPJ as sent"), clear_max_length=14)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inbound_wires",
    )
    amount = models.BigIntegerField(verbose_name=_("amount"), help_text=_("centavos"))
    purpose = models.CharField(_("purpose (FinlddCli)"), max_length=5, blank=True)
    state = models.CharField(verbose_name=_("state"), max_length=10, choices=State.choices)
    return_code = models.CharField(_("return reason (CodDevTransf)"), max_length=3, blank=True)
    return_control_number = models.CharField(_("return NumCtrlIF"), max_length=20, blank=True)
    settlement_date = models.DateField(verbose_name=_("settlement date"), null=True, blank=True)
    entry_id = models.BigIntegerField(verbose_name=_("entry ID"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("TED received")
        verbose_name_plural = _("TEDs received")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="inbound_wire_amount_positive")
        ]

    def __str__(self) -> str:
        return f"TED {self.str_control_number}"


class StrMessage(models.Model):
    """An STR message as exchanged, holder documents masked (personal data stays out)."""

    class Direction(models.TextChoices):
        OUT = "out", _("sent")
        IN = "in", _("received")

    direction = models.CharField(
        verbose_name=_("direction"), max_length=3, choices=Direction.choices
    )
    code = models.CharField(_("message"), max_length=12)
    control_number = models.CharField(_("NumCtrlIF"), max_length=20, blank=True, db_index=True)
    str_control_number = models.CharField(_("NumCtrlSTR"), max_length=20, blank=True)
    wire = models.ForeignKey(
        Wire,
        verbose_name=_("wire"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    inbound = models.ForeignKey(
        InboundWire,
        verbose_name=_("inbound"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    body = models.TextField(verbose_name=_("body"))
    error_code = models.CharField(verbose_name=_("error code"), max_length=40, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("STR message")
        verbose_name_plural = _("STR messages")

    def __str__(self) -> str:
        return f"{self.code} {self.control_number or self.str_control_number}"


class WireFavourite(TimeStampedModel):
    """A destination a customer saved to send to again."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="wire_favourites",
    )
    nickname = models.CharField(_("nickname"), max_length=60)
    bank_ispb = models.CharField(_("ISPB"), max_length=8)
    branch = models.CharField(_("branch"), max_length=4)
    account_number = models.CharField(_("account"), max_length=13)
    account_type = models.CharField(
        _("account type"), max_length=2, choices=AccountType.choices, default=AccountType.CHECKING
    )
    holder_name = models.CharField(_("holder"), max_length=80)
    holder_tax_id = LookupEncryptedField(_("holder CPF/CNPJ"), clear_max_length=14)

    class Meta:
        ordering = ["nickname"]
        verbose_name = _("TED favourite")
        verbose_name_plural = _("TED favourites")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "bank_ispb", "branch", "account_number"],
                name="wire_favourite_once",
            )
        ]

    def __str__(self) -> str:
        return self.nickname
