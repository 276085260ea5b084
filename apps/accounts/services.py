"""Writes of the accounts domain: one function per use case, each one transaction."""

from __future__ import annotations

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords
from stdnum import luhn

from apps.accounts import ledger, money_gate
from apps.accounts.ledger import Leg
from apps.core.crypto import tax_id_lookup_hash
from apps.core.documents import normalize_tax_id, tax_id_kind
from apps.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.models import User
from apps.core.money import format_brl

from .models import Account, Customer, Hold, JournalEntry, ReversalRequest


@transaction.atomic
def customer_register(*, user: User, full_name: str, tax_id: str) -> Customer:
    """Create the customer behind a newly signed-up user (KYC level 0, pending)."""
    kind = tax_id_kind(tax_id)
    if kind is None:
        raise ValidationFailed(_("Invalid CPF or CNPJ."), field="tax_id")
    full_name = " ".join(full_name.split())
    if len(full_name) < 3:
        raise ValidationFailed(_("Full name is required."), field="full_name")
    lookup = tax_id_lookup_hash(tax_id)
    if Customer.objects.filter(tax_id_hash=lookup).exists():
        raise Conflict(_("A customer with this CPF/CNPJ already exists."), field="tax_id")
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                user=user,
                kind=kind,
                full_name=full_name,
                tax_id=normalize_tax_id(tax_id),
                tax_id_hash=lookup,
            )
    except IntegrityError as exc:  # a concurrent sign-up with the same document
        raise Conflict(_("A customer with this CPF/CNPJ already exists."), field="tax_id") from exc
    if user.full_name != full_name:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    return customer


def customer_tax_id_taken(tax_id: str) -> bool:
    return Customer.objects.filter(tax_id_hash=tax_id_lookup_hash(tax_id)).exists()


# --- Payment accounts -----------------------------------------------------------------


def _next_account_number() -> str:
    """Eight digits from a sequence plus a Luhn check digit: "00100001" -> "001000014"."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('athena_account_number_seq')")
        base = f"{cursor.fetchone()[0]:08d}"
    return base + luhn.calc_check_digit(base)


@transaction.atomic
def account_open(*, customer: Customer, name: str = "", overdraft_limit: int = 0) -> Account:
    if customer.state == Customer.State.CLOSED:
        raise Conflict(_("A closed customer cannot open accounts."))
    return Account.objects.create(
        kind=Account.Kind.CUSTOMER,
        customer=customer,
        name=name or customer.full_name,
        number=_next_account_number(),
        overdraft_limit=overdraft_limit,
    )


@transaction.atomic
def account_close(*, account_id: int, actor=None, reason: str = "") -> Account:
    """Close an account whose balance and holds are zero (shards folded under the lock)."""
    if not Account.objects.filter(pk=account_id, kind=Account.Kind.CUSTOMER).exists():
        raise NotFound(_("Account not found."))
    with connection.cursor() as cursor:
        _fold_shards(cursor, account_id)
    account = Account.objects.get(pk=account_id)
    if account.total_balance != 0 or account.held != 0:
        raise Conflict(_("Only an account with zero balance and no holds can be closed."))
    return apply_transition(account, "close", by=actor, reason=reason)


def ensure_internal_accounts() -> None:
    """Create the internal ledger accounts if missing (migration 0005 and post_migrate, so a
    test database flushed between tests gets them back)."""
    from apps.accounts.migrations import INTERNAL_ACCOUNTS

    forget_internal_accounts()
    for code, name in INTERNAL_ACCOUNTS:
        Account.objects.get_or_create(
            code=code, defaults={"kind": Account.Kind.INTERNAL, "name": name}
        )


# Internal accounts are created once (migration 0005) and never deleted, so their ids are
# kept per process; a test database flushed and refilled (post_migrate) forgets them.
_internal_account_ids: dict[str, int] = {}


def forget_internal_accounts() -> None:
    _internal_account_ids.clear()


def internal_account_id(code: str) -> int:
    """The id of an internal ledger account (reserves_bacen, ...), without a query after the
    first: every Pix, boleto and TED posts to one."""
    found = _internal_account_ids.get(code)
    if found is None:
        found = internal_account(code).pk
        _internal_account_ids[code] = found
    return found


def internal_account(code: str) -> Account:
    return Account.objects.get(kind=Account.Kind.INTERNAL, code=code)


# --- Money movements ------------------------------------------------------------------


def book_transfer(
    *,
    source_id: int,
    destination_id: int,
    amount_cents: int,
    description: str = "",
    created_by_id: int | None = None,
) -> int:
    """Move money between two Athena accounts; returns the journal entry id.

    The ledger movement only, with no limits: a customer's own transfer goes through
    `transfer_send`, which passes the money gate first. A single ledger call (no
    surrounding transaction needed: the call is atomic by itself, and inside a caller's
    transaction it joins it).
    """
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationFailed(_("Amount must be greater than zero."), field="amount")
    if source_id == destination_id:
        raise ValidationFailed(
            _("Source and destination must be different accounts."), field="destination_account"
        )
    return ledger.post_entry(
        kind="book_transfer",
        legs=[Leg(source_id, -amount_cents), Leg(destination_id, amount_cents)],
        description=description,
        reference_type="book_transfer",
        created_by_id=created_by_id,
        # The customer's own words (the note), shown beside the rendered line; the
        # description column is the back office's copy.
        metadata={"source": source_id, "destination": destination_id, "note": description},
    )


def deposit(
    *,
    account_id: int,
    amount_cents: int,
    description: str,
    counterpart: str = "reserves_bacen",
    created_by_id: int | None = None,
    kind: str = "deposit",
) -> int:
    """Money arriving from outside (settled through an internal account) into an account."""
    if amount_cents <= 0:
        raise ValidationFailed(_("Amount must be greater than zero."), field="amount")
    return ledger.post_entry(
        kind=kind,
        legs=[Leg(internal_account_id(counterpart), -amount_cents), Leg(account_id, amount_cents)],
        description=description,
        created_by_id=created_by_id,
    )


# --- Holds ----------------------------------------------------------------------------


def _fold_shards(cursor, account_id: int) -> None:
    """Lock the account row and move its shards into it (see ledger.py)."""
    cursor.execute("SELECT athena_fold_shards(%s)", [account_id])


def _why_not_debitable(account_id: int) -> DomainError:
    account = Account.objects.filter(pk=account_id).only("state", "kind").first()
    if account is None:
        return ledger.UnknownAccount("Account not found.")
    if account.kind != Account.Kind.CUSTOMER or account.state != Account.State.ACTIVE:
        return ledger.AccountUnavailable(f"The account is {account.get_state_display()}.")
    return ledger.InsufficientFunds("Insufficient available balance.")


@transaction.atomic
def hold_place(
    *,
    account_id: int,
    amount_cents: int,
    reason: str,
    expires_at=None,
    reference_type: str = "",
    reference_id: str = "",
    actor=None,
) -> Hold:
    """Set money aside: lowers the available balance, never below the overdraft floor."""
    if amount_cents <= 0:
        raise ValidationFailed(_("Amount must be greater than zero."), field="amount")
    placed = ledger.hold_place(
        account_id=account_id,
        amount_cents=amount_cents,
        reason=reason,
        expires_at=expires_at,
        reference_type=reference_type,
        reference_id=str(reference_id),
        now=timezone.now(),
        user_id=_history_user_id(actor),
    )
    if placed.refusal == "unknown_account":
        raise ledger.UnknownAccount(_("Account not found."))
    if placed.refusal:
        raise _why_not_debitable(account_id)
    return Hold.objects.get(pk=placed.hold_id)


def _history_user_id(actor) -> int | None:
    """Who the hold's first history row names: the actor, else the request's user (what
    django-simple-history's middleware would have recorded)."""
    if getattr(actor, "is_authenticated", False):
        return actor.pk
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user.pk if getattr(user, "is_authenticated", False) else None


def _locked_active_hold(hold_id: int) -> Hold:
    hold = Hold.objects.select_for_update().filter(pk=hold_id).first()
    if hold is None:
        raise NotFound(_("Hold not found."))
    if hold.state != Hold.State.ACTIVE:
        raise Conflict(
            _("The hold is already %(state)s."), params={"state": hold.get_state_display()}
        )
    return hold


def _unhold(hold: Hold) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_account SET held = held - %s WHERE id = %s",
            [hold.amount, hold.account_id],
        )


@transaction.atomic
def hold_release(*, hold_id: int, actor=None, reason: str = "", expired: bool = False) -> Hold:
    hold = _locked_active_hold(hold_id)
    _unhold(hold)
    return apply_transition(hold, "expire" if expired else "release", by=actor, reason=reason)


@transaction.atomic
def hold_capture(
    *,
    hold_id: int,
    amount_cents: int | None = None,
    counterpart_id: int,
    kind: str,
    description: str = "",
    actor=None,
    metadata: dict | None = None,
) -> Hold:
    """Turn a hold into postings: debit up to the held amount; the rest is released.
    `metadata` is what the statement renders (the merchant of a card purchase)."""
    hold = _locked_active_hold(hold_id)
    amount = hold.amount if amount_cents is None else amount_cents
    if amount <= 0 or amount > hold.amount:
        raise ValidationFailed(
            _("Capture amount must be positive and at most the held amount."), field="amount"
        )
    _unhold(hold)
    entry_id = ledger.post_entry(
        kind=kind,
        legs=[Leg(hold.account_id, -amount), Leg(counterpart_id, amount)],
        description=description or hold.reason,
        reference_type="hold",
        reference_id=hold.pk,
        created_by_id=getattr(actor, "pk", None),
        metadata=metadata,
    )
    hold.captured_amount = amount
    hold.capture_entry_id = entry_id
    return apply_transition(hold, "capture", by=actor, reason=description)


def holds_expire_due(*, now=None) -> int:
    """Release every active hold past its expiry (Celery beat); each in its own transaction."""
    now = now or timezone.now()
    expired = 0
    due = Hold.objects.filter(state=Hold.State.ACTIVE, expires_at__lte=now).values_list(
        "pk", flat=True
    )
    for hold_id in list(due[:1000]):
        try:
            hold_release(hold_id=hold_id, actor=None, reason="expired", expired=True)
            expired += 1
        except Conflict:
            continue  # captured or released meanwhile
    return expired


# --- Reversals ------------------------------------------------------------------------


def _ensure_reversible(entry: JournalEntry) -> None:
    if entry.reverses_id is not None:
        raise Conflict(_("A reversal cannot itself be reversed; post a new entry instead."))
    if JournalEntry.objects.filter(reverses_id=entry.pk).exists():
        raise Conflict(_("This entry was already reversed."))


def entry_reverse(*, entry_id: int, reason: str, actor=None) -> int:
    """Post the mirror of an entry, linked to it. An entry is reversed at most once."""
    if not reason.strip():
        raise ValidationFailed(_("A reason is required."), field="reason")
    entry = JournalEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(_("Entry not found."))
    _ensure_reversible(entry)
    legs = [Leg(p.account_id, -p.amount) for p in entry.postings.all()]
    try:
        with transaction.atomic():
            return ledger.post_entry(
                kind="reversal",
                legs=legs,
                description=f"Reversal of #{entry.pk}: {reason}"[:200],
                reference_type="journal_entry",
                reference_id=entry.pk,
                reverses_id=entry.pk,
                created_by_id=getattr(actor, "pk", None),
            )
    except psycopg.errors.UniqueViolation:
        raise Conflict(_("This entry was already reversed.")) from None


FOUR_EYES_THRESHOLD_CENTS = 1_000_000  # R$ 10.000,00


@transaction.atomic
def reversal_request(*, entry_id: int, reason: str, actor) -> ReversalRequest:
    """An operator asks to reverse an entry; at or below R$ 10.000 it is posted at once."""
    if not reason.strip():
        raise ValidationFailed(_("A reason is required."), field="reason")
    entry = JournalEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(_("Entry not found."))
    _ensure_reversible(entry)
    amount = sum(p.amount for p in entry.postings.all() if p.amount > 0)
    try:
        with transaction.atomic():
            request = ReversalRequest.objects.create(
                entry=entry, amount=amount, reason=reason, requested_by=actor
            )
    except IntegrityError:
        raise Conflict(_("A reversal of this entry is already pending or done.")) from None
    if amount <= FOUR_EYES_THRESHOLD_CENTS:
        _execute_reversal(request, approver=actor)
    return request


def _execute_reversal(request: ReversalRequest, *, approver, reason: str = "") -> None:
    request.reversal_entry_id = entry_reverse(
        entry_id=request.entry_id, reason=request.reason, actor=approver
    )
    request.decided_by = approver
    # The approver's own reason, when they gave one, is what the transition log keeps.
    apply_transition(request, "execute", by=approver, reason=reason or request.reason)


@transaction.atomic
def reversal_approve(*, request_id: int, actor, reason: str = "") -> ReversalRequest:
    request = ReversalRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("Reversal request not found."))
    if request.requested_by_id == actor.pk:
        raise Forbidden(_("Four-eyes rule: a second operator must approve this reversal."))
    _execute_reversal(request, approver=actor, reason=reason)
    return request


@transaction.atomic
def reversal_reject(*, request_id: int, actor, reason: str = "") -> ReversalRequest:
    request = ReversalRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound(_("Reversal request not found."))
    request.decided_by = actor
    return apply_transition(request, "reject", by=actor, reason=reason)


# === ONBOARD: onboarding, the customer's lifecycle, and writes other apps ask for =========
# (privacy, kyc). Other helpers: add your functions in your own block, not here.


def _open_first_account(customer: Customer) -> Account | None:
    """Open the customer's payment account unless one is already open (not closed)."""
    has_open = customer.accounts.filter(kind=Account.Kind.CUSTOMER).exclude(
        state=Account.State.CLOSED
    )
    if has_open.exists():
        return None
    return account_open(customer=customer)


def customer_onboarding_complete(*, customer_id: int) -> Account | None:
    """Activate a pending customer at KYC level 0 and open its payment account, once every
    onboarding gate (apps.accounts.onboarding) is clear; a no-op otherwise.

    Called after the commit of whatever cleared a gate (the e-mail confirmation, the
    onboarding screening, a compliance officer clearing a hit), in any order and possibly
    at once: the customer's row lock serializes the callers and the state check makes the
    second one a no-op, so the customer is activated and gets an account exactly once.
    Returns the account opened, or None."""
    from apps.accounts import registry
    from apps.core.audit import record_event

    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        if customer is None or customer.state != Customer.State.PENDING:
            return None
        if registry.pending_reasons(customer):
            return None
        apply_transition(customer, "activate", by="onboarding", reason="onboarding complete")
        account = _open_first_account(customer)
        record_event(
            "accounts.customer_onboarded",
            obj=customer,
            actor_label="onboarding",
            detail={"account": account.pk if account else None, "kyc_level": customer.kyc_level},
        )
        return account


@transaction.atomic
def customer_activate(*, customer_id: int, actor=None, reason: str = "") -> Customer:
    """An operator activates a pending customer (overriding the onboarding gates): the
    customer gets its payment account too, as an onboarded one does."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("Customer not found."))
    apply_transition(customer, "activate", by=actor, reason=reason)
    _open_first_account(customer)
    return customer


@transaction.atomic
def account_open_for_customer(*, customer_id: int, actor=None, name: str = "") -> Account:
    """An operator opens a further payment account for an active customer."""
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("Customer not found."))
    if customer.state != Customer.State.ACTIVE:
        raise Conflict(
            _("Only an active customer can get an account; this one is %(state)s."),
            params={"state": customer.get_state_display()},
        )
    return account_open(customer=customer, name=name)


@transaction.atomic
def customer_kyc_level_raise(
    *, customer_id: int, level: int, reason: str = ""
) -> tuple[Customer, int]:
    """Raise the customer's KYC level to `level` (kyc's approval; never lowers it): the
    limits and features follow it. Returns the customer and its level before."""
    customer = Customer.objects.select_for_update(of=("self",)).get(pk=customer_id)
    previous = customer.kyc_level
    if previous < level:
        customer.kyc_level = level
        customer._change_reason = reason or f"KYC level {level}"
        customer.save(update_fields=["kyc_level", "updated_at"])
    return customer, previous


@transaction.atomic
def customer_full_name_set(*, customer_id: int, full_name: str, reason: str) -> Customer:
    """Correct the customer's name (and its sign-in's), e.g. an LGPD correction."""
    customer = Customer.objects.select_for_update().select_related("user").get(pk=customer_id)
    customer.full_name = full_name
    customer._change_reason = reason
    customer.save(update_fields=["full_name", "updated_at"])
    user = customer.user
    user.full_name = full_name
    user._change_reason = reason
    user.save(update_fields=["full_name"])
    return customer


def _anonymise_history(model, pk_values, **values) -> int:
    # simple-history rows are plain rows: `update()` on purpose, no history of history.
    return model.history.model.objects.filter(id__in=list(pk_values)).update(**values)


@transaction.atomic
def customer_anonymise(
    *, customer_id: int, anonymous_name: str, actor=None, reason: str
) -> list[int]:
    """Close the customer and its accounts and blank their names, history included (LGPD
    erasure). The accounts must have no balance and no holds. Returns the account ids."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    accounts = list(Account.objects.filter(customer=customer, kind=Account.Kind.CUSTOMER))
    for account in accounts:
        if account.state != Account.State.CLOSED:
            account_close(account_id=account.pk, actor=actor, reason=reason)
    account_ids = [account.pk for account in accounts]
    Account.objects.filter(pk__in=account_ids).update(name="")
    _anonymise_history(Account, account_ids, name="")
    if customer.state != Customer.State.CLOSED:
        apply_transition(customer, "close", by=actor, reason=reason)
    customer.full_name = anonymous_name
    customer._change_reason = reason
    customer.save(update_fields=["full_name", "updated_at"])
    _anonymise_history(Customer, [customer.pk], full_name=anonymous_name)
    return account_ids


# --- Customer-initiated book transfers (helper GATE) ----------------------------------


@transaction.atomic
def transfer_send(
    *,
    source_id: int,
    destination_id: int,
    amount_cents: int,
    description: str = "",
    created_by_id: int | None = None,
) -> int:
    """A customer's own book transfer (API and portal): passes the money gate, then moves
    the money; returns the journal entry id. The gate locks the source account until the
    entry is posted, so two transfers cannot both pass the same remaining limit."""
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationFailed(_("Amount must be greater than zero."), field="amount")
    source = Account.objects.filter(pk=source_id).select_related("customer").first()
    if source is None:
        raise ledger.UnknownAccount(_("Account not found."))
    money_gate.check(account=source, product="book", amount_cents=amount_cents)
    return book_transfer(
        source_id=source_id,
        destination_id=destination_id,
        amount_cents=amount_cents,
        description=description,
        created_by_id=created_by_id,
    )


# --- The portal's first step: a check that moves nothing (issue #16) -------------------


def debit_precheck(
    *,
    account: Account,
    product: str,
    amount_cents: int,
    fee_cents: int = 0,
    now=None,
) -> None:
    """Would the confirmation's debit of `amount_cents` (plus `fee_cents`) pass, now?

    Moves nothing. It asks the two judges the confirmation's transaction asks, in the same
    order and through the same code: the money gate (`money_gate.check`: account and
    customer state, the KYC feature level, the day's and month's limits of the product
    family, the product's own rules such as Pix's night window) and the ledger's floor
    (`ledger.spendable`: balance minus holds plus the overdraft limit, the condition of the
    debit's conditional UPDATE). The gate takes the account's lock for the span of this
    short transaction only; the confirmation asks again under its own lock, since money
    may move between the two steps.

    Raises the gate's DomainError, or InsufficientFunds (field "amount") naming what is
    available; both read in the active language (the portal shows them on the amount)."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise ValidationFailed(_("The amount must be greater than zero."), field="amount")
    with transaction.atomic():
        money_gate.check(account=account, product=product, amount_cents=amount_cents, now=now)
        available = ledger.spendable(account_id=account.pk)
    if amount_cents + fee_cents <= available:
        return
    if fee_cents:
        message = _(
            "Insufficient available balance: with the fee of %(fee)s this takes %(total)s, "
            "and you have %(available)s available."
        ) % {
            "fee": format_brl(fee_cents),
            "total": format_brl(amount_cents + fee_cents),
            "available": format_brl(available),
        }
    else:
        message = _("Insufficient available balance: you have %(available)s available.") % {
            "available": format_brl(available)
        }
    raise ledger.InsufficientFunds(message, field="amount")


# === PIX: row locks the Pix MED (apps.pix.med) takes on accounts and holds (helper PIX) ===
# MED places cautionary blocks (holds) and must read an account's available balance, and a
# hold's state, under the same row locks the holds services take: these helpers keep those
# locks (and their order) in accounts.


def account_lock_available(*, account_id: int) -> int:
    """Lock the account row and return its available balance (balance minus holds).

    Debits wait for the lock; credits land in shards without it, so what is read is a
    floor that only grows until commit. Two statements on purpose: a single locking read
    would re-read the row after waiting but keep its older view of the shards, and count a
    concurrent fold twice."""
    list(Account.objects.select_for_update(of=("self",)).filter(pk=account_id).only("pk", "state"))
    account = Account.objects.with_balances().get(pk=account_id)
    return account.total_balance - account.held


def holds_lock(*, hold_ids: list[int]) -> dict[int, str]:
    """Lock these holds' rows in pk order (the holds services' order); each one's state."""
    return dict(
        Hold.objects.select_for_update()
        .filter(pk__in=hold_ids)
        .order_by("pk")
        .values_list("pk", "state")
    )


# --- The money gate and the ledger, for other apps ------------------------------------
# Other apps import accounts' public rooms only (the import contracts): these are the
# gate's and the ledger's entry points there. Registrations live in apps.accounts.registry.

money_gate_check = money_gate.check  # the same function as apps.accounts.limits.check
# For a caller that reads the gate inside a statement of its own (`athena_money_gate` with
# the product's posting kinds, after the account's lock) and judges the reading here.
money_gate_judge = money_gate.judge
money_gate_period_starts = money_gate.period_starts
money_gate_product = money_gate.product
GateReading = money_gate.GateReading
post_entry = ledger.post_entry  # with `Leg` (imported above) for its legs
post_entries = ledger.post_entries  # a batch of `ledger.Entry` in one round trip
post_credits = ledger.post_credits  # a batch debiting no customer, set-based
Entry = ledger.Entry
