"""What the wire app plugs into other apps' extension points (from WireConfig.ready()): its
records in a data subject's export and erasure (apps.privacy)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def export_wire(customer: Any, account_ids: list[int]) -> dict:
    from apps.core.documents import mask_tax_id
    from apps.core.money import cents_to_str
    from apps.privacy.registry import iso
    from apps.wire.models import InboundWire, Wire, WireFavourite

    sent = [
        {
            "id": str(wire.public_id),
            "amount": cents_to_str(wire.amount),
            "fee": cents_to_str(wire.fee),
            "state": wire.state,
            "bank": f"{wire.bank_compe} {wire.bank_name}".strip(),
            "branch": wire.branch,
            "account": wire.account_number,
            "holder": wire.holder_name,
            "holder_document": mask_tax_id(wire.holder_tax_id),
            "note": wire.note,
            "scheduled_for": iso(wire.scheduled_for),
            "created_at": iso(wire.created_at),
            "settled_at": iso(wire.settled_at),
            "return_code": wire.return_code,
        }
        for wire in Wire.objects.filter(account_id__in=account_ids).order_by("pk")
    ]
    received = [
        {
            "str_control_number": inbound.str_control_number,
            "amount": cents_to_str(inbound.amount),
            "state": inbound.state,
            "sender": inbound.sender_name,
            "sender_bank": inbound.sender_bank_name,
            "sender_document": mask_tax_id(inbound.sender_tax_id),
            "received_at": iso(inbound.created_at),
            "return_code": inbound.return_code,
        }
        for inbound in InboundWire.objects.filter(account_id__in=account_ids).order_by("pk")
    ]
    favourites = [
        {
            "nickname": favourite.nickname,
            "bank_ispb": favourite.bank_ispb,
            "branch": favourite.branch,
            "account": favourite.account_number,
            "holder": favourite.holder_name,
            "holder_document": mask_tax_id(favourite.holder_tax_id),
        }
        for favourite in WireFavourite.objects.filter(customer_id=customer.pk).order_by("pk")
    ]
    return {"sent": sent, "received": received, "favourites": favourites}


def erasure_blockers(customer: Any, account_ids: list[int]) -> list[str]:
    from apps.wire.models import Wire

    live = (Wire.State.CREATED, Wire.State.SCHEDULED, Wire.State.SENT)
    if Wire.objects.filter(account_id__in=account_ids, state__in=live).exists():
        return [_("There are TEDs in progress or scheduled: wait for them or cancel them.")]
    return []


def erase_wire(ctx) -> None:
    """TEDs are payments, kept for AML (retained until the retention date); the favourites
    are the customer's own address book and go."""
    from apps.wire.models import InboundWire, Wire, WireFavourite

    ids = ctx.account_ids
    ctx.retain(
        Wire, Wire.objects.filter(account_id__in=ids).values_list("pk", flat=True), key="wires"
    )
    ctx.retain(
        InboundWire,
        InboundWire.objects.filter(account_id__in=ids).values_list("pk", flat=True),
        key="inbound_wires",
    )
    WireFavourite.objects.filter(customer_id=ctx.customer.pk).delete()
    return None


def register() -> None:
    from apps.privacy.registry import register_section

    register_section(
        "wire", export=export_wire, blockers=erasure_blockers, erase=erase_wire, order=45
    )
