"""Pix transfers: sending (pix_send + pix_submit) and receiving (pix_receive).

Outbound, to another PSP::

    pix_send: look the key up in the DICT; in one transaction: limits, debit the payer to
              the reserves account (kind "pix_out"), pacs.008 built, state SENT
    pix_submit: hand the pacs.008 to the SPI; ACSC -> SETTLED; RJCT -> the money goes back
              (kind "pix_return") and REJECTED; no answer (SpiTimeout) -> stays SENT

The debit is committed (or at least posted) before the SPI is asked, so the money the SPI
moves at BACEN has always left the payer's account first.

Internal (the payee is an Athena customer): one entry, payer to payee (kind "pix_internal"),
straight to SETTLED; the SPI never sees it (AG12).

Inbound: `pix_receive(pacs.008)` credits our customer from the reserves account (kind
"pix_in"), once per endToEndId however often the message is delivered.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts import limits
from apps.accounts.ledger import Leg, post_entry
from apps.accounts.models import Account, Customer
from apps.accounts.services import internal_account
from apps.core.documents import normalize_tax_id
from apps.core.errors import DomainError, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.outbox import publish
from apps.core.transactions import now_or_after_commit
from apps.pix import e2e
from apps.pix.adapters import dict_client
from apps.pix.adapters.spi import SpiError, spi_client
from apps.pix.charges import charge_payment_received
from apps.pix.iso20022 import (
    CreditTransfer,
    LocalInstrument,
    Party,
    TxStatus,
    build_pacs008,
    parse_pacs002,
    parse_pacs008,
)
from apps.pix.models import PixKey, PixTransfer

logger = logging.getLogger(__name__)

ACCOUNT_TYPE = "TRAN"  # our accounts are payment accounts (as in the DICT)
RESERVES = "reserves_bacen"


class PixAccountNotFound(DomainError):
    """The creditor account of a Pix is not ours (the SPI gets RJCT AC03)."""

    code = "pix_account_not_found"
    title = "Unknown creditor account"
    spi_reason = "AC03"


def _text(xml: bytes | str) -> str:
    return xml.decode() if isinstance(xml, bytes) else xml


def _own_account(*, branch: str | None, number: str) -> Account | None:
    queryset = Account.objects.filter(kind=Account.Kind.CUSTOMER, number=number)
    if branch:
        queryset = queryset.filter(branch=branch)
    return queryset.select_related("customer").first()


def _payee_by_key(account: Account, key: str) -> tuple[Party, str]:
    from apps.pix.services import requester_of

    entry = dict_client().get_entry(key=key, requester=requester_of(account.customer))
    party = Party(
        tax_id=normalize_tax_id(entry.owner.tax_id),
        ispb=entry.account.participant,
        branch=entry.account.branch or None,
        account_number=entry.account.account_number,
        account_type=entry.account.account_type,
        pix_key=entry.key,
    )
    return party, entry.owner.name


def _check_sender(account: Account, amount_cents: int) -> Customer:
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationFailed("Amount must be greater than zero.", field="amount")
    if account.kind != Account.Kind.CUSTOMER or account.customer_id is None:
        raise ValidationFailed("Pix is sent from customer accounts.", field="account")
    return account.customer


def pix_send(
    *,
    account: Account,
    key: str | None = None,
    creditor: Party | None = None,
    amount_cents: int,
    description: str = "",
    actor=None,
    now: datetime | None = None,
) -> PixTransfer:
    """Send a Pix to a key (looked up in the DICT) or to a creditor given by hand."""
    customer = _check_sender(account, amount_cents)
    if (key is None) == (creditor is None):
        raise ValidationFailed("Give either a Pix key or the creditor's account.", field="key")
    if key is not None:
        creditor, creditor_name = _payee_by_key(account, key)
    else:
        creditor_name = creditor.name or ""
    own_ispb = settings.ATHENA_ISPB
    internal = creditor.ispb == own_ispb
    by = actor or "customer"
    with transaction.atomic():
        limits.check(account=account, product="pix", amount_cents=amount_cents, now=now)
        payee = None
        if internal:
            payee = _own_account(branch=creditor.branch, number=creditor.account_number)
            if payee is None:
                raise PixAccountNotFound("No Athena account matches the creditor.")
            if payee.pk == account.pk:
                raise ValidationFailed("A Pix cannot go to the same account.", field="key")
        transfer = PixTransfer.objects.create(
            direction=PixTransfer.Direction.OUT,
            end_to_end_id=e2e.new_end_to_end_id(own_ispb),
            account=account,
            amount=amount_cents,
            internal=internal,
            counterparty_name=creditor_name[:140],
            counterparty_tax_id=creditor.tax_id,
            counterparty_ispb=creditor.ispb,
            counterparty_branch=creditor.branch or "",
            counterparty_account_number=creditor.account_number,
            counterparty_account_type=str(creditor.account_type),
            counterparty_key=creditor.pix_key or "",
            description=description[:140],
        )
        created_by = (
            getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
        )
        if internal:
            entry_id = post_entry(
                kind="pix_internal",
                legs=[Leg(account.pk, -amount_cents), Leg(payee.pk, amount_cents)],
                description=description or "Pix",
                reference_type="pix_transfer",
                reference_id=transfer.pk,
                created_by_id=created_by,
                metadata={"end_to_end_id": transfer.end_to_end_id},
            )
            transfer.debit_entry_id = transfer.credit_entry_id = entry_id
            apply_transition(transfer, "settle", by=by, reason="internal Pix")
            return transfer
        entry_id = post_entry(
            kind="pix_out",
            legs=[
                Leg(account.pk, -amount_cents),
                Leg(internal_account(RESERVES).pk, amount_cents),
            ],
            description=description or "Pix",
            reference_type="pix_transfer",
            reference_id=transfer.pk,
            created_by_id=created_by,
            metadata={"end_to_end_id": transfer.end_to_end_id},
        )
        transfer.debit_entry_id = entry_id
        transfer.pacs008 = _text(build_pacs008(_credit_transfer(transfer, customer, creditor)))
        apply_transition(transfer, "send", by=by)
    # The SPI must only see a committed debit: inside a caller's transaction (the API's
    # idempotency wrapper) the message goes out after commit and the caller answers with
    # the transfer as SENT; beat retries what stays SENT.
    transfer_id = transfer.pk
    return now_or_after_commit(lambda: pix_submit(transfer_id)) or transfer


def _credit_transfer(transfer: PixTransfer, customer: Customer, creditor: Party) -> CreditTransfer:
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
        creditor=creditor,
        initiation=LocalInstrument.DICT if creditor.pix_key else LocalInstrument.MANU,
        remittance_info=transfer.description or None,
    )


def pix_submit(transfer_id: int) -> PixTransfer:
    """Hand a SENT transfer's pacs.008 to the SPI and act on the answer.

    Without an answer (SpiTimeout, SPI unavailable) the transfer stays SENT, to be sent
    again (the SPI processes a message it never recorded as new)."""
    transfer = PixTransfer.objects.get(pk=transfer_id)
    if transfer.state != PixTransfer.State.SENT:
        return transfer
    try:
        answer = spi_client().send_credit_transfer(transfer.pacs008.encode())
    except SpiError as exc:
        logger.warning(
            "pix not answered by the SPI: %s", exc, extra={"end_to_end_id": transfer.end_to_end_id}
        )
        return transfer
    status = parse_pacs002(answer)
    with transaction.atomic():
        transfer = PixTransfer.objects.select_for_update().get(pk=transfer_id)
        if transfer.state != PixTransfer.State.SENT:
            return transfer
        transfer.pacs002 = _text(answer)
        if status.status in (TxStatus.ACSC, TxStatus.ACCC):
            apply_transition(transfer, "settle", by="spi", reason=str(status.status))
        elif status.status == TxStatus.RJCT:
            transfer.return_entry_id = post_entry(
                kind="pix_return",
                legs=[
                    Leg(internal_account(RESERVES).pk, -transfer.amount),
                    Leg(transfer.account_id, transfer.amount),
                ],
                description="Pix rejected: money returned",
                reference_type="pix_transfer",
                reference_id=transfer.pk,
                metadata={"end_to_end_id": transfer.end_to_end_id, "reason": status.reason_code},
            )
            info = "; ".join(status.additional_info)
            reason = f"{status.reason_code}: {info}" if info else str(status.reason_code)
            apply_transition(transfer, "reject", by="spi", reason=reason)
        else:  # ACSP: accepted, settlement pending; the final answer comes later
            transfer.save(update_fields=["pacs002", "updated_at"])
    return transfer


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
    return account


def pix_receive(xml: bytes | str) -> PixTransfer:
    """Credit an inbound Pix (a pacs.008 the SPI delivered); idempotent on endToEndId."""
    ct = parse_pacs008(xml)
    if ct.creditor.ispb != settings.ATHENA_ISPB:
        raise PixAccountNotFound(f"This Pix is for participant {ct.creditor.ispb}, not us.")
    existing = PixTransfer.objects.filter(end_to_end_id=ct.end_to_end_id).first()
    if existing is not None:
        return existing
    account = _creditor_account(ct)
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
                pacs008=_text(xml),
            )
            charge_payment_received(transfer)
            transfer.credit_entry_id = post_entry(
                kind="pix_in",
                legs=[
                    Leg(internal_account(RESERVES).pk, -ct.amount_cents),
                    Leg(account.pk, ct.amount_cents),
                ],
                description=ct.remittance_info or "Pix received",
                reference_type="pix_transfer",
                reference_id=transfer.pk,
                metadata={"end_to_end_id": ct.end_to_end_id},
            )
            apply_transition(transfer, "settle", by="spi", reason="received")
            publish(topic="pix.received", payload={"transfer_id": transfer.pk})
    except IntegrityError:
        # The same message delivered twice at once: the other delivery credited it.
        existing = PixTransfer.objects.filter(end_to_end_id=ct.end_to_end_id).first()
        if existing is None:
            raise
        return existing
    return transfer
