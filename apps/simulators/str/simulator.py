"""The STR, simulated in our database (the interface: apps.wire.adapters.str_client), with
the other banks behind it.

As the STR (real-time gross settlement):

* it knows every message by its sender and NumCtrlIF: a resend gets the first answer;
* it opens on B3 business days only, inside its own hours (WIRE_STR_SIM_HOURS, wider than
  the banks' customer window); outside them a message comes back with CodErro EHOR0001;
* the credited participant must be in the directory and on the RSFN (CodErro EPAR0001);
* it settles against the sender's reserves account: not enough reserves answers SitLancSTR
  5 (rejected, no funds); settled answers SitLancSTR 1 with the NumCtrlSTR, moving the
  reserves of both participants.

As the other banks (the credited participant of our STR0008): a TED to an account they do
not have (`StrBankAccount`) is returned with an STR0010 (reason 2); to a closed account
(reason 1); to a holder whose CPF/CNPJ differs (reason 3); to an account flagged for fraud
(reason 9). The return reaches us as an STR0010R2 in our queue, after
WIRE_STR_SIM_RETURN_DELAY seconds, as a bank returns a TED a little after crediting fails.

`inbound_ted` plays another bank's customer sending a TED to one of ours: the STR settles it
and queues the STR0008R2 for us (the `simulate_inbound_ted` command).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.core import due_amounts
from apps.core.documents import normalize_tax_id
from apps.core.timezones import BRASILIA, brasilia_now
from apps.simulators.str.models import StrBankAccount, StrDelivery, StrReserves, StrSettlement
from apps.wire import selectors as wire_selectors
from apps.wire.adapters.str_client import StrClient, StrError
from apps.wire.codecs import str_messages as codec

logger = logging.getLogger(__name__)

OUTSIDE_HOURS = "EHOR0001"
UNKNOWN_PARTICIPANT = "EPAR0001"
UNKNOWN_ORIGINAL = "EDEV0001"


def _hours() -> tuple[dt.time, dt.time]:
    opens, _, closes = settings.WIRE_STR_SIM_HOURS.partition("-")
    return dt.time.fromisoformat(opens.strip()), dt.time.fromisoformat(closes.strip())


def str_is_open(now: dt.datetime) -> bool:
    local = now.astimezone(BRASILIA)
    opens, closes = _hours()
    return due_amounts.B3.is_business_day(local.date()) and opens <= local.time() < closes


def _reserves(ispb: str) -> StrReserves:
    initial = settings.WIRE_STR_SIM_RESERVES_CENTS if ispb == settings.ATHENA_ISPB else 10**15
    row, _ = StrReserves.objects.get_or_create(ispb=ispb, defaults={"balance": initial})
    return row


def _move(debtor: str, creditor: str, amount: int) -> bool:
    """Debit one reserves account and credit the other; False when the debtor lacks it."""
    _reserves(debtor)
    _reserves(creditor)
    moved = StrReserves.objects.filter(ispb=debtor, balance__gte=amount).update(
        balance=F("balance") - amount
    )
    if not moved:
        return False
    StrReserves.objects.filter(ispb=creditor).update(balance=F("balance") + amount)
    return True


def _answer(code: str, message: codec.Message, row: StrSettlement, now: dt.datetime) -> bytes:
    return codec.build(
        codec.Message(
            code=code,
            fields={
                "NumCtrlIF": message.get("NumCtrlIF"),
                "ISPBIFDebtd": message.get("ISPBIFDebtd"),
                "NumCtrlSTR": row.str_control_number,
                "SitLancSTR": row.status,
                "DtHrSit": codec.timestamp(brasilia_now(now)),
                "DtMovto": brasilia_now(now).date().isoformat(),
            },
            sender=settings.WIRE_STR_ISPB,
            receiver=message.get("ISPBIFDebtd"),
            operation=message.operation,
        )
    )


def _error(message: codec.Message, error_code: str) -> bytes:
    return codec.build(
        codec.Message(
            code=message.code,
            fields=message.fields,
            sender=settings.WIRE_STR_ISPB,
            receiver=message.sender,
            operation=message.operation,
            error_code=error_code,
        )
    )


def _queue(code: str, fields: dict, *, delay: float = 0.0, now: dt.datetime) -> None:
    xml = codec.build(
        codec.Message(
            code=code,
            fields=fields,
            sender=settings.WIRE_STR_ISPB,
            receiver=settings.ATHENA_ISPB,
            operation=f"{settings.WIRE_STR_ISPB}{StrDelivery.objects.count() + 1:013d}",
        )
    )
    StrDelivery.objects.create(
        code=code,
        xml=xml.decode("utf-8"),
        deliver_after=now + dt.timedelta(seconds=delay) if delay else None,
    )


def _bank_refusal(message: codec.Message) -> str:
    """What the credited bank says of the account: "" (credited) or a return reason."""
    account = StrBankAccount.objects.filter(
        ispb=message.get("ISPBIFCredtd"),
        branch=message.get("AgCredtd").zfill(4),
        number=message.get("CtCredtd").lstrip("0"),
    ).first()
    if account is None:
        return "2"
    if account.state == StrBankAccount.State.CLOSED:
        return "1"
    if account.state == StrBankAccount.State.FRAUD:
        return "9"
    if normalize_tax_id(account.holder_tax_id) != normalize_tax_id(
        message.get("CNPJ_CPFCliCredtd")
    ):
        return "3"
    return ""


class StrSimulator(StrClient):
    def __init__(self, now: dt.datetime | None = None) -> None:
        self._now = now

    def now(self) -> dt.datetime:
        return self._now or timezone.now()

    # -- the STR, for messages we send -------------------------------------------------

    def send(self, xml: bytes) -> bytes:
        try:
            message = codec.parse(xml)
        except codec.StrMessageError as exc:
            raise StrError(f"the STR refused an unreadable message: {exc}") from None
        if message.code not in ("STR0008", "STR0010"):
            raise StrError(f"the simulated STR takes STR0008 and STR0010, not {message.code}")
        with transaction.atomic():
            earlier = StrSettlement.objects.filter(
                sender_ispb=message.get("ISPBIFDebtd"), control_number=message.get("NumCtrlIF")
            ).first()
            if earlier is not None:
                return earlier.answer.encode("utf-8")
            try:
                with transaction.atomic():
                    return self._settle(message)
            except IntegrityError:  # the same message, sent twice at once
                earlier = StrSettlement.objects.get(
                    sender_ispb=message.get("ISPBIFDebtd"),
                    control_number=message.get("NumCtrlIF"),
                )
                return earlier.answer.encode("utf-8")

    def _settle(self, message: codec.Message) -> bytes:
        now = self.now()
        row = StrSettlement.objects.create(
            code=message.code,
            sender_ispb=message.get("ISPBIFDebtd"),
            receiver_ispb=message.get("ISPBIFCredtd"),
            control_number=message.get("NumCtrlIF"),
            original_str_control_number=message.get("NumCtrlSTROr"),
            amount=message.amount_cents,
        )
        refusal = self._refusal(message, now)
        if refusal:
            row.error_code = refusal
            row.answer = _error(message, refusal).decode("utf-8")
            row.save(update_fields=["error_code", "answer"])
            return row.answer.encode("utf-8")
        day = brasilia_now(now).date()
        row.str_control_number = codec.str_control_number(day, row.pk)
        if _move(row.sender_ispb, row.receiver_ispb, row.amount):
            row.status = codec.SETTLED
            row.settled_on = day
        else:
            row.status = codec.REJECTED_NO_FUNDS
        row.answer = _answer(f"{message.code}R1", message, row, now).decode("utf-8")
        row.save()
        if row.status == codec.SETTLED and message.code == "STR0008":
            self._credited_bank(message, row, now)
        return row.answer.encode("utf-8")

    def _refusal(self, message: codec.Message, now: dt.datetime) -> str:
        if not str_is_open(now):
            return OUTSIDE_HOURS
        bank = wire_selectors.bank_by_code(message.get("ISPBIFCredtd"))
        if bank is None or not bank.in_str:
            return UNKNOWN_PARTICIPANT
        if message.code == "STR0010":
            original = StrSettlement.objects.filter(
                str_control_number=message.get("NumCtrlSTROr"),
                receiver_ispb=message.get("ISPBIFDebtd"),
                amount=message.amount_cents,
                status=codec.SETTLED,
            ).exists()
            if not original:
                return UNKNOWN_ORIGINAL
        return ""

    def _credited_bank(self, message: codec.Message, row: StrSettlement, now: dt.datetime) -> None:
        """The other bank receives our TED: it credits it, or returns it (STR0010)."""
        reason = _bank_refusal(message)
        if not reason:
            return
        day = brasilia_now(now).date()
        back = StrSettlement.objects.create(
            code="STR0010",
            sender_ispb=row.receiver_ispb,
            receiver_ispb=row.sender_ispb,
            control_number=f"D{row.pk:019d}"[:20],
            original_str_control_number=row.str_control_number,
            amount=row.amount,
            status=codec.SETTLED,
            settled_on=day,
        )
        back.str_control_number = codec.str_control_number(day, back.pk)
        back.save(update_fields=["str_control_number"])
        _move(back.sender_ispb, back.receiver_ispb, back.amount)
        _queue(
            "STR0010R2",
            {
                "NumCtrlSTR": back.str_control_number,
                "DtHrBC": codec.timestamp(brasilia_now(now)),
                "ISPBIFDebtd": back.sender_ispb,
                "ISPBIFCredtd": back.receiver_ispb,
                "VlrLanc": codec.cents_to_amount(back.amount),
                "CodDevTransf": reason,
                "NumCtrlSTROr": row.str_control_number,
                "DtMovto": day.isoformat(),
            },
            delay=settings.WIRE_STR_SIM_RETURN_DELAY,
            now=now,
        )

    # -- our queue ---------------------------------------------------------------------

    def receive(self, limit: int = 100) -> list[tuple[str, bytes]]:
        now = self.now()
        rows = (
            StrDelivery.objects.filter(acknowledged=False)
            .exclude(deliver_after__gt=now)
            .order_by("pk")[:limit]
        )
        return [(str(row.pk), row.xml.encode("utf-8")) for row in rows]

    def acknowledge(self, ids: list[str]) -> None:
        StrDelivery.objects.filter(pk__in=[int(i) for i in ids]).update(acknowledged=True)

    # -- another bank's customer sends a TED to one of ours -----------------------------

    def inbound_ted(
        self,
        *,
        sender_ispb: str,
        sender_name: str,
        sender_tax_id: str,
        branch: str,
        account_number: str,
        holder_tax_id: str,
        amount_cents: int,
        sender_branch: str = "1",
        sender_account: str = "123456",
        purpose: str = "10",
    ) -> str:
        """Settle a TED from `sender_ispb` to our customer and queue its STR0008R2 for us;
        returns its NumCtrlSTR."""
        now = self.now()
        day = brasilia_now(now).date()
        holder = normalize_tax_id(holder_tax_id)
        sender_doc = normalize_tax_id(sender_tax_id)
        with transaction.atomic():
            row = StrSettlement.objects.create(
                code="STR0008",
                sender_ispb=sender_ispb,
                receiver_ispb=settings.ATHENA_ISPB,
                control_number=f"S{secrets.token_hex(9).upper()}",
                amount=amount_cents,
                status=codec.SETTLED,
                settled_on=day,
            )
            row.str_control_number = codec.str_control_number(day, row.pk)
            row.save(update_fields=["str_control_number"])
            _move(sender_ispb, settings.ATHENA_ISPB, amount_cents)
            _queue(
                "STR0008R2",
                {
                    "NumCtrlSTR": row.str_control_number,
                    "DtHrBC": codec.timestamp(brasilia_now(now)),
                    "ISPBIFDebtd": sender_ispb,
                    "AgDebtd": sender_branch,
                    "TpCtDebtd": "CC",
                    "CtDebtd": sender_account.lstrip("0") or "1",
                    "TpPessoaDebtd": "F" if len(sender_doc) == 11 else "J",
                    "CNPJ_CPFCliDebtd": sender_doc,
                    "NomCliDebtd": sender_name[:80],
                    "ISPBIFCredtd": settings.ATHENA_ISPB,
                    "AgCredtd": branch.lstrip("0") or "0",
                    "TpCtCredtd": "PG",
                    "CtCredtd": account_number.lstrip("0"),
                    "TpPessoaCredtd": "F" if len(holder) == 11 else "J",
                    "CNPJ_CPFCliCredtd": holder,
                    "NomCliCredtd": "Cliente",
                    "VlrLanc": codec.cents_to_amount(amount_cents),
                    "FinlddCli": purpose,
                    "DtMovto": day.isoformat(),
                },
                now=now,
            )
        return row.str_control_number


def register_bank_account(
    *,
    ispb: str,
    branch: str,
    number: str,
    holder_name: str,
    holder_tax_id: str,
    state: str = StrBankAccount.State.OPEN,
) -> StrBankAccount:
    """An account at another bank (tests, the demo data, the operators' console)."""
    row, _ = StrBankAccount.objects.update_or_create(
        ispb=ispb,
        branch=branch.zfill(4),
        number=number.lstrip("0"),
        defaults={
            "holder_name": holder_name[:80],
            "holder_tax_id": normalize_tax_id(holder_tax_id),
            "state": state,
        },
    )
    return row
