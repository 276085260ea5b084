"""Boletos: the ones our customers issue (cobranca), the ones they pay, and CNAB 240 files.

* `BoletoIssuer`: a customer who issues boletos, with its agreement (convenio) number and
  the "nosso numero" sequence (locked and incremented per boleto: no gaps, no repeats).
* `Boleto`: a boleto we issued. registered -> paid | expired | cancelled | written_off, and
  written_off -> paid (CNAB occurrence 17: paid after write-off). Amount and terms (multa,
  juros, desconto, abatimento) in the API Pix cobv shape, so a hybrid boleto asks the same
  amount on the barcode and on its Pix QR (`apps.core.due_amounts`).
* `BoletoPayment`: a customer paying a boleto of any bank, or a collection (arrecadacao)
  code. scheduled -> paid | cancelled | failed; at most one live payment per barcode (a
  partial unique index: the second payment of a boleto is refused by PostgreSQL itself).
* `CnabFile` and `CnabLine`: remittance files we send and return files we process, each
  line with its outcome; a return file is processed once (unique digest).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.accounts.models import Account, Customer
from apps.core.crypto import EncryptedJSONField, LookupEncryptedField
from apps.core.fsm import FSMModel
from apps.core.models import TimeStampedModel, tracked_history


class BoletoIssuer(TimeStampedModel):
    """A customer who issues boletos: the agreement number and the nosso numero sequence."""

    customer = models.OneToOneField(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="boleto_issuer"
    )
    agreement = models.CharField(_("agreement (convenio)"), max_length=7, unique=True)
    last_sequence = models.BigIntegerField(verbose_name=_("last sequence"), default=0)
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(verbose_name=_("webhook secret"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("boleto issuer")
        verbose_name_plural = _("boleto issuers")

    def __str__(self) -> str:
        return f"agreement {self.agreement}"


class Boleto(FSMModel):
    """A boleto issued by one of our customers (see the module's doc)."""

    class State(models.TextChoices):
        REGISTERED = "registered", _("registered")
        PAID = "paid", _("paid")
        EXPIRED = "expired", _("expired")
        CANCELLED = "cancelled", _("cancelled")
        WRITTEN_OFF = "written_off", _("written off")

    class PaidVia(models.TextChoices):
        BARCODE = "barcode", _("barcode (COMPE)")
        PIX = "pix", _("Pix")

    public_id = models.UUIDField(
        verbose_name=_("public ID"), default=uuid.uuid4, unique=True, editable=False
    )
    # Every index costs each settled boleto an entry (a state change is never a HOT update):
    # the issuer's is the composite below, the account's is not needed (nobody lists by it).
    issuer = models.ForeignKey(
        BoletoIssuer,
        verbose_name=_("issuer"),
        on_delete=models.PROTECT,
        related_name="boletos",
        db_index=False,
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="boletos",
        db_index=False,
    )
    # Unique through Meta.constraints: `unique=True` would add a second (LIKE) index to
    # each, which no query uses and every settled boleto would pay for.
    nosso_numero = models.CharField(_("nosso numero"), max_length=17)
    seu_numero = models.CharField(_("seu numero"), max_length=15, blank=True)
    barcode = models.CharField(verbose_name=_("barcode"), max_length=44)
    linha = models.CharField(_("linha digitavel"), max_length=47)
    amount = models.BigIntegerField(verbose_name=_("amount"), help_text=_("centavos"))
    issue_date = models.DateField(verbose_name=_("issue date"))
    due_date = models.DateField(verbose_name=_("due date"))
    # Calendar days after the (business-day adjusted) due date the boleto is still payable.
    valid_days_after_due = models.PositiveIntegerField(
        verbose_name=_("valid days after due"), default=30
    )
    value_terms = models.JSONField(verbose_name=_("value terms"), default=dict, blank=True)
    payer_name = models.CharField(verbose_name=_("payer name"), max_length=140)
    payer_tax_id = LookupEncryptedField(_("payer CPF/CNPJ"), clear_max_length=14)
    payer_address = EncryptedJSONField(verbose_name=_("payer address"), default=dict, blank=True)
    description = models.CharField(verbose_name=_("description"), max_length=140, blank=True)
    state = FSMField(
        verbose_name=_("state"), default=State.REGISTERED, choices=State.choices, protected=True
    )
    pix_charge_id = models.BigIntegerField(verbose_name=_("Pix charge ID"), null=True, blank=True)
    pix_txid = models.CharField(verbose_name=_("Pix txid"), max_length=35, blank=True)
    paid_via = models.CharField(
        verbose_name=_("paid via"), max_length=10, choices=PaidVia.choices, blank=True
    )
    paid_amount = models.BigIntegerField(verbose_name=_("paid amount"), null=True, blank=True)
    fee_amount = models.BigIntegerField(verbose_name=_("fee amount"), default=0)
    paid_on = models.DateField(verbose_name=_("paid on"), null=True, blank=True)
    credited_entry_id = models.BigIntegerField(
        verbose_name=_("credited entry ID"), null=True, blank=True
    )
    remitted_in = models.ForeignKey(
        "CnabFile",
        verbose_name=_("remitted in"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="boletos",
        db_index=False,
    )
    registration_confirmed = models.BooleanField(
        verbose_name=_("registration confirmed"), default=False
    )
    closed_reason = models.CharField(verbose_name=_("closed reason"), max_length=200, blank=True)

    # History is read per boleto (by id) and by date: the copies of the other indexed
    # fields are not indexed (a return file writes tens of thousands of history rows).
    history = tracked_history(
        no_db_index=["public_id", "nosso_numero", "barcode", "created_at", "issuer", "account"]
        + ["remitted_in"]
    )

    class Meta:
        verbose_name = _("boleto")
        verbose_name_plural = _("boletos")
        indexes = [
            models.Index(fields=["issuer", "state", "due_date"], name="boleto_issuer_state_idx"),
            # What expiry and remittance look for: registered boletos only.
            models.Index(
                fields=["due_date"],
                condition=Q(state="registered"),
                name="boleto_registered_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="boleto_amount_positive"),
            models.UniqueConstraint(fields=["nosso_numero"], name="boleto_nosso_numero_once"),
            models.UniqueConstraint(fields=["barcode"], name="boleto_barcode_once"),
        ]

    def __str__(self) -> str:
        return f"boleto {self.nosso_numero}"

    @transition(
        field=state,
        source=[State.REGISTERED, State.EXPIRED, State.WRITTEN_OFF],
        target=State.PAID,
    )
    def pay(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.REGISTERED, target=State.EXPIRED)
    def expire(self, *, by=None, reason: str = "") -> None:
        self.closed_reason = reason[:200]

    @transition(field=state, source=State.REGISTERED, target=State.CANCELLED)
    def cancel(self, *, by=None, reason: str = "") -> None:
        self.closed_reason = reason[:200]

    @transition(field=state, source=[State.REGISTERED, State.EXPIRED], target=State.WRITTEN_OFF)
    def write_off(self, *, by=None, reason: str = "") -> None:
        self.closed_reason = reason[:200]


class BoletoPayment(FSMModel):
    """A customer's payment of a boleto (any bank) or of a collection code."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")
        FAILED = "failed", _("failed")

    class Kind(models.TextChoices):
        BANK = "bank", _("bank boleto")
        COLLECTION = "collection", _("collection (utilities and taxes)")

    LIVE_STATES = (State.SCHEDULED, State.PAID)

    public_id = models.UUIDField(
        verbose_name=_("public ID"), default=uuid.uuid4, unique=True, editable=False
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="boleto_payments"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=Kind.choices)
    barcode = models.CharField(verbose_name=_("barcode"), max_length=44)
    bank_code = models.CharField(verbose_name=_("bank code"), max_length=3, blank=True)
    beneficiary_name = models.CharField(
        verbose_name=_("beneficiary name"), max_length=140, blank=True
    )
    beneficiary_tax_id = LookupEncryptedField(
        verbose_name=_("beneficiary tax ID"), clear_max_length=14, blank=True
    )
    due_date = models.DateField(verbose_name=_("due date"), null=True, blank=True)
    face_amount = models.BigIntegerField(verbose_name=_("face amount"), null=True, blank=True)
    amount = models.BigIntegerField(verbose_name=_("amount"), help_text=_("centavos debited"))
    breakdown = models.JSONField(verbose_name=_("breakdown"), default=dict, blank=True)
    scheduled_for = models.DateField(verbose_name=_("scheduled for"), null=True, blank=True)
    paid_at = models.DateTimeField(verbose_name=_("paid at"), null=True, blank=True)
    entry_id = models.BigIntegerField(verbose_name=_("entry ID"), null=True, blank=True)
    failure_reason = models.CharField(verbose_name=_("failure reason"), max_length=200, blank=True)
    state = FSMField(
        verbose_name=_("state"), default=State.SCHEDULED, choices=State.choices, protected=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    history = tracked_history()

    class Meta:
        verbose_name = _("boleto payment")
        verbose_name_plural = _("boleto payments")
        indexes = [
            models.Index(fields=["account", "created_at"], name="boleto_payment_account_idx"),
            models.Index(fields=["state", "scheduled_for"], name="boleto_payment_due_idx"),
        ]
        constraints = [
            # A boleto is paid once: a second live payment of the same code is refused here,
            # whatever path (API with a new Idempotency-Key, portal, a schedule) it took.
            models.UniqueConstraint(
                fields=["barcode"],
                condition=Q(state__in=["scheduled", "paid"]),
                name="boleto_payment_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="boleto_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"boleto payment {self.public_id}"

    @transition(field=state, source=State.SCHEDULED, target=State.PAID)
    def settle(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.SCHEDULED, target=State.CANCELLED)
    def cancel(self, *, by=None, reason: str = "") -> None:
        self.failure_reason = reason[:200]

    @transition(field=state, source=State.SCHEDULED, target=State.FAILED)
    def fail(self, *, by=None, reason: str = "") -> None:
        self.failure_reason = reason[:200]


class CnabFile(TimeStampedModel):
    """A CNAB 240 file: a remittance we sent or a return file we received."""

    class Direction(models.TextChoices):
        REMITTANCE = "remittance", _("remittance (sent)")
        RETURN = "return", _("return (received)")

    class State(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSED = "processed", _("processed")
        REJECTED = "rejected", _("rejected")
        SENT = "sent", _("sent")

    direction = models.CharField(
        verbose_name=_("direction"), max_length=10, choices=Direction.choices
    )
    name = models.CharField(verbose_name=_("name"), max_length=120)
    digest = models.CharField(verbose_name=_("digest"), max_length=64)
    sequence = models.PositiveIntegerField(verbose_name=_("sequence"), null=True, blank=True)
    content = models.TextField(verbose_name=_("content"))
    state = models.CharField(verbose_name=_("state"), max_length=10, choices=State.choices)
    line_count = models.PositiveIntegerField(verbose_name=_("line count"), default=0)
    error_line = models.PositiveIntegerField(verbose_name=_("error line"), null=True, blank=True)
    error_field = models.CharField(verbose_name=_("error field"), max_length=80, blank=True)
    error_message = models.CharField(verbose_name=_("error message"), max_length=300, blank=True)
    processed_at = models.DateTimeField(verbose_name=_("processed at"), null=True, blank=True)
    totals = models.JSONField(verbose_name=_("totals"), default=dict, blank=True)
    reprocess_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reprocess requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reprocess_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reprocess approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reprocess_count = models.PositiveIntegerField(verbose_name=_("reprocess count"), default=0)

    # Who asked and who approved a reprocessing, and each state; the content never changes
    # and is left out (a return file can be megabytes).
    history = tracked_history(excluded_fields=["content"])

    class Meta:
        verbose_name = _("CNAB file")
        verbose_name_plural = _("CNAB files")
        constraints = [
            models.UniqueConstraint(fields=["direction", "digest"], name="cnab_file_once"),
        ]

    def __str__(self) -> str:
        return self.name


class CnabLine(models.Model):
    """One title of a CNAB file (a P/Q/R group or a T/U pair) and what it did."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("sent")
        APPLIED = "applied", _("applied")
        DUPLICATE = "duplicate", _("already applied")
        UNMATCHED = "unmatched", _("no such boleto")
        IGNORED = "ignored", _("ignored")

    file = models.ForeignKey(
        CnabFile, verbose_name=_("file"), on_delete=models.CASCADE, related_name="lines"
    )
    line_number = models.PositiveIntegerField(verbose_name=_("line number"))
    nosso_numero = models.CharField(verbose_name=_("nosso numero"), max_length=20)
    movement = models.CharField(verbose_name=_("movement"), max_length=2)
    boleto = models.ForeignKey(
        Boleto,
        verbose_name=_("boleto"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cnab_lines",
    )
    amount = models.BigIntegerField(verbose_name=_("amount"), default=0)
    fee = models.BigIntegerField(verbose_name=_("fee"), default=0)
    outcome = models.CharField(verbose_name=_("outcome"), max_length=10, choices=Outcome.choices)
    detail = models.CharField(verbose_name=_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("CNAB line")
        verbose_name_plural = _("CNAB lines")
        indexes = [models.Index(fields=["file", "line_number"], name="cnab_line_file_idx")]

    def __str__(self) -> str:
        return f"{self.file_id}:{self.line_number}"
