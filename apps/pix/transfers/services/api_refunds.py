"""A devolução requested through BACEN's API Pix (PUT /pix/{e2eid}/devolucao/{id}):
refund_request with the API's rules and errors (PixDevolucaoInvalida, 409 on a reused id)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from apps.accounts.models import Customer
from apps.core.errors import DomainError, ValidationFailed
from apps.core.money import cents_to_str
from apps.pix.charges.errors import with_violation
from apps.pix.codecs.iso20022 import ReturnReason
from apps.pix.models import PixRefund
from apps.pix.transfers.errors import (
    PixDevolucaoInvalida,
    RefundExceedsOriginal,
    RefundIdConflict,
    RefundNotAllowed,
)
from apps.pix.transfers.selectors import REFUND_ID, received_pix_of_customer, refundable_cents
from apps.pix.transfers.services.refunds import refund_request

REASON_OF_NATURE = {"ORIGINAL": ReturnReason.MD06, "RETIRADA": ReturnReason.SL02}


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
            % {"left": cents_to_str(refundable_cents(transfer))},
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
