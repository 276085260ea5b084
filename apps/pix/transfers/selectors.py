"""Received Pix as BACEN's API Pix shows them (the refunds requested through it are written by
services/api_refunds.py).

    GET /pix                       received_pix_search: the caller's RECEIVED, settled Pix
    GET /pix/{e2eid}               received_pix_of_customer (404 PixNaoEncontrado otherwise)
    PUT /pix/{e2eid}/devolucao/id  received_pix_refund (services/api_refunds.py): refund_request
                                   with the API's rules and errors (PixDevolucaoInvalida)
    GET /pix/{e2eid}/devolucao/id  refund_of_customer

`natureza` is not stored: it follows from the pacs.004 reason code (ORIGINAL = MD06,
RETIRADA = SL02, MED_OPERACIONAL = BE08, MED_FRAUDE = FR01). We do not offer Pix Saque or
Troco, so a refund with natureza RETIRADA is always refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from apps.accounts.models import Customer, Posting
from apps.core.crypto import tax_id_lookup_hash
from apps.pix.charges.api_formats import Page, paginate
from apps.pix.codecs.iso20022 import ReturnReason
from apps.pix.models import PixRefund, PixTransfer
from apps.pix.transfers.errors import (
    PixDevolucaoNaoEncontrada,
    PixNaoEncontrado,
)

END_TO_END_ID = re.compile(r"\A[a-zA-Z0-9]{32}\Z")
REFUND_ID = re.compile(r"\A[a-zA-Z0-9]{1,35}\Z")

NATURE_OF_REASON = {
    ReturnReason.MD06: "ORIGINAL",
    ReturnReason.SL02: "RETIRADA",
    ReturnReason.BE08: "MED_OPERACIONAL",
    ReturnReason.FR01: "MED_FRAUDE",
}


def refunded_total(transfer: PixTransfer) -> int:
    """Centavos refunded or being refunded (refunds the SPI refused gave their money back)."""
    return (
        PixRefund.objects.filter(transfer=transfer)
        .exclude(state=PixRefund.State.NAO_REALIZADO)
        .aggregate(total=Sum("amount"))["total"]
        or 0
    )


def reversed_total(transfer: PixTransfer) -> int:
    """Centavos of the Pix's credit that operations took back from the receiving account
    (apps.accounts reversals of the credit entry, whole or in part)."""
    account_id = transfer.receiving_account_id
    if transfer.credit_entry_id is None or account_id is None:
        return 0
    moved = (
        Posting.objects.filter(
            entry__reverses_id=transfer.credit_entry_id, account_id=account_id
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    return max(-moved, 0)


def refundable_cents(transfer: PixTransfer) -> int:
    """What may still be given back to the payer: the Pix, less every movement of it that
    already left the receiving account (refunds not refused, reversals of its credit).
    A reversed receipt must not be refunded again: the payer would be paid twice."""
    return max(transfer.amount - refunded_total(transfer) - reversed_total(transfer), 0)


def nature_of(refund: PixRefund) -> str:
    return NATURE_OF_REASON.get(refund.reason_code, "ORIGINAL")


def _received(customer: Customer) -> QuerySet[PixTransfer]:
    return (
        PixTransfer.objects.filter(
            Q(account__customer=customer, direction=PixTransfer.Direction.IN)
            # An internal Pix is one row, the payer's; its payee received it.
            | Q(payee_account__customer=customer, internal=True),
            state=PixTransfer.State.SETTLED,
        )
        .exclude(end_to_end_id=None)
        .prefetch_related(
            Prefetch("refunds", queryset=PixRefund.objects.order_by("created_at", "pk"))
        )
    )


def received_pix_of_customer(*, customer: Customer, end_to_end_id: str) -> PixTransfer:
    """One of the customer's received Pix; anything else (someone else's, sent, unknown) is
    PixNaoEncontrado."""
    transfer = None
    if isinstance(end_to_end_id, str) and END_TO_END_ID.match(end_to_end_id):
        transfer = _received(customer).filter(end_to_end_id=end_to_end_id).first()
    if transfer is None:
        raise PixNaoEncontrado(_("No Pix received with this endToEndId."))
    return transfer


def refund_of_customer(*, customer: Customer, end_to_end_id: str, refund_id: str) -> PixRefund:
    transfer = received_pix_of_customer(customer=customer, end_to_end_id=end_to_end_id)
    refund = None
    if isinstance(refund_id, str) and REFUND_ID.match(refund_id):
        refund = next((r for r in transfer.refunds.all() if r.refund_id == refund_id), None)
    if refund is None:
        raise PixDevolucaoNaoEncontrada(_("No refund with this id for this Pix."))
    return refund


@dataclass(frozen=True)
class PixSearch:
    """ParametrosConsultaPix, checked (see pix_serializers.PixQueryInput)."""

    start: dt.datetime
    end: dt.datetime
    txid: str | None = None
    txid_present: bool | None = None
    refund_present: bool | None = None
    payer_tax_id: str | None = None  # the cpf or cnpj filter
    page: int = 0
    per_page: int = 100


def received_pix_search(*, customer: Customer, search: PixSearch) -> Page:
    """The customer's received Pix settled within [start, end], oldest first, one page."""
    queryset = _received(customer).filter(settled_at__gte=search.start, settled_at__lte=search.end)
    if search.txid is not None:
        queryset = queryset.filter(tx_id=search.txid)
    if search.txid_present is not None:
        queryset = queryset.exclude(tx_id="") if search.txid_present else queryset.filter(tx_id="")
    if search.refund_present is not None:
        has_refund = Exists(PixRefund.objects.filter(transfer=OuterRef("pk")))
        queryset = queryset.filter(has_refund if search.refund_present else ~has_refund)
    queryset = queryset.order_by("settled_at", "pk")
    if search.payer_tax_id:
        # The payer: the counterparty of a Pix from another PSP, the customer owning the row
        # of an internal one (its counterparty is the payee). Both by keyed hash.
        wanted = tax_id_lookup_hash(search.payer_tax_id)
        queryset = queryset.filter(
            Q(internal=False, counterparty_tax_id_hash=wanted)
            | Q(internal=True, account__customer__tax_id_hash=wanted)
        )
    return paginate(queryset, page=search.page, per_page=search.per_page)
