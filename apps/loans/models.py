"""Loans: the application and contract (one row from draft to paid off), its installments and
every payment made on it.

* `Loan`: draft -> submitted -> scored -> approved | rejected -> contracted -> disbursed ->
  active -> paid_off | in_arrears -> defaulted, with history. One row carries the whole life,
  because every later step reads what an earlier one fixed (the score and its reasons, the
  priced terms, the CCB's number): a second table would only copy them. The terms are frozen
  at approval (`approved_at` onwards nothing priced changes); the CCB PDF is rendered from
  them, so it always says what was contracted.
* `Installment`: the schedule as contracted (PRICE or SAC, from apps.loans.pricing), and what
  was paid of each: the installment itself, its late charges, and any discount of future
  interest given for paying early.
* `LoanPayment`: one movement of money on a loan (a collection on a due date, a customer's
  payment, a prepayment, a payoff), with its split and its ledger entry. `key` is unique: a
  collection of an installment on a day is written once, so a collection task delivered twice
  collects once.

Amounts are integer centavos; rates are Decimal percent a month.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.accounts.models import Account, Customer
from apps.core.fsm import FSMModel
from apps.core.models import TimeStampedModel, tracked_history


class Purpose(models.TextChoices):
    CAR = "car", _("car")
    FURNITURE = "furniture", _("furniture")
    ELECTRONICS = "electronics", _("electronics")
    EDUCATION = "education", _("education")
    BUSINESS = "business", _("business")
    REPAIRS = "repairs", _("home repairs")
    OTHER = "other", _("other")


class Housing(models.TextChoices):
    OWN = "own", _("own home")
    RENT = "rent", _("rented home")
    FREE = "free", _("living for free (family, employer)")


class System(models.TextChoices):
    PRICE = "PRICE", _("PRICE (equal installments)")
    SAC = "SAC", _("SAC (equal amortizations)")


class Loan(FSMModel):
    """A personal loan, from the application to the last payment (see the module)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        SCORED = "scored", _("scored")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        CANCELLED = "cancelled", _("cancelled")
        CONTRACTED = "contracted", _("contracted")
        DISBURSED = "disbursed", _("disbursed")
        ACTIVE = "active", _("active")
        IN_ARREARS = "in_arrears", _("in arrears")
        DEFAULTED = "defaulted", _("defaulted")
        PAID_OFF = "paid_off", _("paid off")

    public_id = models.UUIDField(
        verbose_name=_("public ID"), default=uuid.uuid4, unique=True, editable=False
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="loans"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="loans"
    )
    state = FSMField(
        verbose_name=_("state"), default=State.DRAFT, choices=State.choices, protected=True
    )

    # What the customer asked for and declared.
    requested_cents = models.BigIntegerField(_("amount requested"))
    installments_count = models.PositiveSmallIntegerField(_("installments"))
    system = models.CharField(
        verbose_name=_("system"), max_length=5, choices=System.choices, default=System.PRICE
    )
    purpose = models.CharField(verbose_name=_("purpose"), max_length=12, choices=Purpose.choices)
    declared_income_cents = models.BigIntegerField(_("declared monthly income"))
    employment_years = models.PositiveSmallIntegerField(_("years in current job"))
    housing = models.CharField(verbose_name=_("housing"), max_length=5, choices=Housing.choices)
    first_due_day = models.PositiveSmallIntegerField(_("due day"), default=10)

    # The automated decision (scored): inputs, score, reasons and the policy's answer.
    features = models.JSONField(_("features scored"), default=dict, blank=True)
    score = models.PositiveIntegerField(verbose_name=_("score"), null=True, blank=True)
    probability_of_default = models.DecimalField(
        verbose_name=_("probability of default"),
        max_digits=6,
        decimal_places=4,
        null=True,
        blank=True,
    )
    model_version = models.CharField(verbose_name=_("model version"), max_length=20, blank=True)
    reasons = models.JSONField(_("reasons (codes)"), default=list, blank=True)
    band = models.CharField(verbose_name=_("band"), max_length=2, blank=True)
    refusal = models.CharField(_("refusal code"), max_length=40, blank=True)
    limit_cents = models.BigIntegerField(_("limit offered"), null=True, blank=True)
    scored_at = models.DateTimeField(verbose_name=_("scored at"), null=True, blank=True)
    decided_by_person = models.BooleanField(verbose_name=_("decided by person"), default=False)

    # The priced terms (fixed at approval, contracted as they are).
    principal_cents = models.BigIntegerField(_("principal"), null=True, blank=True)
    monthly_rate = models.DecimalField(
        _("monthly rate (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    release_date = models.DateField(verbose_name=_("release date"), null=True, blank=True)
    first_due_date = models.DateField(verbose_name=_("first due date"), null=True, blank=True)
    iof_cents = models.BigIntegerField(verbose_name=_("IOF (centavos)"), default=0)
    fees_cents = models.BigIntegerField(verbose_name=_("fees (centavos)"), default=0)
    released_cents = models.BigIntegerField(
        verbose_name=_("released (centavos)"), null=True, blank=True
    )
    total_interest_cents = models.BigIntegerField(
        verbose_name=_("total interest (centavos)"), default=0
    )
    cet_annual_percent = models.DecimalField(
        _("CET (% a year)"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    approved_at = models.DateTimeField(verbose_name=_("approved at"), null=True, blank=True)

    # The contract and the money.
    contract_number = models.CharField(
        _("CCB number"), max_length=20, unique=True, null=True, blank=True
    )
    contracted_at = models.DateTimeField(verbose_name=_("contracted at"), null=True, blank=True)
    disbursed_at = models.DateTimeField(verbose_name=_("disbursed at"), null=True, blank=True)
    disbursement_entry_id = models.BigIntegerField(
        verbose_name=_("disbursement entry ID"), null=True, blank=True
    )
    paid_off_at = models.DateTimeField(verbose_name=_("paid off at"), null=True, blank=True)

    # Credit risk, refreshed every day (apps.loans.services.loans_refresh_risk).
    days_past_due = models.PositiveIntegerField(verbose_name=_("days past due"), default=0)
    provision_level = models.CharField(_("risk level"), max_length=2, blank=True)
    provision_cents = models.BigIntegerField(_("provision for loss"), default=0)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = tracked_history()

    LIVE = (State.ACTIVE, State.IN_ARREARS, State.DEFAULTED)
    OPEN_APPLICATION = (State.DRAFT, State.SUBMITTED, State.SCORED, State.APPROVED)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="loan_customer_recent"),
            models.Index(fields=["state"], name="loan_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(requested_cents__gt=0), name="loan_requested_pos"),
            models.CheckConstraint(
                condition=Q(principal_cents__isnull=True) | Q(principal_cents__gt=0),
                name="loan_principal_pos",
            ),
            models.CheckConstraint(condition=Q(provision_cents__gte=0), name="loan_provision_nn"),
        ]

    def __str__(self) -> str:
        return self.contract_number or f"loan {self.public_id}"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE

    # --- transitions: `by` and `reason` are logged by apps.core.fsm -----------------------

    @transition(field=state, source=State.DRAFT, target=State.SUBMITTED)
    def submit(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=[State.SUBMITTED, State.REJECTED], target=State.SCORED)
    def mark_scored(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=State.SCORED, target=State.APPROVED)
    def approve(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=State.SCORED, target=State.REJECTED)
    def reject(self, *, by=None, reason: str = "") -> None: ...

    @transition(
        field=state,
        source=[State.DRAFT, State.SUBMITTED, State.SCORED, State.APPROVED],
        target=State.CANCELLED,
    )
    def cancel(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=State.APPROVED, target=State.CONTRACTED)
    def contract(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=State.CONTRACTED, target=State.DISBURSED)
    def disburse(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=[State.DISBURSED, State.IN_ARREARS], target=State.ACTIVE)
    def activate(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=State.ACTIVE, target=State.IN_ARREARS)
    def fall_in_arrears(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=State.IN_ARREARS, target=State.DEFAULTED)
    def default(self, *, by=None, reason: str = "") -> None: ...

    @transition(
        field=state, source=[State.ACTIVE, State.IN_ARREARS, State.DEFAULTED], target=State.PAID_OFF
    )
    def pay_off(self, *, by=None, reason: str = "") -> None: ...


class Installment(models.Model):
    """One installment of a contracted loan and what was paid of it."""

    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), on_delete=models.CASCADE, related_name="installments"
    )
    number = models.PositiveSmallIntegerField(verbose_name=_("number"))
    due_date = models.DateField(verbose_name=_("due date"))
    amount_cents = models.BigIntegerField(verbose_name=_("amount (centavos)"))
    interest_cents = models.BigIntegerField(verbose_name=_("interest (centavos)"))
    amortization_cents = models.BigIntegerField(verbose_name=_("amortization (centavos)"))
    balance_cents = models.BigIntegerField(
        verbose_name=_("balance (centavos)"), help_text=_("principal outstanding after it")
    )
    # Paid of the installment's amount (interest first, then amortization: Civil Code art. 354).
    paid_cents = models.BigIntegerField(verbose_name=_("paid (centavos)"), default=0)
    # Discount of future interest given when it was paid before its due date (CDC art. 52).
    discount_cents = models.BigIntegerField(verbose_name=_("discount (centavos)"), default=0)
    # Late charges paid (CMN Res. 4.882): contract interest, fine, default interest.
    late_paid_cents = models.BigIntegerField(verbose_name=_("late paid (centavos)"), default=0)
    paid_at = models.DateTimeField(verbose_name=_("paid at"), null=True, blank=True)

    class Meta:
        ordering = ["loan", "number"]
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="installment_unique_number"),
            models.CheckConstraint(
                condition=Q(paid_cents__gte=0)
                & Q(discount_cents__gte=0)
                & Q(paid_cents__lte=models.F("amount_cents") - models.F("discount_cents")),
                name="installment_paid_within_amount",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_date"], name="installment_open_due", condition=Q(paid_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.loan} #{self.number}"

    @property
    def outstanding_cents(self) -> int:
        """What is left of the installment's amount (without late charges)."""
        return self.amount_cents - self.discount_cents - self.paid_cents

    @property
    def is_settled(self) -> bool:
        return self.outstanding_cents == 0


class LoanPayment(TimeStampedModel):
    """One movement of money on a loan, with how it was split (see the module)."""

    class Kind(models.TextChoices):
        COLLECTION = "collection", _("collection on the due date")
        PAYMENT = "payment", _("installment payment")
        PREPAYMENT = "prepayment", _("prepayment")
        PAYOFF = "payoff", _("early payoff")

    loan = models.ForeignKey(
        Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="payments"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=12, choices=Kind.choices)
    key = models.CharField(verbose_name=_("key"), max_length=80, unique=True)
    amount_cents = models.BigIntegerField(verbose_name=_("amount (centavos)"))
    principal_cents = models.BigIntegerField(verbose_name=_("principal (centavos)"), default=0)
    interest_cents = models.BigIntegerField(verbose_name=_("interest (centavos)"), default=0)
    late_interest_cents = models.BigIntegerField(
        verbose_name=_("late interest (centavos)"), default=0
    )
    fine_cents = models.BigIntegerField(verbose_name=_("fine (centavos)"), default=0)
    default_interest_cents = models.BigIntegerField(
        verbose_name=_("default interest (centavos)"), default=0
    )
    discount_cents = models.BigIntegerField(verbose_name=_("discount (centavos)"), default=0)
    short_cents = models.BigIntegerField(
        verbose_name=_("short (centavos)"),
        default=0,
        help_text=_("what was due and could not be collected"),
    )
    installments = models.JSONField(
        verbose_name=_("installments"), default=list, help_text=_("the installment numbers paid")
    )
    entry_id = models.BigIntegerField(verbose_name=_("entry ID"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("loan payment")
        verbose_name_plural = _("loan payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gte=0), name="loanpayment_amount_nn"),
            models.CheckConstraint(
                condition=Q(
                    amount_cents=models.F("principal_cents")
                    + models.F("interest_cents")
                    + models.F("late_interest_cents")
                    + models.F("fine_cents")
                    + models.F("default_interest_cents")
                ),
                name="loanpayment_split_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.loan}"

    @property
    def late_charges_cents(self) -> int:
        return self.late_interest_cents + self.fine_cents + self.default_interest_cents
