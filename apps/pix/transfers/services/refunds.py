"""Refunds (devoluções) of Pix our customers received: pacs.004 to the SPI.

    refund_request: in one transaction, with the Pix's row locked: idempotency on the
              client's `id`, the rules (inbound settled Pix, within 90 days, the refunds not
              refused add up to at most the original amount), debit the customer to the
              reserves account (kind "pix_refund"), pacs.004 built, state EM_PROCESSAMENTO
    refund_submit: hand the pacs.004 to the SPI; ACSC -> DEVOLVIDO; RJCT -> the money goes
              back to the customer (kind "pix_refund_return") and NAO_REALIZADO; no answer
              (SpiTimeout, SPI unavailable) -> stays EM_PROCESSAMENTO, to be submitted again

Locking the Pix's row serialises every refund of one Pix, so concurrent requests can neither
exceed the original amount nor create one `id` twice. What is left to refund counts every
movement of the Pix (selectors.refundable_cents): refunds, and reversals of its credit by
operations, read with the receiving account's row locked, the lock a reversal's debit takes.

`refunded_total` is re-exported for the MED services.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.services import Leg, account_lock_available, internal_account_id, post_entry
from apps.core.errors import ValidationFailed
from apps.core.fsm import apply_transition_in_one_statement
from apps.core.money import format_brl
from apps.core.transactions import now_or_after_commit
from apps.pix import locks
from apps.pix.codecs import e2e
from apps.pix.codecs.iso20022 import (
    PaymentReturn,
    PaymentStatus,
    ReturnReason,
    build_pacs004,
)
from apps.pix.models import PixRefund, PixTransfer
from apps.pix.transfers.errors import RefundExceedsOriginal, RefundIdConflict, RefundNotAllowed
from apps.pix.transfers.selectors import refundable_cents, refunded_total, reversed_total
from apps.pix.transfers.services.spi_submit import RESERVES, submit_to_spi, xml_text

logger = logging.getLogger(__name__)

REFUND_WINDOW = timedelta(days=90)  # Regulamento Pix: devolução up to 90 days after the Pix
_REFUND_ID_RE = re.compile(r"\A[a-zA-Z0-9]{1,35}\Z")


def _check_refundable(transfer: PixTransfer, amount_cents: int, now: datetime) -> None:
    """Called with the Pix's row and its receiving account's row locked (refund_request)."""
    if transfer.receiving_account_id is None:
        raise RefundNotAllowed(_("Only a Pix received can be refunded."))
    if transfer.state != PixTransfer.State.SETTLED:
        raise RefundNotAllowed(_("Only a settled Pix can be refunded."))
    received_at = transfer.settled_at or transfer.created_at
    if now - received_at > REFUND_WINDOW:
        raise RefundNotAllowed(_("A Pix can be refunded up to 90 days after it was received."))
    left = refundable_cents(transfer)
    if amount_cents > left:
        raise RefundExceedsOriginal(
            _(
                "Refunds would exceed the original amount: %(original)s, %(refunded)s refunded "
                "or in progress, %(reversed)s reversed, %(asked)s asked."
            ),
            params={
                "original": format_brl(transfer.amount),
                "refunded": format_brl(refunded_total(transfer)),
                "reversed": format_brl(reversed_total(transfer)),
                "asked": format_brl(amount_cents),
            },
        )


def refund_request(
    *,
    transfer: PixTransfer,
    refund_id: str,
    amount_cents: int,
    description: str = "",
    actor=None,
    reason_code: ReturnReason | str = ReturnReason.MD06,
    now: datetime | None = None,
) -> PixRefund:
    """Refund (part of) an inbound Pix; idempotent on (transfer, refund_id)."""
    if not isinstance(refund_id, str) or not _REFUND_ID_RE.match(refund_id):
        raise ValidationFailed(_("The refund id must be 1 to 35 letters or digits."), field="id")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationFailed(_("Amount must be greater than zero."), field="amount")
    reason = str(reason_code)
    if reason not in ReturnReason.__members__:
        raise ValidationFailed(
            _("Unknown return reason code %(code)r."), params={"code": reason}, field="reason_code"
        )
    now = now or timezone.now()
    own_ispb = settings.ATHENA_ISPB
    by = actor or "customer"
    with transaction.atomic():
        locked = locks.transfer_for_update(transfer.pk)
        existing = PixRefund.objects.filter(transfer=locked, refund_id=refund_id).first()
        if existing is not None:
            if existing.amount != amount_cents:
                raise RefundIdConflict(
                    _(
                        "Refund %(id)s of this Pix already exists with amount %(existing)s, "
                        "not %(asked)s."
                    ),
                    params={
                        "id": refund_id,
                        "existing": format_brl(existing.amount),
                        "asked": format_brl(amount_cents),
                    },
                )
            return existing
        if locked.receiving_account_id is not None:
            # The account row too: a reversal of the Pix's credit debits this account, so it
            # waits for this lock (or this check waits for it and then sees it committed).
            account_lock_available(account_id=locked.receiving_account_id)
        _check_refundable(locked, amount_cents, now)
        refund = PixRefund.objects.create(
            transfer=locked,
            refund_id=refund_id,
            return_id=e2e.new_return_id(own_ispb, now),
            amount=amount_cents,
            reason_code=reason,
            description=description[:140],
        )
        created_by = (
            getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
        )
        if locked.internal:
            return _refund_internally(locked, refund, by=by, created_by=created_by)
        refund.debit_entry_id = post_entry(
            kind="pix_refund",
            legs=[
                Leg(locked.account_id, -amount_cents),
                Leg(internal_account_id(RESERVES), amount_cents),
            ],
            description=description or "Pix refund",
            reference_type="pix_refund",
            reference_id=refund.pk,
            created_by_id=created_by,
            metadata={
                "end_to_end_id": locked.end_to_end_id,
                "return_id": refund.return_id,
                "refund_id": refund_id,
                "by": str(by),
            },
        )
        refund.pacs004 = xml_text(
            build_pacs004(
                PaymentReturn(
                    msg_id=e2e.new_msg_id(own_ispb),
                    created_at=now,
                    sender_ispb=own_ispb,
                    return_id=refund.return_id,
                    original_end_to_end_id=locked.end_to_end_id,
                    amount_cents=amount_cents,
                    reason_code=reason,
                    debtor_ispb=own_ispb,
                    creditor_ispb=locked.counterparty_ispb,
                    remittance_info=refund.description or None,
                )
            )
        )
        refund.save(update_fields=["debit_entry_id", "pacs004", "updated_at"])
    # The SPI must only see a committed debit (see now_or_after_commit).
    refund_pk = refund.pk
    return now_or_after_commit(lambda: refund_submit(refund_pk)) or refund


def _refund_internally(transfer: PixTransfer, refund: PixRefund, *, by, created_by) -> PixRefund:
    """An internal Pix (both sides at Athena) is refunded as it was paid: one entry, payee to
    payer, DEVOLVIDO at once; the SPI never sees it, as it never saw the Pix."""
    refund.debit_entry_id = post_entry(
        kind="pix_refund",
        legs=[
            Leg(transfer.payee_account_id, -refund.amount),
            Leg(transfer.account_id, refund.amount),
        ],
        description=refund.description or "Pix refund",
        reference_type="pix_refund",
        reference_id=refund.pk,
        created_by_id=created_by,
        metadata={
            "end_to_end_id": transfer.end_to_end_id,
            "return_id": refund.return_id,
            "refund_id": refund.refund_id,
            "by": str(by),
            "internal": True,
        },
    )
    refund.save(update_fields=["debit_entry_id", "updated_at"])
    apply_transition_in_one_statement(refund, "complete", by=by, reason="internal Pix")
    return refund


def refund_submit(refund_pk: int) -> PixRefund:
    """Hand an EM_PROCESSAMENTO refund's pacs.004 to the SPI and act on the answer.

    RJCT DUPL (a resend of a pacs.004 the SPI already processed, its answer lost) is not a
    refusal: the SPI's status query gives the outcome (adapters.spi.final_status)."""
    return submit_to_spi(
        model=PixRefund,
        pk=refund_pk,
        pending_state=PixRefund.State.EM_PROCESSAMENTO,
        message=lambda refund: refund.pacs004,
        message_id=lambda refund: refund.return_id,
        send=lambda client, message: client.send_return(message),
        on_settled=_refund_settled,
        on_rejected=_refund_rejected,
        what="pix refund",
        log_key="return_id",
    )


def _refund_settled(refund: PixRefund, status: PaymentStatus) -> None:
    apply_transition_in_one_statement(refund, "complete", by="spi", reason=str(status.status))


def _refund_rejected(refund: PixRefund, status: PaymentStatus, reason: str) -> None:
    refund.return_entry_id = post_entry(
        kind="pix_refund_return",
        legs=[
            Leg(internal_account_id(RESERVES), -refund.amount),
            Leg(refund.transfer.account_id, refund.amount),
        ],
        description="Pix refund rejected: money returned",
        reference_type="pix_refund",
        reference_id=refund.pk,
        metadata={"return_id": refund.return_id, "reason": status.reason_code},
    )
    apply_transition_in_one_statement(refund, "fail", by="spi", reason=reason)
