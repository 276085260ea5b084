"""Sending a TED: validate, show when it goes, screen, pass the money gate, debit, send the
STR0008 and read the STR's answer.

`wire_quote` (what the portal's first step and `POST /api/v1/wires` both start with, and
which moves no money): the source account is the customer's; the destination bank is in the
directory and on the RSFN (the STR's network); branch and account are digits; the holder's
CPF/CNPJ is valid (validate-docbr); the customer has TED (KYC level 1); the amount plus the
fee fits the available balance when it goes now; and the moment it goes: now inside the
window, else the next opening (apps/wire/windows.py), or the opening of the business day the
customer chose.

`wire_send`:

1. quote again and screen the holder against the sanctions lists (a hit stops it);
2. outside the window (or for a chosen day), the wire is saved as *scheduled*: no money
   moves until `wires_send_due` (beat, every minute) sends it at the opening, through step 3;
   the customer may cancel it until then;
3. in one transaction: the money gate (family "ted": account and customer state, the
   feature level, the day's and month's limits, under the account's lock), the debit of the
   amount (kind ted_out, into reserves) and of the fee (kind ted_fee, into fee revenue) in
   one ledger round trip, and the wire *sent* with its STR0008 logged;
4. after commit (never inside a caller's transaction), the STR0008 goes to the STR
   (`wire_dispatch`); its R1 settles the wire, an
   error answer rejects it and gives the amount and the fee back. When the STR does not
   answer, the wire stays *sent* and `wires_resend_stuck` (beat) sends the same message
   again: the STR knows it by its NumCtrlIF and answers the first outcome.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import services as accounts
from apps.accounts.models import Account, Customer
from apps.core import due_amounts
from apps.core.documents import normalize_tax_id, tax_id_kind
from apps.core.errors import DomainError, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.money import format_brl
from apps.core.timezones import brasilia_today
from apps.core.transactions import now_or_after_commit
from apps.wire import windows
from apps.wire.adapters.str_client import StrError, str_client
from apps.wire.codecs import str_messages as codec
from apps.wire.directory.selectors import Bank, bank_by_code
from apps.wire.errors import (
    BeneficiaryOnSanctionsList,
    UnknownDestination,
    WireNotCancellable,
    WireNotFound,
)
from apps.wire.models import AccountType, StrMessage, Wire
from apps.wire.services import messages
from apps.wire.services.refunds import refund_wire

logger = logging.getLogger(__name__)

MAX_AMOUNT_CENTS = 100_000_000_000  # R$ 1 billion: beyond it, a typo
_NAME = re.compile(r"[^<>&\x00-\x1f]{2,80}\Z")


@dataclass(frozen=True)
class WireQuote:
    """A validated TED order and the moment it would go."""

    account: Account
    bank: Bank
    branch: str
    account_number: str
    account_type: str
    holder_name: str
    holder_tax_id: str
    amount: int
    fee: int
    note: str
    goes_at: dt.datetime
    now: dt.datetime

    @property
    def scheduled(self) -> bool:
        return self.goes_at > self.now

    @property
    def total(self) -> int:
        return self.amount + self.fee


def _source_account(customer: Customer, account_id: Any) -> Account:
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise ValidationFailed(_("Choose the account to send from."), field="account")
    account = (
        Account.objects.filter(pk=account_id, customer=customer, kind=Account.Kind.CUSTOMER)
        .select_related("customer")
        .first()
    )
    if account is None:
        raise WireNotFound(_("Account not found."), field="account")
    return account


def destination_bank(code: Any) -> Bank:
    bank = bank_by_code(code if isinstance(code, str) else "")
    if bank is None:
        raise UnknownDestination(
            _("Bank not found: give its 3-digit code or its 8-digit ISPB."), field="bank"
        )
    if bank.ispb == settings.ATHENA_ISPB:
        raise UnknownDestination(
            _("This is Athena Pay: send to an Athena account with a transfer or a Pix."),
            field="bank",
        )
    if not bank.in_str:
        raise UnknownDestination(
            _("%(bank)s does not take part in the STR: it cannot receive a TED.")
            % {"bank": bank.name},
            field="bank",
        )
    return bank


def _digits(value: Any, *, field: str, max_length: int, label: str) -> str:
    text = re.sub(r"[\s.\-]", "", value) if isinstance(value, str) else ""
    if not text.isdigit() or not 1 <= len(text) <= max_length or int(text) == 0:
        raise ValidationFailed(
            _("%(label)s must be up to %(n)s digits.") % {"label": label, "n": max_length},
            field=field,
        )
    return text


def _holder(name: Any, tax_id: Any) -> tuple[str, str]:
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if not _NAME.match(name):
        raise ValidationFailed(
            _("Give the holder's name (2 to 80 characters)."), field="holder_name"
        )
    document = normalize_tax_id(tax_id if isinstance(tax_id, str) else "")
    if tax_id_kind(document) is None:
        raise ValidationFailed(_("The holder's CPF/CNPJ is not valid."), field="holder_tax_id")
    return name, document


def _amount(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValidationFailed(_("The amount must be greater than zero."), field="amount")
    if value > MAX_AMOUNT_CENTS:
        raise ValidationFailed(_("The amount is too large."), field="amount")
    return value


def _goes_at(day: dt.date | None, now: dt.datetime) -> dt.datetime:
    if day is None:
        return windows.next_opening(now)
    today = brasilia_today(now)
    if day < today:
        raise ValidationFailed(_("Choose today or a future day."), field="scheduled_for")
    if day > today + dt.timedelta(days=366):
        raise ValidationFailed(_("Schedule at most a year ahead."), field="scheduled_for")
    if not due_amounts.B3.is_business_day(day):
        raise ValidationFailed(_("Choose a bank business day."), field="scheduled_for")
    if day == today:
        goes = windows.next_opening(now)
        if brasilia_today(goes) != today:
            raise ValidationFailed(
                _("Today's TED window is closed: choose the next business day."),
                field="scheduled_for",
            )
        return goes
    return windows.opening_on(day)


def wire_quote(
    *,
    customer: Customer,
    account_id: Any,
    bank: Any,
    branch: Any,
    account_number: Any,
    holder_name: Any,
    holder_tax_id: Any,
    amount_cents: Any,
    account_type: Any = AccountType.CHECKING,
    note: Any = "",
    scheduled_for: dt.date | None = None,
    now: dt.datetime | None = None,
) -> WireQuote:
    """Validate a TED order and say when it would go (see the module); moves no money."""
    now = now or timezone.now()
    account = _source_account(customer, account_id)
    accounts.money_gate.require_level(customer, "ted")
    destination = destination_bank(bank)
    branch = _digits(branch, field="branch", max_length=4, label=_("The branch"))
    number = _digits(account_number, field="account_number", max_length=13, label=_("The account"))
    if account_type not in AccountType.values:
        raise ValidationFailed(_("Choose the account type."), field="account_type")
    name, document = _holder(holder_name, holder_tax_id)
    note = note.strip() if isinstance(note, str) else ""
    if len(note) > 140 or any(c in note for c in "<>&"):
        raise ValidationFailed(_("The note takes up to 140 plain characters."), field="note")
    amount = _amount(amount_cents)
    quote = WireQuote(
        account=account,
        bank=destination,
        branch=branch.zfill(4),
        account_number=number,
        account_type=account_type,
        holder_name=name,
        holder_tax_id=document,
        amount=amount,
        fee=settings.WIRE_FEE_CENTS,
        note=note,
        goes_at=_goes_at(scheduled_for, now),
        now=now,
    )
    available = account.available_balance + account.overdraft_limit
    if not quote.scheduled and available < quote.total:
        raise ValidationFailed(
            _(
                "Insufficient available balance: with the fee of %(fee)s this takes "
                "%(total)s, and you have %(available)s available."
            )
            % {
                "fee": format_brl(quote.fee),
                "total": format_brl(quote.total),
                "available": format_brl(max(available, 0)),
            },
            field="amount",
        )
    return quote


def _screen(quote: WireQuote) -> None:
    from apps.compliance import services as screening

    lists = screening.payee_blocking_lists(
        name=quote.holder_name, tax_id=quote.holder_tax_id, context="ted", record=False
    )
    if lists:
        logger.warning("TED refused by screening", extra={"lists": sorted(lists)})
        raise BeneficiaryOnSanctionsList(
            _(
                "This TED cannot be sent from Athena Pay: it was stopped by compliance "
                "screening. If you believe this is a mistake, contact us."
            ),
            field="holder_name",
        )


def _wire_row(quote: WireQuote, *, created_by: Any) -> Wire:
    return Wire(
        account=quote.account,
        amount=quote.amount,
        fee=quote.fee,
        bank_ispb=quote.bank.ispb,
        bank_compe=quote.bank.compe,
        bank_name=quote.bank.name[:120],
        branch=quote.branch,
        account_number=quote.account_number,
        account_type=quote.account_type,
        holder_name=quote.holder_name,
        holder_tax_id=quote.holder_tax_id,
        note=quote.note,
        scheduled_for=quote.goes_at if quote.scheduled else None,
        control_number=messages.new_control_number(quote.now),
        created_by=created_by if getattr(created_by, "is_authenticated", False) else None,
    )


def _debit_and_send(wire: Wire, *, by: Any, now: dt.datetime) -> None:
    """Step 3 of the module, inside the caller's transaction."""
    account = wire.account
    accounts.money_gate_check(account=account, product="ted", amount_cents=wire.amount, now=now)
    metadata = {
        "bank": wire.bank_name,
        "bank_code": wire.bank_compe,
        "holder": wire.holder_name,
        "wire": str(wire.public_id),
    }
    entries = [
        accounts.Entry(
            kind="ted_out",
            legs=[
                accounts.Leg(account.pk, -wire.amount),
                accounts.Leg(accounts.internal_account_id("reserves_bacen"), wire.amount),
            ],
            description=f"TED {wire.control_number}",
            reference_type="wire",
            reference_id=wire.pk,
            metadata=metadata,
        )
    ]
    if wire.fee:
        entries.append(
            accounts.Entry(
                kind="ted_fee",
                legs=[
                    accounts.Leg(account.pk, -wire.fee),
                    accounts.Leg(accounts.internal_account_id("fee_revenue"), wire.fee),
                ],
                description=f"TED fee {wire.control_number}",
                reference_type="wire",
                reference_id=wire.pk,
                metadata={"wire": str(wire.public_id), "bank": wire.bank_name},
            )
        )
    wire.debit_entry_id = accounts.post_entries(entries)[0]
    wire.sent_at = now
    wire.settlement_date = brasilia_today(now)
    apply_transition(wire, "send", by=by, reason="debited and sent to the STR")
    xml = messages.str0008(wire, day=wire.settlement_date)
    messages.log_message(direction=StrMessage.Direction.OUT, xml=xml, wire=wire)


def wire_send(
    *,
    customer: Customer,
    actor: Any = None,
    now: dt.datetime | None = None,
    **order: Any,
) -> Wire:
    """Send (or schedule) a TED from one of the customer's accounts (see the module)."""
    now = now or timezone.now()
    quote = wire_quote(customer=customer, now=now, **order)
    _screen(quote)
    by = actor or "customer"
    with transaction.atomic():
        wire = _wire_row(quote, created_by=actor)
        wire._change_reason = "created"
        wire.save()
        if quote.scheduled:
            apply_transition(
                wire, "schedule", by=by, reason=f"outside the window: goes at {quote.goes_at}"
            )
            return wire
        _debit_and_send(wire, by=by, now=now)
    # The STR must only ever see a committed debit: inside a caller's transaction (the
    # API's idempotency record, the portal's confirmation) it goes after that commits.
    return now_or_after_commit(lambda: _dispatched(wire, now)) or wire


def _dispatched(wire: Wire, now: dt.datetime) -> Wire:
    wire_dispatch(wire_id=wire.pk, now=now)
    wire.refresh_from_db()
    return wire


def wire_dispatch(*, wire_id: int, now: dt.datetime | None = None) -> str:
    """Hand a sent wire's STR0008 to the STR and apply its answer; returns the wire's state.
    The same message every time (NumCtrlIF): a resend after a lost answer is safe."""
    wire = Wire.objects.select_related("account__customer").get(pk=wire_id)
    if wire.state != Wire.State.SENT:
        return wire.state
    xml = messages.str0008(wire, day=wire.settlement_date or brasilia_today(now))
    try:
        answer = str_client().send(xml)
    except StrError as exc:
        logger.warning("STR did not answer a TED; it will be sent again", extra={"error": str(exc)})
        return wire.state
    return wire_answer_apply(wire_id=wire.pk, answer=answer, now=now)


def wire_answer_apply(*, wire_id: int, answer: bytes, now: dt.datetime | None = None) -> str:
    """The STR's answer to our STR0008: R1 settled, or an error that gives the money back."""
    now = now or timezone.now()
    try:
        message = codec.parse(answer)
    except codec.StrMessageError as exc:
        logger.error("unreadable STR answer", extra={"error": str(exc)})
        return Wire.State.SENT
    with transaction.atomic():
        wire = Wire.objects.select_for_update(of=("self",)).get(pk=wire_id)
        if wire.state != Wire.State.SENT:
            return wire.state
        messages.log_message(
            direction=StrMessage.Direction.IN, xml=answer, message=message, wire=wire
        )
        status = message.get("SitLancSTR")
        if message.code == "STR0008R1" and status == codec.SETTLED:
            wire.str_control_number = message.get("NumCtrlSTR")
            wire.settled_at = now
            apply_transition(wire, "settle", by="str", reason="settled at the STR")
        else:
            wire.rejection_code = (message.error_code or f"SitLancSTR {status}")[:40]
            refund_wire(wire, reason=wire.rejection_code, kind="rejected")
            apply_transition(
                wire, "reject", by="str", reason=f"refused by the STR: {wire.rejection_code}"
            )
    return wire.state


def wire_cancel(*, customer: Customer, wire_id: int, actor: Any = None) -> Wire:
    """Cancel a scheduled TED (nothing was debited yet)."""
    with transaction.atomic():
        wire = (
            Wire.objects.select_for_update(of=("self",))
            .filter(pk=wire_id, account__customer=customer)
            .first()
        )
        if wire is None:
            raise WireNotFound(_("TED not found."))
        if wire.state != Wire.State.SCHEDULED:
            raise WireNotCancellable(
                _("Only a scheduled TED can be cancelled; this one is %(state)s.")
                % {"state": wire.get_state_display()}
            )
        return apply_transition(
            wire, "cancel", by=actor or "customer", reason="cancelled by the customer"
        )


def wires_send_due(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Send the scheduled TEDs whose moment came, inside the window (beat, every minute);
    returns how many went. A schedule the gate or the balance now refuses is rejected with
    the reason (nothing was debited); one transaction per wire."""
    now = now or timezone.now()
    if not windows.is_open(now):
        return 0
    due = list(
        Wire.objects.filter(state=Wire.State.SCHEDULED, scheduled_for__lte=now)
        .order_by("scheduled_for", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    sent = []
    for wire_id in due:
        try:
            with transaction.atomic():
                wire = (
                    Wire.objects.select_for_update(of=("self",))
                    .select_related("account__customer")
                    .get(pk=wire_id)
                )
                if wire.state != Wire.State.SCHEDULED:
                    continue
                _debit_and_send(wire, by="schedule", now=now)
            sent.append(wire_id)
        except DomainError as exc:  # a refusal ends this schedule, not the run
            with transaction.atomic():
                wire = Wire.objects.select_for_update(of=("self",)).get(pk=wire_id)
                if wire.state == Wire.State.SCHEDULED:
                    wire.rejection_code = str(exc.code)[:40]
                    apply_transition(wire, "reject", by="schedule", reason=str(exc.message))
    for wire_id in sent:
        now_or_after_commit(lambda wire_id=wire_id: wire_dispatch(wire_id=wire_id, now=now))
    return len(sent)


def wires_resend_stuck(*, now: dt.datetime | None = None, older_than: int = 60) -> int:
    """Send again the wires the STR has not answered for `older_than` seconds."""
    now = now or timezone.now()
    stuck = list(
        Wire.objects.filter(
            state=Wire.State.SENT, sent_at__lt=now - dt.timedelta(seconds=older_than)
        ).values_list("pk", flat=True)[:200]
    )
    for wire_id in stuck:
        wire_dispatch(wire_id=wire_id, now=now)
    return len(stuck)
