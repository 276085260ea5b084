"""What kyc plugs into other apps' extension points (from KycConfig.ready()): its reviews in
the compliance queue (apps.monitoring), its records in a data subject's export and erasure,
and its automated rejections a person may review (apps.privacy)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from .models import KycDocument, KycRequest
from .selectors import kyc_requests_for_review

# --- The compliance queue -------------------------------------------------------------------


def kyc_queue_items() -> list:
    from apps.monitoring.registry import SLA_DAYS, QueueItem, admin_url

    items = []
    for r in kyc_requests_for_review():
        start = r.submitted_at or r.created_at
        items.append(
            QueueItem(
                type="kyc",
                pk=r.pk,
                title=str(_("Upgrade to level %(level)s") % {"level": r.target_level}),
                customer=r.customer.full_name,
                state=r.get_state_display(),
                risk=None,
                created_at=start,
                due_at=start + timedelta(days=SLA_DAYS),
                url=admin_url(r),
                assigned_to=str(getattr(r, "reviewed_by", None) or ""),
            )
        )
    return items


# --- The data subject's rights (apps.privacy) -----------------------------------------------


def _document_url(document: KycDocument) -> str | None:
    for name in ("api-kyc-document", "portal:kyc:document"):
        try:
            return reverse(name, args=[document.pk])
        except NoReverseMatch:
            continue
    return None


def export_kyc(customer: Any, account_ids: list[int]) -> dict:
    from apps.privacy.registry import plain_fields

    return {
        "requests": [
            plain_fields(row) for row in KycRequest.objects.filter(customer_id=customer.pk)
        ],
        "documents": [
            plain_fields(row, document_url=_document_url(row))
            for row in KycDocument.objects.filter(request__customer_id=customer.pk)
        ],
    }


def erase_kyc(ctx) -> dict:
    """KYC records are identification kept for AML (Circular 3.978 art. 67): retained and
    blocked. Selfies are biometric data (LGPD art. 11) used only for the face match, whose
    result (distance, threshold) stays in the request: their bytes are deleted."""
    request_ids = list(
        KycRequest.objects.filter(customer_id=ctx.customer.pk).values_list("pk", flat=True)
    )
    requests_retained = ctx.retain(KycRequest, request_ids)
    documents = KycDocument.objects.filter(request_id__in=request_ids)
    # update(): the bytes go without a trace; no history is kept for documents.
    selfies_deleted = documents.filter(kind="selfie").update(
        content_encrypted=b"", size=0, original_name=""
    )
    kept = documents.exclude(kind="selfie").values_list("pk", flat=True)
    return {
        "kyc_requests_retained": requests_retained,
        "kyc_documents_retained": ctx.retain(KycDocument, kept),
        "selfies_deleted": selfies_deleted,
    }


def _rejected(customer: Any):
    return KycRequest.objects.filter(customer_id=customer.pk, state=KycRequest.State.REJECTED)


def latest_rejected(customer: Any) -> str:
    latest = _rejected(customer).order_by("-pk").first()
    return str(latest.pk) if latest else ""


def is_rejected(customer: Any, ref: str) -> bool:
    return ref.isdigit() and _rejected(customer).filter(pk=int(ref)).exists()


def reopen(customer: Any, ref: str, *, actor: Any, reason: str) -> bool:
    from .services import kyc_reopen_after_review

    kyc_request = _rejected(customer).filter(pk=int(ref)).first() if ref.isdigit() else None
    if kyc_request is None:
        return False
    kyc_reopen_after_review(kyc_request=kyc_request, actor=actor, reason=reason)
    return True


def register() -> None:
    from apps.monitoring.registry import register_source
    from apps.privacy.registry import register_decision_source, register_section

    register_source("kyc", label=_("KYC review"), items=kyc_queue_items)
    register_section("kyc", export=export_kyc, erase=erase_kyc, order=50)
    register_decision_source(
        "kyc", latest_rejected=latest_rejected, is_rejected=is_rejected, reopen=reopen
    )
