"""What the STR delivers to us: TEDs to our customers (STR0008R2) and our TEDs returned by
the credited bank (STR0010R2). `wires_inbox_run` (beat, every minute) reads the queue and
acknowledges what it processed; both handlers are idempotent by the STR's NumCtrlSTR.

An inbound TED is credited to the account its branch and number name when that account is
open and its holder's CPF/CNPJ is the one sent; otherwise it is returned at once with the
STR0010 and the SPB return reason (1 closed account, 2 invalid branch or account, 3 missing
or divergent CPF/CNPJ, 84 an account that may not receive it). A returned TED touches no
customer account: the money crosses our reserves in and out on the same day.

A return of one of our TEDs gives the amount and the fee back, once: the wire's row is
locked and must still be sent or settled; a second STR0010R2 for it changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts import services as accounts
from apps.accounts.models import Account
from apps.core.documents import normalize_tax_id
from apps.core.fsm import apply_transition
from apps.core.timezones import brasilia_today
from apps.wire.adapters.str_client import StrError, str_client
from apps.wire.codecs import str_messages as codec
from apps.wire.directory.selectors import bank_by_code
from apps.wire.models import InboundWire, StrMessage, Wire
from apps.wire.services import messages
from apps.wire.services.refunds import refund_wire

logger = logging.getLogger(__name__)

CLOSED_ACCOUNT = "1"
INVALID_ACCOUNT = "2"
DIVERGENT_DOCUMENT = "3"
ACCOUNT_MAY_NOT_RECEIVE = "84"


def wires_inbox_run(*, limit: int = 200, now: dt.datetime | None = None) -> int:
    """Process what the STR queued for us; returns how many messages were handled."""
    client = str_client()
    try:
        items = client.receive(limit)
    except StrError as exc:
        logger.warning("STR inbox unreachable", extra={"error": str(exc)})
        return 0
    done = []
    for delivery_id, xml in items:
        inbox_message_process(xml=xml, now=now)
        done.append(delivery_id)
    if done:
        client.acknowledge(done)
    return len(done)


def inbox_message_process(*, xml: bytes, now: dt.datetime | None = None) -> None:
    try:
        message = codec.parse(xml)
    except codec.StrMessageError as exc:
        # Kept for the operators (documents masked); acknowledging it stops a redelivery loop.
        logger.error("unreadable STR message", extra={"error": str(exc)})
        messages.log_message(direction=StrMessage.Direction.IN, xml=xml)
        return
    if message.code == "STR0008R2":
        inbound = wire_receive(message=message, xml=xml, now=now)
        if inbound.state == InboundWire.State.RETURNED:
            inbound_return_send(inbound_id=inbound.pk, now=now)
    elif message.code == "STR0010R2":
        wire_return_receive(message=message, xml=xml, now=now)
    else:
        messages.log_message(direction=StrMessage.Direction.IN, xml=xml, message=message)


def _credit_target(message: codec.Message) -> tuple[Account | None, str]:
    """The account to credit, or the return reason."""
    if message.get("ISPBIFCredtd") != settings.ATHENA_ISPB:
        return None, INVALID_ACCOUNT
    branch = message.get("AgCredtd").zfill(4)
    number = message.get("CtCredtd")
    candidates = {number, number.zfill(9)} if number else set()
    account = (
        Account.objects.filter(
            kind=Account.Kind.CUSTOMER, branch=branch, number__in=sorted(candidates)
        )
        .select_related("customer")
        .first()
    )
    if account is None:
        return None, INVALID_ACCOUNT
    if account.state == Account.State.CLOSED:
        return account, CLOSED_ACCOUNT
    if account.state == Account.State.BLOCKED:
        return account, ACCOUNT_MAY_NOT_RECEIVE
    if normalize_tax_id(account.customer.tax_id) != normalize_tax_id(
        message.get("CNPJ_CPFCliCredtd")
    ):
        return account, DIVERGENT_DOCUMENT
    return account, ""


def wire_receive(
    *, message: codec.Message, xml: bytes, now: dt.datetime | None = None
) -> InboundWire:
    """Credit (or decide to return) a TED another bank sent us; idempotent by NumCtrlSTR."""
    now = now or timezone.now()
    with transaction.atomic():
        existing = (
            InboundWire.objects.select_for_update()
            .filter(str_control_number=message.get("NumCtrlSTR"))
            .first()
        )
        if existing is not None:
            return existing
        account, reason = _credit_target(message)
        sender_bank = bank_by_code(message.get("ISPBIFDebtd"))
        inbound = InboundWire(
            str_control_number=message.get("NumCtrlSTR"),
            sender_ispb=message.get("ISPBIFDebtd"),
            sender_bank_name=(sender_bank.name if sender_bank else "")[:120],
            sender_branch=message.get("AgDebtd"),
            sender_account=message.get("CtDebtd"),
            sender_name=message.get("NomCliDebtd")[:80],
            sender_tax_id=normalize_tax_id(message.get("CNPJ_CPFCliDebtd")),
            branch=message.get("AgCredtd"),
            account_number=message.get("CtCredtd"),
            holder_tax_id=normalize_tax_id(message.get("CNPJ_CPFCliCredtd")),
            account=account,
            amount=message.amount_cents,
            purpose=message.get("FinlddCli"),
            settlement_date=dt.date.fromisoformat(message.get("DtMovto")),
            state=InboundWire.State.RETURNED if reason else InboundWire.State.CREDITED,
            return_code=reason,
            return_control_number=messages.new_control_number(now) if reason else "",
        )
        inbound.save()
        messages.log_message(
            direction=StrMessage.Direction.IN, xml=xml, message=message, inbound=inbound
        )
        if reason:
            return inbound
        inbound.entry_id = accounts.post_entry(
            kind="ted_in",
            legs=[
                accounts.Leg(accounts.internal_account_id("reserves_bacen"), -inbound.amount),
                accounts.Leg(account.pk, inbound.amount),
            ],
            description=f"TED {inbound.str_control_number}",
            reference_type="inbound_wire",
            reference_id=inbound.pk,
            metadata={
                "sender": inbound.sender_name,
                "bank": inbound.sender_bank_name,
                "bank_code": sender_bank.compe if sender_bank else "",
            },
        )
        # The portal hears of it through the ledger's own "balance changed" event.
        inbound.save(update_fields=["entry_id"])
    return inbound


def inbound_return_send(*, inbound_id: int, now: dt.datetime | None = None) -> bool:
    """Send the STR0010 of a TED we could not credit (again, when its answer was lost)."""
    inbound = InboundWire.objects.get(pk=inbound_id)
    if inbound.state != InboundWire.State.RETURNED:
        return False
    if inbound.messages.filter(code="STR0010R1").exists():
        return True
    xml = messages.str0010(inbound, day=brasilia_today(now))
    if not inbound.messages.filter(code="STR0010").exists():
        messages.log_message(direction=StrMessage.Direction.OUT, xml=xml, inbound=inbound)
    try:
        answer = str_client().send(xml)
    except StrError as exc:
        logger.warning("STR did not answer a devolucao", extra={"error": str(exc)})
        return False
    messages.log_message(direction=StrMessage.Direction.IN, xml=answer, inbound=inbound)
    return True


def inbound_returns_resend(*, now: dt.datetime | None = None) -> int:
    pending = (
        InboundWire.objects.filter(state=InboundWire.State.RETURNED)
        .exclude(messages__code="STR0010R1")
        .values_list("pk", flat=True)[:200]
    )
    return sum(inbound_return_send(inbound_id=pk, now=now) for pk in list(pending))


def wire_return_receive(
    *, message: codec.Message, xml: bytes, now: dt.datetime | None = None
) -> Wire | None:
    """The credited bank returned one of our TEDs: the amount and the fee back, once."""
    now = now or timezone.now()
    with transaction.atomic():
        wire = (
            Wire.objects.select_for_update(of=("self",))
            .filter(str_control_number=message.get("NumCtrlSTROr"))
            .first()
        )
        messages.log_message(direction=StrMessage.Direction.IN, xml=xml, message=message, wire=wire)
        if wire is None:
            logger.error("STR0010R2 for a TED we do not know")
            return None
        if wire.state not in (Wire.State.SENT, Wire.State.SETTLED):
            return wire  # returned already: a redelivered message changes nothing
        if message.amount_cents != wire.amount:
            logger.error("STR0010R2 amount differs from the TED's; kept for the operators")
            return wire
        wire.return_code = message.get("CodDevTransf")[:3]
        wire.returned_at = now
        refund_wire(wire, reason=wire.return_code, kind="returned")
        why = codec.RETURN_REASONS.get(wire.return_code, wire.return_code)
        apply_transition(wire, "return_", by="str", reason=f"returned by the credited bank: {why}")
    return wire
