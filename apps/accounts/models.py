"""Customers (people and companies), their payment accounts and the double-entry ledger."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.core.crypto import EncryptedTextField
from apps.core.fsm import FSMModel
from apps.core.models import tracked_history


class Customer(FSMModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("natural person")
        COMPANY = "company", _("company")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACTIVE = "active", _("active")
        BLOCKED = "blocked", _("blocked")
        CLOSED = "closed", _("closed")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="customer",
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=10, choices=Kind.choices)
    full_name = models.CharField(_("full name"), max_length=150)
    # CPF (11 digits) or CNPJ (14 characters, alphanumeric since 2026), encrypted at rest;
    # tax_id_hash is the keyed hash used for uniqueness and exact lookup.
    tax_id = EncryptedTextField(_("CPF/CNPJ"))
    tax_id_hash = models.CharField(
        verbose_name=_("tax ID hash"), max_length=64, unique=True, editable=False
    )
    kyc_level = models.PositiveSmallIntegerField(
        _("KYC level"), default=0, choices=[(i, str(i)) for i in range(4)]
    )
    state = FSMField(
        verbose_name=_("state"), default=State.PENDING, choices=State.choices, protected=True
    )
    state_reason = models.TextField(verbose_name=_("state reason"), blank=True)
    history = tracked_history()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kyc_level__gte=0, kyc_level__lte=3),
                name="customer_kyc_level_range",
            ),
        ]
        permissions = [("view_full_tax_id", "Can see full CPF/CNPJ")]

    def __str__(self) -> str:
        return self.full_name

    @transition(field=state, source=State.PENDING, target=State.ACTIVE)
    def activate(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=[State.ACTIVE], target=State.BLOCKED)
    def block(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=[State.BLOCKED], target=State.ACTIVE)
    def unblock(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(
        field=state, source=[State.PENDING, State.ACTIVE, State.BLOCKED], target=State.CLOSED
    )
    def close(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason


class AccountQuerySet(models.QuerySet):
    def with_balances(self) -> AccountQuerySet:
        """Annotate `shard_total`, so `total_balance` needs no query per account."""
        shards = (
            BalanceShard.objects.filter(account=models.OuterRef("pk"))
            .order_by()
            .values("account")
            .annotate(total=models.Sum("amount"))
            .values("total")
        )
        return self.annotate(
            shard_total=Coalesce(models.Subquery(shards), 0, output_field=models.BigIntegerField())
        )


class Account(FSMModel):
    """A ledger account: a customer's payment account, or an internal account standing for
    the outside world (reserves at BACEN, boleto clearing, fee revenue, ...).

    The cached balance is `balance` (this row) plus the account's `BalanceShard`s, moved
    only by the ledger service (`apps.accounts.ledger`) in the transaction of its postings.
    Credits land in shards so that a hot account does not serialize its payers; debits fold
    the shards into the row under its lock before they check. See ledger.py.
    """

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("customer payment account")
        INTERNAL = "internal", _("internal ledger account")

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        BLOCKED_DEBIT = "blocked_debit", _("blocked for debit")
        BLOCKED = "blocked", _("blocked")
        CLOSED = "closed", _("closed")

    kind = models.CharField(
        verbose_name=_("kind"), max_length=10, choices=Kind.choices, default=Kind.CUSTOMER
    )
    code = models.CharField(
        verbose_name=_("code"), max_length=40, unique=True, null=True, blank=True
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accounts",
    )
    name = models.CharField(verbose_name=_("name"), max_length=100, blank=True)
    branch = models.CharField(verbose_name=_("branch"), max_length=4, default="0001")
    number = models.CharField(
        verbose_name=_("number"), max_length=12, unique=True, null=True, blank=True
    )
    balance = models.BigIntegerField(verbose_name=_("balance"), default=0, editable=False)
    held = models.BigIntegerField(verbose_name=_("held"), default=0, editable=False)
    overdraft_limit = models.BigIntegerField(verbose_name=_("overdraft limit"), default=0)
    state = FSMField(
        verbose_name=_("state"), default=State.ACTIVE, choices=State.choices, protected=True
    )
    state_reason = models.TextField(verbose_name=_("state reason"), blank=True)
    # Balance and holds change on every movement: the postings are their history, so
    # simple-history tracks the account's attributes and state only.
    history = tracked_history(excluded_fields=["balance", "held"])

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="internal")
                | models.Q(balance__gte=models.F("held") - models.F("overdraft_limit")),
                name="account_balance_within_overdraft",
            ),
            models.CheckConstraint(condition=models.Q(held__gte=0), name="account_held_nonneg"),
            models.CheckConstraint(
                condition=models.Q(overdraft_limit__gte=0), name="account_overdraft_nonneg"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="internal", code__isnull=False, customer__isnull=True)
                    | models.Q(kind="customer", customer__isnull=False, number__isnull=False)
                ),
                name="account_kind_shape",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.INTERNAL:
            return f"[{self.code}] {self.name}"
        return f"{self.branch}/{self.number} {self.name}"

    objects = AccountQuerySet.as_manager()

    @property
    def total_balance(self) -> int:
        """Row plus shards: the account's balance. Annotate with `with_balances()` in lists."""
        shard_total = getattr(self, "shard_total", None)
        if shard_total is None:
            shard_total = self.shards.aggregate(total=models.Sum("amount"))["total"] or 0
        return self.balance + shard_total

    @property
    def available_balance(self) -> int:
        return self.total_balance - self.held

    @transition(field=state, source=[State.ACTIVE], target=State.BLOCKED_DEBIT)
    def block_debit(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=[State.ACTIVE, State.BLOCKED_DEBIT], target=State.BLOCKED)
    def block(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=[State.BLOCKED_DEBIT, State.BLOCKED], target=State.ACTIVE)
    def unblock(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(
        field=state,
        source=[State.ACTIVE, State.BLOCKED_DEBIT, State.BLOCKED],
        target=State.CLOSED,
        conditions=[lambda account: account.total_balance == 0 and account.held == 0],
    )
    def close(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason


class BalanceShard(models.Model):
    """Part of an account's balance. Credits (and every movement of internal accounts) add
    to one of 16 shards picked at random, so concurrent payers into one merchant, or every
    Pix crossing the reserves account, do not serialize on one row. A debit on a customer
    account folds the shards back into the account row under its lock, then checks.
    The balance of an account is `Account.balance` + the sum of its shards."""

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="shards"
    )
    shard = models.PositiveSmallIntegerField(verbose_name=_("shard"))
    amount = models.BigIntegerField(verbose_name=_("amount"), default=0)

    class Meta:
        verbose_name = _("balance shard")
        verbose_name_plural = _("balance shards")
        constraints = [
            models.UniqueConstraint(fields=["account", "shard"], name="balance_shard_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}#{self.shard}"


class BalanceCheckpoint(models.Model):
    """An account's balance over all its postings up to `upto_posting_id`, written only once
    no transaction that could still add a posting at or below that id is running
    (`StatementWatermark`). Statements start from the nearest checkpoint, so a page costs the
    same for an account with 10^3 or 10^6 postings."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    upto_posting_id = models.BigIntegerField(verbose_name=_("upto posting ID"))
    balance = models.BigIntegerField(verbose_name=_("balance"))

    class Meta:
        verbose_name = _("balance checkpoint")
        verbose_name_plural = _("balance checkpoints")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "upto_posting_id"], name="balance_checkpoint_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id}@{self.upto_posting_id}: {self.balance}"


class StatementWatermark(models.Model):
    """One row: postings with id <= final_upto are final (no transaction can add below it).

    pending_upto/pending_xmax: the last posting id handed out when the previous checkpoint
    run looked, and the xmax of its snapshot; once every transaction below that xmax has
    ended, pending_upto becomes final."""

    final_upto = models.BigIntegerField(verbose_name=_("final upto"), default=0)
    pending_upto = models.BigIntegerField(verbose_name=_("pending upto"), null=True)
    pending_xmax = models.BigIntegerField(verbose_name=_("pending xmax"), null=True)

    class Meta:
        verbose_name = _("statement watermark")
        verbose_name_plural = _("statement watermarks")

    def __str__(self) -> str:
        return f"final up to posting {self.final_upto}"


class JournalEntry(models.Model):
    """One movement of money: two or more postings summing to zero. Immutable."""

    kind = models.CharField(verbose_name=_("kind"), max_length=40)
    description = models.CharField(verbose_name=_("description"), max_length=200, blank=True)
    reference_type = models.CharField(verbose_name=_("reference type"), max_length=60, blank=True)
    reference_id = models.CharField(verbose_name=_("reference ID"), max_length=64, blank=True)
    # At most one reversal per entry: a partial unique index (below), which skips the NULLs
    # of the many entries that reverse nothing.
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    metadata = models.JSONField(verbose_name=_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"))
    # No database FK: a FK check takes a KEY SHARE lock on the user row, and one integrator
    # posting from many connections would pile MultiXacts on it. Users are never deleted.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("journal entry")
        verbose_name_plural = _("journal entries")
        indexes = [models.Index(fields=["reference_type", "reference_id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["reverses"],
                condition=models.Q(reverses__isnull=False),
                name="one_reversal_per_entry",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Posting(models.Model):
    """One leg of an entry: a signed amount on one account (positive raises its balance).

    Running balances for statements come from `BalanceCheckpoint`s plus the postings after
    them (see statements.py), not from a column here: a credit into a hot account lands in a
    shard without locking the account, so no single "balance after" exists at insert time.
    """

    entry = models.ForeignKey(
        JournalEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="postings"
    )
    # No database FK to the account: its check would KEY SHARE-lock the account row on every
    # posting, which is exactly the per-entry lock hot internal accounts must not take. The
    # posting function resolves every account before it posts, and a trigger forbids
    # deleting accounts, so the reference cannot dangle. The composite indexes cover lookups.
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        on_delete=models.DO_NOTHING,
        related_name="postings",
        db_constraint=False,
        db_index=False,
    )
    amount = models.BigIntegerField(verbose_name=_("amount"))
    # Copies of the entry's kind and time, so statements filter without a join.
    kind = models.CharField(verbose_name=_("kind"), max_length=40)
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        indexes = [
            models.Index(fields=["account", "-id"], name="posting_account_id_idx"),
            models.Index(fields=["account", "created_at"], name="posting_account_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="posting_amount_nonzero")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"


class Hold(FSMModel):
    """Money set aside on a customer account (card authorization, cautionary block).

    A hold lowers the available balance, not the balance; capture turns it into postings.
    """

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        CAPTURED = "captured", _("captured")
        RELEASED = "released", _("released")
        EXPIRED = "expired", _("expired")

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="holds"
    )
    amount = models.BigIntegerField(verbose_name=_("amount"))
    captured_amount = models.BigIntegerField(verbose_name=_("captured amount"), default=0)
    reason = models.CharField(verbose_name=_("reason"), max_length=200)
    reference_type = models.CharField(verbose_name=_("reference type"), max_length=60, blank=True)
    reference_id = models.CharField(verbose_name=_("reference ID"), max_length=64, blank=True)
    expires_at = models.DateTimeField(
        verbose_name=_("expires at"), null=True, blank=True, db_index=True
    )
    capture_entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("capture entry"),
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
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="hold_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} on {self.account_id}: {self.amount}"

    @transition(field=state, source=State.ACTIVE, target=State.CAPTURED)
    def capture(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.ACTIVE, target=State.RELEASED)
    def release(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.ACTIVE, target=State.EXPIRED)
    def expire(self, *, by=None, reason: str = "") -> None:
        pass


class ReversalRequest(FSMModel):
    """An operator's request to reverse an entry; above the four-eyes threshold a second
    operator must approve it before the reversal is posted."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending approval")
        EXECUTED = "executed", _("executed")
        REJECTED = "rejected", _("rejected")

    entry = models.ForeignKey(
        JournalEntry, verbose_name=_("entry"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField(
        verbose_name=_("amount"), help_text=_("Sum of the entry's positive legs, in centavos")
    )
    reason = models.TextField(verbose_name=_("reason"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reversal_entry = models.ForeignKey(
        JournalEntry,
        verbose_name=_("reversal entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = FSMField(
        verbose_name=_("state"), default=State.PENDING, choices=State.choices, protected=True
    )
    history = tracked_history()

    class Meta:
        verbose_name = _("reversal request")
        verbose_name_plural = _("reversal requests")
        constraints = [
            models.UniqueConstraint(
                fields=["entry"],
                condition=models.Q(state__in=["pending", "executed"]),
                name="one_open_reversal_per_entry",
            )
        ]

    def __str__(self) -> str:
        return f"reversal of #{self.entry_id} ({self.get_state_display()})"

    @transition(field=state, source=State.PENDING, target=State.EXECUTED)
    def execute(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.PENDING, target=State.REJECTED)
    def reject(self, *, by=None, reason: str = "") -> None:
        pass


class ReconciliationRun(models.Model):
    """One proof that cached balances equal derived ones and that all postings sum to zero."""

    started_at = models.DateTimeField(verbose_name=_("started at"))
    finished_at = models.DateTimeField(verbose_name=_("finished at"))
    accounts_checked = models.PositiveIntegerField(verbose_name=_("accounts checked"))
    postings_checked = models.BigIntegerField(verbose_name=_("postings checked"))
    postings_total = models.BigIntegerField(
        verbose_name=_("postings total"), help_text=_("Sum of all postings (must be 0)")
    )
    mismatches = models.JSONField(verbose_name=_("mismatches"), default=list)
    unbalanced_entries = models.JSONField(verbose_name=_("unbalanced entries"), default=list)
    ok = models.BooleanField(verbose_name=_("ok"))

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"reconciliation {self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'MISMATCH'}"


class LedgerAlert(FSMModel):
    """Something operators must look at: a reconciliation difference, for one."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        RESOLVED = "resolved", _("resolved")

    kind = models.CharField(verbose_name=_("kind"), max_length=40)
    message = models.TextField(verbose_name=_("message"))
    detail = models.JSONField(verbose_name=_("detail"), default=dict)
    run = models.ForeignKey(
        ReconciliationRun,
        verbose_name=_("run"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alerts",
    )
    state = FSMField(
        verbose_name=_("state"), default=State.OPEN, choices=State.choices, protected=True
    )
    history = tracked_history()

    class Meta:
        verbose_name = _("ledger alert")
        verbose_name_plural = _("ledger alerts")

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:60]}"

    @transition(field=state, source=State.OPEN, target=State.ACKNOWLEDGED)
    def acknowledge(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=[State.OPEN, State.ACKNOWLEDGED], target=State.RESOLVED)
    def resolve(self, *, by=None, reason: str = "") -> None:
        pass
