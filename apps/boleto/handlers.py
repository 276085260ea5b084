"""Outbox handlers of boletos (imported in BoletoConfig.ready()).

"pix.charge.concluded" ({"charge_id"}, apps.pix.charges.events): a hybrid boleto's Pix QR
was paid; the boleto is paid and closed at CIP (issuing.boleto_paid_by_pix)."""

from __future__ import annotations

from apps.boleto.issuing.services import boleto_paid_by_pix
from apps.core.models import OutboxMessage
from apps.core.outbox import outbox_handler
from apps.core.timezones import brasilia_today
from apps.pix.models import PixTransfer

CHARGE_CONCLUDED = "pix.charge.concluded"


@outbox_handler(CHARGE_CONCLUDED)
def hybrid_boleto_paid_by_pix(payload: dict, message: OutboxMessage) -> None:
    charge_id = payload.get("charge_id")
    if not isinstance(charge_id, int):
        return
    transfer = (
        PixTransfer.objects.filter(charge_id=charge_id)
        .only("state", "amount", "created_at")
        .first()
    )
    boleto_paid_by_pix(
        charge_id=charge_id,
        amount_cents=transfer.amount if transfer else None,
        paid_on=brasilia_today(transfer.created_at if transfer else None),
    )
