"""What pix plugs into other apps' extension points (from PixConfig.ready()): MED cases in
the compliance queue (apps.monitoring), and its records in a data subject's export and
erasure (apps.privacy). Pix modules are imported inside the functions: they load late and
may move within apps/pix without touching the registries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# --- The compliance queue -------------------------------------------------------------------


def med_queue_items() -> list:
    from apps.monitoring.registry import QueueItem, admin_url
    from apps.pix.models import InfractionReport

    reports = InfractionReport.objects.filter(
        state__in=(InfractionReport.State.OPEN, InfractionReport.State.ACKNOWLEDGED)
    ).select_related("transfer", "transfer__account__customer")
    items = []
    for r in reports:
        customer = r.transfer.account.customer if r.transfer.account.customer_id else None
        items.append(
            QueueItem(
                type="med",
                pk=r.pk,
                title=str(
                    gettext_lazy("MED report on Pix %(e2e)s") % {"e2e": r.transfer.end_to_end_id}
                ),
                customer=customer.full_name if customer else "",
                state=r.get_state_display(),
                risk=None,
                created_at=r.created_at,
                # MED gives the receiving PSP 7 days to analyse (Pix regulation, art. 85).
                due_at=r.created_at + timedelta(days=7),
                url=admin_url(r),
            )
        )
    return items


# --- The data subject's rights (apps.privacy) -----------------------------------------------


def _masked_key(key: str) -> str:
    from apps.pix.codecs.keys import InvalidKey, infer_key_type, mask_key

    if not key:
        return ""
    try:
        return mask_key(infer_key_type(key), key)
    except InvalidKey:
        return "***"


def export_pix(customer: Any, account_ids: list[int]) -> dict:
    """The customer's keys, claims, transfers, refunds and charges. The other side of a
    payment appears as the statement shows it (institution, masked document, masked key)."""
    from apps.core.documents import mask_tax_id
    from apps.core.money import cents_to_str
    from apps.pix.models import PixCharge, PixClaim, PixKey, PixRefund, PixTransfer
    from apps.privacy.registry import iso

    keys = [
        {
            "id": key.pk,
            "type": key.key_type,
            "key": key.key,
            "state": key.state,
            "created_at": iso(key.created_at),
            "registered_at": iso(key.registered_at),
        }
        for key in PixKey.objects.filter(customer_id=customer.pk).order_by("pk")
    ]
    claims = [
        {
            "id": claim.pk,
            "role": claim.role,
            "type": claim.claim_type,
            "key": claim.key,
            "state": claim.state,
            "created_at": iso(claim.created_at),
        }
        for claim in PixClaim.objects.filter(customer_id=customer.pk).order_by("pk")
    ]
    transfers = []
    rows = (
        PixTransfer.objects.filter(Q(account_id__in=account_ids) | Q(payee_account__in=account_ids))
        .select_related("account__customer")
        .order_by("pk")
    )
    for transfer in rows:
        if transfer.account_id in account_ids:
            direction = transfer.direction
            other_doc = transfer.counterparty_tax_id
            other_key = _masked_key(transfer.counterparty_key)
        else:  # an internal Pix another customer sent us: the payer is that customer
            direction = "in"
            payer = transfer.account.customer
            other_doc = payer.tax_id if payer else ""
            other_key = ""
        transfers.append(
            {
                "id": transfer.pk,
                "end_to_end_id": transfer.end_to_end_id,
                "direction": direction,
                "amount": cents_to_str(transfer.amount),
                "state": transfer.state,
                "description": transfer.description,
                "created_at": iso(transfer.created_at),
                "settled_at": iso(transfer.settled_at),
                "counterparty": {
                    "institution_ispb": transfer.counterparty_ispb,
                    "document": mask_tax_id(other_doc) if other_doc else "",
                    "key": other_key,
                },
            }
        )
    refunds = [
        {
            "id": refund.pk,
            "transfer_id": refund.transfer_id,
            "return_id": refund.return_id,
            "amount": cents_to_str(refund.amount),
            "state": refund.state,
            "reason_code": refund.reason_code,
            "description": refund.description,
            "created_at": iso(refund.created_at),
        }
        for refund in PixRefund.objects.filter(transfer__account_id__in=account_ids).order_by("pk")
    ]
    charges = [
        {
            "id": charge.pk,
            "kind": charge.kind,
            "txid": charge.txid,
            "amount": cents_to_str(charge.amount),
            "status": charge.status,
            "due_date": iso(charge.due_date),
            "created_at": iso(charge.created_at),
            # The payer named in a charge is someone else: only that one was named.
            "has_debtor": bool(charge.debtor),
        }
        for charge in PixCharge.objects.filter(customer_id=customer.pk).order_by("pk")
    ]
    return {
        "keys": keys,
        "claims": claims,
        "transfers": transfers,
        "refunds": refunds,
        "charges": charges,
    }


def erasure_blockers(customer: Any, account_ids: list[int]) -> list[str]:
    from apps.pix.models import PixCharge, PixKey, PixRefund, PixTransfer

    reasons: list[str] = []
    open_transfers = PixTransfer.objects.filter(
        account_id__in=account_ids,
        state__in=[
            PixTransfer.State.CREATED,
            PixTransfer.State.SCHEDULED,
            PixTransfer.State.SENT,
        ],
    )
    if open_transfers.exists():
        reasons.append(_("There are Pix transfers in progress or scheduled."))
    if PixRefund.objects.filter(
        transfer__account_id__in=account_ids, state=PixRefund.State.EM_PROCESSAMENTO
    ).exists():
        reasons.append(_("There are Pix refunds in progress."))
    if PixKey.objects.filter(
        customer_id=customer.pk, state__in=[PixKey.State.CLAIMING, PixKey.State.LOCKED_BY_CLAIM]
    ).exists():
        reasons.append(_("A Pix key claim is open: it must be answered first."))
    if PixCharge.objects.filter(customer_id=customer.pk, status=PixCharge.Status.ATIVA).exists():
        reasons.append(_("There are active Pix charges: remove them first."))
    return reasons


def release_keys(customer: Any, actor: Any) -> dict:
    """Before the erasure's transaction: the keys leave the DICT (each DICT call commits on
    its own), then the personal keys (phone, e-mail) are blanked, history included."""
    from apps.pix.codecs.keys import KeyType
    from apps.pix.keys import services as key_services
    from apps.pix.models import PixClaim, PixKey
    from apps.privacy.registry import anonymise_history

    live = [
        PixKey.State.ACTIVE,
        PixKey.State.REGISTERING,
        PixKey.State.PENDING_OWNERSHIP,
        PixKey.State.AWAITING_CLAIM,
    ]
    deleted = 0
    for pix_key in PixKey.objects.filter(customer_id=customer.pk, state__in=live):
        key_services.key_delete(pix_key=pix_key, actor=actor, reason="LGPD erasure")
        deleted += 1
    personal = PixKey.objects.filter(
        customer_id=customer.pk, key_type__in=[KeyType.PHONE, KeyType.EMAIL]
    )
    key_ids = list(personal.values_list("pk", flat=True))
    personal.update(key="")
    anonymise_history(PixKey, key_ids, key="")
    claims = PixClaim.objects.filter(
        customer_id=customer.pk, key_type__in=[KeyType.PHONE, KeyType.EMAIL]
    )
    claim_ids = list(claims.values_list("pk", flat=True))
    claims.update(key="")
    anonymise_history(PixClaim, claim_ids, key="")
    return {"keys_deleted": deleted, "personal_keys_blanked": len(key_ids)}


def erase_pix(ctx) -> None:
    """Payments are kept for AML: retained and blocked until the retention date."""
    from apps.pix.models import PixCharge, PixRefund, PixTransfer

    ids = ctx.account_ids
    ctx.retain(
        PixTransfer,
        PixTransfer.objects.filter(Q(account_id__in=ids) | Q(payee_account__in=ids)).values_list(
            "pk", flat=True
        ),
        key="pix_transfers",
    )
    ctx.retain(
        PixRefund,
        PixRefund.objects.filter(transfer__account_id__in=ids).values_list("pk", flat=True),
        key="pix_refunds",
    )
    ctx.retain(
        PixCharge,
        PixCharge.objects.filter(customer_id=ctx.customer.pk).values_list("pk", flat=True),
        key="pix_charges",
    )
    return None


def register() -> None:
    from apps.monitoring.registry import register_source
    from apps.privacy.registry import register_section

    register_source("med", label=gettext_lazy("MED case"), items=med_queue_items)
    register_section(
        "pix",
        export=export_pix,
        blockers=erasure_blockers,
        release=release_keys,
        erase=erase_pix,
        order=40,
    )
