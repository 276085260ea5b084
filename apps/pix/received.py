"""Received Pix as BACEN's API Pix shows them, and refunds requested through it.

    GET /pix                       received_pix_search: the caller's RECEIVED, settled Pix
    GET /pix/{e2eid}               received_pix_of_customer (404 PixNaoEncontrado otherwise)
    PUT /pix/{e2eid}/devolucao/id  received_pix_refund: apps.pix.refunds.refund_request with
                                   the API's rules and errors (PixDevolucaoInvalida)
    GET /pix/{e2eid}/devolucao/id  refund_of_customer

`natureza` is not stored: it follows from the pacs.004 reason code (ORIGINAL = MD06,
RETIRADA = SL02, MED_OPERACIONAL = BE08, MED_FRAUDE = FR01). We do not offer Pix Saque or
Troco, so a refund with natureza RETIRADA is always refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import Customer
from apps.core.crypto import tax_id_lookup_hash
from apps.core.errors import DomainError, ValidationFailed
from apps.core.money import cents_to_str
from apps.pix.api_formats import Page, paginate
from apps.pix.iso20022 import ReturnReason
from apps.pix.models import PixRefund, PixTransfer
from apps.pix.pix_errors import (
    PixDevolucaoInvalida,
    PixDevolucaoNaoEncontrada,
    PixNaoEncontrado,
    with_violation,
)
from apps.pix.refunds import (
    RefundExceedsOriginal,
    RefundIdConflict,
    RefundNotAllowed,
    _refunded_total,
    refund_request,
)

END_TO_END_ID = re.compile(r"\A[a-zA-Z0-9]{32}\Z")
REFUND_ID = re.compile(r"\A[a-zA-Z0-9]{1,35}\Z")

NATURE_OF_REASON = {
    ReturnReason.MD06: "ORIGINAL",
    ReturnReason.SL02: "RETIRADA",
    ReturnReason.BE08: "MED_OPERACIONAL",
    ReturnReason.FR01: "MED_FRAUDE",
}
REASON_OF_NATURE = {"ORIGINAL": ReturnReason.MD06, "RETIRADA": ReturnReason.SL02}


def nature_of(refund: PixRefund) -> str:
    return NATURE_OF_REASON.get(refund.reason_code, "ORIGINAL")


# --- Reads --------------------------------------------------------------------------------


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


# --- Refunds ------------------------------------------------------------------------------


def received_pix_refund(
    *,
    customer: Customer,
    end_to_end_id: str,
    refund_id: str,
    amount_cents: int,
    nature: str = "ORIGINAL",
    description: str = "",
    actor: Any = None,
) -> PixRefund:
    """Refund (part of) one of the customer's received Pix, as PUT /pix/{e2eid}/devolucao/{id}.

    Idempotent per id: the same id with the same valor, natureza and descricao answers the
    refund already made (no money moves again); with other data it is refused. Refunds
    that would exceed the Pix, or come more than 90 days after it, are refused."""
    if not isinstance(refund_id, str) or not REFUND_ID.match(refund_id):
        raise with_violation(
            PixDevolucaoInvalida,
            _("The refund id must be 1 to 35 letters or digits."),
            prop="id",
            value=refund_id if isinstance(refund_id, str) else None,
        )
    transfer = received_pix_of_customer(customer=customer, end_to_end_id=end_to_end_id)
    if nature not in REASON_OF_NATURE:
        raise with_violation(
            PixDevolucaoInvalida,
            _("natureza must be ORIGINAL or RETIRADA."),
            prop="natureza",
            value=nature,
        )
    if nature == "RETIRADA":
        raise with_violation(
            PixDevolucaoInvalida,
            _("natureza RETIRADA refunds a Pix Saque or Troco; this Pix is neither."),
            prop="natureza",
            value=nature,
        )
    reason = REASON_OF_NATURE[nature]
    description = (description or "")[:140]
    try:
        refund = refund_request(
            transfer=transfer,
            refund_id=refund_id,
            amount_cents=amount_cents,
            description=description,
            actor=actor,
            reason_code=reason,
        )
    except RefundExceedsOriginal:
        raise with_violation(
            PixDevolucaoInvalida,
            _("The refunds of this Pix would exceed its amount: %(left)s is left to refund.")
            % {"left": cents_to_str(max(transfer.amount - _refunded_total(transfer), 0))},
            prop="valor",
            value=cents_to_str(amount_cents),
        ) from None
    except RefundIdConflict:
        raise _id_taken(refund_id) from None
    except RefundNotAllowed as exc:
        raise with_violation(
            PixDevolucaoInvalida, exc.message, prop="e2eid", value=end_to_end_id
        ) from None
    except ValidationFailed as exc:  # the refund service's own checks (id, amount)
        prop = {"amount": "valor", "id": "id"}.get(exc.field or "", exc.field or "valor")
        raise with_violation(PixDevolucaoInvalida, exc.message, prop=prop) from None
    if refund.reason_code != reason or refund.description != description:
        # An existing refund came back: the id was used for another request.
        raise _id_taken(refund_id)
    return refund


def _id_taken(refund_id: str) -> DomainError:
    return with_violation(
        PixDevolucaoInvalida,
        _("This refund id was already used for this Pix with other data."),
        prop="id",
        value=refund_id,
    )
