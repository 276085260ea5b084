"""Receiving a Pix from the SPI: `pix_receive(pacs.008)` credits our customer from the
reserves account (kind "pix_in"), once per endToEndId however often the message is
delivered; `pix_receive_and_answer` wraps it into the pacs.002 we answer the SPI with."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.errors import AccountUnavailable
from apps.accounts.models import Account
from apps.accounts.services import Leg, internal_account_id, post_entry
from apps.core.errors import DomainError
from apps.core.fsm import apply_transition_in_one_statement
from apps.core.money import format_brl
from apps.core.outbox import publish
from apps.core.timezones import BRASILIA
from apps.pix.adapters.spi import lenient_id
from apps.pix.charges.services import charge_payment_received
from apps.pix.codecs import e2e
from apps.pix.codecs.iso20022 import (
    SPI_ISPB,
    CreditTransfer,
    Iso20022Error,
    PaymentStatus,
    TxStatus,
    build_pacs002,
    parse_pacs008,
)
from apps.pix.models import PixCharge, PixKey, PixTransfer
from apps.pix.transfers.errors import (
    PixAccountBlocked,
    PixAccountClosed,
    PixAccountNotFound,
    PixChargeAmountMismatch,
)
from apps.pix.transfers.services.payees import _own_account
from apps.pix.transfers.services.send import _charge_amount_due
from apps.pix.transfers.services.spi_submit import RESERVES, xml_text


def _creditor_account(ct: CreditTransfer) -> Account:
    account = _own_account(branch=ct.creditor.branch, number=ct.creditor.account_number)
    if account is None and ct.creditor.pix_key:
        pix_key = (
            PixKey.objects.filter(key=ct.creditor.pix_key, state=PixKey.State.ACTIVE)
            .select_related("account")
            .first()
        )
        account = pix_key.account if pix_key else None
    if account is None:
        raise PixAccountNotFound("No Athena account matches the creditor of this Pix.")
    if account.state == Account.State.CLOSED:
        raise PixAccountClosed("The creditor account of this Pix is closed.")
    if account.state == Account.State.BLOCKED:
        raise PixAccountBlocked("The creditor account of this Pix is blocked.")
    return account


def _check_charge_amount(account: Account, ct: CreditTransfer) -> None:
    """A Pix naming an active charge that asks a definite amount must pay exactly it."""
    if not ct.tx_id:
        return
    charge = PixCharge.objects.filter(
        customer_id=account.customer_id, txid=ct.tx_id, status=PixCharge.Status.ATIVA
    ).first()
    if charge is None:
        return
    due = _charge_amount_due(charge, timezone.now())
    if due and ct.amount_cents != due:
        raise PixChargeAmountMismatch(
            f"The charge {ct.tx_id} asks {format_brl(due)}, not {format_brl(ct.amount_cents)}."
        )


def pix_receive(xml: bytes | str) -> PixTransfer:
    """Credit an inbound Pix (a pacs.008 the SPI delivered); idempotent on endToEndId."""
    ct = parse_pacs008(xml)
    if ct.creditor.ispb != settings.ATHENA_ISPB:
        raise PixAccountNotFound(f"This Pix is for participant {ct.creditor.ispb}, not us.")
    existing = PixTransfer.objects.filter(end_to_end_id=ct.end_to_end_id).first()
    if existing is not None:
        return existing
    account = _creditor_account(ct)
    _check_charge_amount(account, ct)
    try:
        with transaction.atomic():
            transfer = PixTransfer.objects.create(
                direction=PixTransfer.Direction.IN,
                end_to_end_id=ct.end_to_end_id,
                account=account,
                amount=ct.amount_cents,
                counterparty_name=(ct.debtor.name or "")[:140],
                counterparty_tax_id=ct.debtor.tax_id,
                counterparty_ispb=ct.debtor.ispb,
                counterparty_branch=ct.debtor.branch or "",
                counterparty_account_number=ct.debtor.account_number,
                counterparty_account_type=str(ct.debtor.account_type),
                counterparty_key=ct.creditor.pix_key or "",
                description=(ct.remittance_info or "")[:140],
                initiation=str(ct.initiation),
                tx_id=ct.tx_id or "",
                pacs008=xml_text(xml),
            )
            charge_payment_received(transfer)
            transfer.credit_entry_id = post_entry(
                kind="pix_in",
                legs=[
                    Leg(internal_account_id(RESERVES), -ct.amount_cents),
                    Leg(account.pk, ct.amount_cents),
                ],
                description=ct.remittance_info or "Pix received",
                reference_type="pix_transfer",
                reference_id=transfer.pk,
                metadata={"end_to_end_id": ct.end_to_end_id},
            )
            apply_transition_in_one_statement(transfer, "settle", by="spi", reason="received")
            publish(topic="pix.received", payload={"transfer_id": transfer.pk})
    except IntegrityError:
        # The same message delivered twice at once: the other delivery credited it.
        existing = PixTransfer.objects.filter(end_to_end_id=ct.end_to_end_id).first()
        if existing is None:
            raise
        return existing
    return transfer


#: The reason of a refusal that names none (a rule of ours said no): "error at the
#: creditor agent".
DEFAULT_REJECT_REASON = "AB09"


def _spi_reason(error: DomainError) -> str:
    reason = getattr(error, "spi_reason", None)
    if reason:
        return reason
    if isinstance(error, AccountUnavailable):  # the ledger refused a credit meanwhile
        return PixAccountBlocked.spi_reason
    return DEFAULT_REJECT_REASON


def _placeholder_end_to_end_id(now: datetime) -> str:
    # When not even the endToEndId can be read, the answer names the minute, as the SPI
    # simulator does for messages it cannot read.
    return f"E{SPI_ISPB}{now.astimezone(UTC).strftime('%Y%m%d%H%M')}" + "0" * 11


def pix_receive_and_answer(xml: bytes | str) -> bytes:
    """Receive an inbound pacs.008 and return the pacs.002 we answer the SPI with: ACSC
    when it was credited (now or by an earlier delivery), RJCT with the refusal's reason
    otherwise (AC03 unknown account, AC06 blocked, AC07 closed, AM09 amount differing from
    the fixed amount of the active charge its txid names, CH16 unreadable message).

    Errors that are not a refusal (the database down) propagate: no answer is better than
    a wrong one, and the SPI delivers again."""
    now = timezone.now()
    own = settings.ATHENA_ISPB
    reason: str | None = None
    info: str | None = None
    settled_at: datetime | None = None
    try:
        ct = parse_pacs008(xml)
        end_to_end_id = ct.end_to_end_id
    except Iso20022Error as exc:
        end_to_end_id = lenient_id(xml, "EndToEndId", "E") or _placeholder_end_to_end_id(now)
        reason, info = "CH16", str(exc)
    if reason is None:
        try:
            transfer = pix_receive(xml)
        except DomainError as error:
            reason, info = _spi_reason(error), error.message
        else:
            settled_at = transfer.settled_at or now
    status = PaymentStatus(
        msg_id=e2e.new_msg_id(own),
        created_at=now,
        sender_ispb=own,
        receiver_ispb=SPI_ISPB,
        original_end_to_end_id=end_to_end_id,
        status=TxStatus.RJCT if reason else TxStatus.ACSC,
        reason_code=reason,
        additional_info=(info[:105],) if info else (),
        settled_at=settled_at,
        settlement_date=settled_at.astimezone(BRASILIA).date() if settled_at else None,
    )
    return build_pacs002(status)
