"""Charges of BACEN's API Pix (cob, cobv): a received Pix carrying a charge's txid pays it.

`charge_payment_received` runs inside `pix_receive`'s transaction, after the credit: the
charge of the receiving customer with that txid turns CONCLUIDA and the Pix is linked to it
(so it appears under the charge's `pix` and under `GET /pix`)."""

from __future__ import annotations

from apps.core.fsm import apply_transition
from apps.pix.models import PixCharge, PixTransfer


def charge_payment_received(transfer: PixTransfer) -> PixCharge | None:
    """Link an inbound Pix to the active charge its txid names, and conclude the charge."""
    if not transfer.tx_id or transfer.direction != PixTransfer.Direction.IN:
        return None
    charge = (
        PixCharge.objects.select_for_update()
        .filter(customer_id=transfer.account.customer_id, txid=transfer.tx_id)
        .first()
    )
    if charge is None or charge.status != PixCharge.Status.ATIVA:
        return None
    if charge.amount and not charge.amount_editable and transfer.amount != charge.amount:
        return None
    transfer.charge = charge
    transfer.save(update_fields=["charge", "updated_at"])
    apply_transition(charge, "conclude", by="spi", reason=transfer.end_to_end_id)
    return charge
