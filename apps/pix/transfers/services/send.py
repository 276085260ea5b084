"""Sending a Pix: pix_send (now or scheduled), pix_submit, pix_cancel_scheduled. The payee
is resolved in payees.py, the SPI answer handled by spi_submit.py, scheduled Pix run by
scheduled.py and inbound Pix received by receive.py (all in this package).

How the payer names the payee (exactly one; it sets the pacs.008's LocalInstrument):

    key        looked up in the DICT                                       DICT
    creditor   agency/account/ISPB typed in (an iso20022.Party)            MANU
    brcode     static code: its key, amount (fixed when present), txid     QRES
               dynamic code: the charge payload fetched from its location  QRDN
               (`apps.pix.charges.payloads.payload_for_location`): key, amount, txid

Outbound, to another PSP::

    pix_send: resolve the payee; in one transaction: limits, debit the payer to the
              reserves account (kind "pix_out"), pacs.008 built, state SENT
    pix_submit: hand the pacs.008 to the SPI; ACSC -> SETTLED; RJCT -> the money goes back
              (kind "pix_return") and REJECTED; no answer (SpiTimeout) -> stays SENT;
              RJCT DUPL (a resend of a message whose answer was lost) -> the SPI's status
              query decides: settled, rejected, or still unknown (stays SENT)

The debit is committed (or at least posted) before the SPI is asked, so the money the SPI
moves at BACEN has always left the payer's account first.

Internal (the payee is an Athena customer): one entry, payer to payee (kind "pix_internal"),
straight to SETTLED; the SPI never sees it (AG12). Paying one of our customers' charges
(a QR code's txid naming an active PixCharge) concludes the charge in the same transaction.

Scheduled (`scheduled_for`, a Brasilia date from tomorrow up to 12 months ahead): stored
SCHEDULED with the payee as resolved today, no money moved and no endToEndId yet (the id
carries the minute the Pix is really sent). `pix_run_scheduled` (beat, every minute) sends
the day's transfers from 06:00: the key is looked up again, limits are checked on the day,
and a refusal (funds, limits, payee gone) turns the transfer FAILED and tells the customer
(outbox topic "pix.scheduled_failed"). The SPI sees them with service level PAGAGD.
"""

from __future__ import annotations

import calendar
import logging
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Account, Customer
from apps.accounts.services import Leg, internal_account_id, money_gate_check, post_entry
from apps.core.documents import normalize_tax_id
from apps.core.errors import NotFound, ValidationFailed
from apps.core.fsm import (
    apply_transition,
    apply_transition_in_one_statement,
    create_in_one_statement,
)
from apps.core.money import format_brl
from apps.core.outbox import publish
from apps.core.timezones import BRASILIA
from apps.core.transactions import now_or_after_commit
from apps.pix.charges import payloads as charge_payloads
from apps.pix.codecs import e2e
from apps.pix.codecs.iso20022 import (
    CreditTransfer,
    LocalInstrument,
    Party,
    PaymentStatus,
    Priority,
    ServiceLevel,
    build_pacs008,
)
from apps.pix.models import PixCharge, PixTransfer
from apps.pix.transfers.errors import (
    PixChargeAmountMismatch,
    PixChargeNotPayable,
    PixNotScheduled,
)
from apps.pix.transfers.services.payees import (
    ACCOUNT_TYPE,
    _actor_id,
    _amount_for,
    _check_amount,
    _check_sender,
    _counterparty_fields,
    _creditor_of,
    _internal_payee,
    _Payee,
    _resolve,
    _screen_payee,
)
from apps.pix.transfers.services.spi_submit import RESERVES, submit_to_spi, xml_text

logger = logging.getLogger(__name__)

SCHEDULE_MAX_MONTHS = 12
Initiation = PixTransfer.Initiation


# --- the payee ----------------------------------------------------------------------------


# --- sending ------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_schedule_date(scheduled_for: object, now: datetime) -> date:
    if not isinstance(scheduled_for, date) or isinstance(scheduled_for, datetime):
        raise ValidationFailed(_("The date must be a calendar day."), field="scheduled_for")
    today = now.astimezone(BRASILIA).date()
    last = _add_months(today, SCHEDULE_MAX_MONTHS)
    if not today < scheduled_for <= last:
        raise ValidationFailed(
            _("A Pix can be scheduled from tomorrow up to %(last)s.")
            % {"last": last.strftime("%d/%m/%Y")},
            field="scheduled_for",
            value=scheduled_for.isoformat(),
        )
    return scheduled_for


def _charge_amount_due(charge: PixCharge, at: datetime) -> int | None:
    """What an ATIVA charge asks of a payment at `at`: None when it cannot be paid then
    (expired), 0 when any amount will do (a cob with modalidadeAlteracao 1)."""
    if not charge_payloads.is_payable_at(charge, at):
        return None
    if charge.kind == PixCharge.Kind.COB:
        return 0 if charge.amount_editable else charge.amount
    return charge_payloads.cobv_amount_due(charge, charge_payloads.brasilia_date(at)).final


def _pay_internal_charge(
    transfer: PixTransfer, payee_account: Account, *, by, now: datetime
) -> PixCharge | None:
    """An internal Pix naming one of the payee's charges by txid concludes it.

    `charges.charge_payment_received` does this for inbound Pix only (it checks the
    direction); an internal Pix is a single OUT record, so the link is made here, with the
    same rules. A static code's txid (at most 25 characters) never names a charge (26-35)."""
    if not transfer.tx_id:
        return None
    charge = (
        PixCharge.objects.select_for_update(of=("self",))
        .filter(customer_id=payee_account.customer_id, txid=transfer.tx_id)
        .first()
    )
    if charge is None:
        return None
    due = _charge_amount_due(charge, now) if charge.status == PixCharge.Status.ATIVA else None
    if due is None:
        raise PixChargeNotPayable(
            _("This charge can no longer be paid."), field="brcode", value=charge.status
        )
    if due and transfer.amount != due:
        raise PixChargeAmountMismatch(
            _("This charge is for %(amount)s.") % {"amount": format_brl(due)}, field="amount"
        )
    transfer.charge = charge
    apply_transition(charge, "conclude", by=by, reason=transfer.end_to_end_id or "")
    return charge


def _move_money(
    transfer: PixTransfer,
    *,
    customer: Customer,
    payee_account: Account | None,
    actor,
    by,
    now: datetime,
    scheduled: bool = False,
) -> None:
    """Debit the payer: to the payee (internal, SETTLED) or to the reserves account with
    the pacs.008 built (SENT). Runs inside the caller's transaction."""
    account = transfer.account
    amount = transfer.amount
    metadata = {"end_to_end_id": transfer.end_to_end_id}
    if payee_account is not None:
        _pay_internal_charge(transfer, payee_account, by=by, now=now)
        entry_id = post_entry(
            kind="pix_internal",
            legs=[Leg(account.pk, -amount), Leg(payee_account.pk, amount)],
            description=transfer.description or "Pix",
            reference_type="pix_transfer",
            reference_id=transfer.pk,
            created_by_id=_actor_id(actor),
            metadata=metadata,
        )
        transfer.debit_entry_id = transfer.credit_entry_id = entry_id
        transfer.payee_account = payee_account
        apply_transition_in_one_statement(transfer, "settle", by=by, reason="internal Pix")
        # The payee is told as for any Pix received (live, e-mail, its integrator's webhook).
        publish(topic="pix.received", payload={"transfer_id": transfer.pk})
        return
    transfer.debit_entry_id = post_entry(
        kind="pix_out",
        legs=[Leg(account.pk, -amount), Leg(internal_account_id(RESERVES), amount)],
        description=transfer.description or "Pix",
        reference_type="pix_transfer",
        reference_id=transfer.pk,
        created_by_id=_actor_id(actor),
        metadata=metadata,
    )
    transfer.pacs008 = xml_text(build_pacs008(_credit_transfer(transfer, customer, scheduled)))
    apply_transition_in_one_statement(transfer, "send", by=by)


def _credit_transfer(
    transfer: PixTransfer, customer: Customer, scheduled: bool = False
) -> CreditTransfer:
    own_ispb = settings.ATHENA_ISPB
    account = transfer.account
    return CreditTransfer(
        msg_id=e2e.new_msg_id(own_ispb),
        created_at=timezone.now(),
        sender_ispb=own_ispb,
        end_to_end_id=transfer.end_to_end_id,
        amount_cents=transfer.amount,
        debtor=Party(
            name=customer.full_name[:140],
            tax_id=normalize_tax_id(customer.tax_id),
            ispb=own_ispb,
            branch=account.branch,
            account_number=account.number,
            account_type=ACCOUNT_TYPE,
        ),
        creditor=_creditor_of(transfer),
        # The catalogue's service level for a scheduled Pix (PAGAGD) goes with NORM.
        service_level=ServiceLevel.PAGAGD if scheduled else ServiceLevel.PAGPRI,
        priority=Priority.NORM if scheduled else Priority.HIGH,
        initiation=LocalInstrument(transfer.initiation),
        tx_id=transfer.tx_id or None,
        remittance_info=transfer.description or None,
    )


def pix_send(
    *,
    account: Account,
    key: str | None = None,
    creditor: Party | None = None,
    brcode: str | None = None,
    amount_cents: int | None = None,
    description: str = "",
    scheduled_for: date | None = None,
    actor=None,
    now: datetime | None = None,
) -> PixTransfer:
    """Send (or schedule) a Pix to a key, a typed-in account or a BR Code's payee."""
    customer = _check_sender(account)
    if amount_cents is not None:
        _check_amount(amount_cents)
    if not isinstance(description, str):
        raise ValidationFailed(_("The description must be text."), field="description")
    clock = now or timezone.now()
    if scheduled_for is not None:
        _check_schedule_date(scheduled_for, clock)
    # The id is made before the look-up, which must name it (PI-EndToEndId).
    end_to_end_id = e2e.new_end_to_end_id(settings.ATHENA_ISPB)
    payee, dynamic = _resolve(
        account,
        key=key,
        creditor=creditor,
        brcode=brcode,
        end_to_end_id=end_to_end_id,
        now=clock,
    )
    amount = _amount_for(payee, amount_cents)
    _screen_payee(payee, record=False)
    description = (description or payee.code_description or "")[:140]
    by = actor or "customer"
    if scheduled_for is not None:
        if dynamic:
            raise ValidationFailed(
                _("A dynamic QR code is paid at once; it cannot be scheduled."),
                field="scheduled_for",
            )
        return _schedule(
            account=account,
            payee=payee,
            amount=amount,
            description=description,
            scheduled_for=scheduled_for,
            by=by,
        )
    with transaction.atomic():
        money_gate_check(account=account, product="pix", amount_cents=amount, now=now)
        fields = _counterparty_fields(payee)
        payee_account = _internal_payee(payee.creditor, account) if fields["internal"] else None
        transfer = PixTransfer(
            direction=PixTransfer.Direction.OUT,
            end_to_end_id=end_to_end_id,
            account=account,
            amount=amount,
            description=description,
            initiation=payee.initiation,
            tx_id=payee.tx_id or "",
            **fields,
        )
        transfer.derive_fields()
        create_in_one_statement(transfer)
        _move_money(
            transfer,
            customer=customer,
            payee_account=payee_account,
            actor=actor,
            by=by,
            now=clock,
        )
    if transfer.internal:
        return transfer
    # The SPI must only see a committed debit: inside a caller's transaction (the API's
    # idempotency wrapper) the message goes out after commit and the caller answers with
    # the transfer as SENT; beat retries what stays SENT.
    transfer_id = transfer.pk
    return now_or_after_commit(lambda: pix_submit(transfer_id, known=transfer)) or transfer


def _schedule(
    *, account: Account, payee: _Payee, amount: int, description: str, scheduled_for: date, by
) -> PixTransfer:
    fields = _counterparty_fields(payee)
    with transaction.atomic():
        if fields["internal"]:
            _internal_payee(payee.creditor, account)  # refuse now what would fail on the day
        transfer = PixTransfer.objects.create(
            direction=PixTransfer.Direction.OUT,
            end_to_end_id=None,
            account=account,
            amount=amount,
            description=description,
            initiation=payee.initiation,
            tx_id=payee.tx_id or "",
            scheduled_for=scheduled_for,
            **fields,
        )
        apply_transition(transfer, "schedule", by=by, reason=f"for {scheduled_for.isoformat()}")
    return transfer


def pix_cancel_scheduled(*, transfer_id: int, account: Account, actor=None) -> PixTransfer:
    """Cancel one of the account's SCHEDULED Pix (no money had moved)."""
    with transaction.atomic():
        transfer = (
            PixTransfer.objects.select_for_update()
            .filter(pk=transfer_id, account_id=account.pk, direction=PixTransfer.Direction.OUT)
            .first()
        )
        if transfer is None:
            raise NotFound(_("Pix transfer not found."))
        if transfer.state != PixTransfer.State.SCHEDULED:
            raise PixNotScheduled(
                _("Only a scheduled Pix can be cancelled; this one is %(state)s.")
                % {"state": transfer.get_state_display()}
            )
        apply_transition(transfer, "cancel", by=actor or "customer", reason="by the customer")
    return transfer


def pix_submit(transfer_id: int, *, known: PixTransfer | None = None) -> PixTransfer:
    """Hand a SENT transfer's pacs.008 to the SPI and act on the answer (spi_submit).

    Without an answer (SpiTimeout, SPI unavailable) the transfer stays SENT, to be sent
    again. A resend of a message the SPI already processed is RJCT DUPL: the status query
    then gives the real outcome (see adapters.spi.final_status). `known`: the transfer as
    its sender just committed it, not read again."""
    return submit_to_spi(
        model=PixTransfer,
        pk=transfer_id,
        known=known,
        pending_state=PixTransfer.State.SENT,
        message=lambda transfer: transfer.pacs008,
        message_id=lambda transfer: transfer.end_to_end_id,
        send=lambda client, message: client.send_credit_transfer(message),
        on_settled=_settled,
        on_rejected=_rejected,
        what="pix",
        log_key="end_to_end_id",
    )


def _settled(transfer: PixTransfer, status: PaymentStatus) -> None:
    apply_transition_in_one_statement(transfer, "settle", by="spi", reason=str(status.status))


def _rejected(transfer: PixTransfer, status: PaymentStatus, reason: str) -> None:
    transfer.return_entry_id = post_entry(
        kind="pix_return",
        legs=[
            Leg(internal_account_id(RESERVES), -transfer.amount),
            Leg(transfer.account_id, transfer.amount),
        ],
        description="Pix rejected: money returned",
        reference_type="pix_transfer",
        reference_id=transfer.pk,
        metadata={"end_to_end_id": transfer.end_to_end_id, "reason": status.reason_code},
    )
    apply_transition_in_one_statement(transfer, "reject", by="spi", reason=reason)


# --- scheduled Pix ------------------------------------------------------------------------


# --- receiving ----------------------------------------------------------------------------
