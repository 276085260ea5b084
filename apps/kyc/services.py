"""KYC use cases: open an upgrade request, add documents, submit, run the automatic checks,
and the compliance decisions (approve, reject, ask for more information).

Approval sets `Customer.kyc_level`; the limits (apps.accounts.limits) and the feature gate
(apps.kyc.features) read it, so nothing else changes when a level is granted. The accounts
app has no service for the level, so approval writes that one column here, under a row
lock, through `save()` so simple-history records who raised it and why.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import services as account_services
from apps.accounts.models import Customer
from apps.core.audit import Action, record_event
from apps.core.crypto import cipher
from apps.core.errors import Conflict, Forbidden, ValidationFailed
from apps.core.fsm import apply_transition

from . import checks
from .models import KycDocument, KycRequest
from .uploads import check_upload

State = KycRequest.State
Kind = KycDocument.Kind

AUTO_ACTOR = "kyc-auto"
REVIEW_PERMISSION = "kyc.review_kycrequest"
# Levels a passing automatic check may grant; level 3 always needs a compliance officer.
AUTO_APPROVABLE_LEVELS = (1, 2)
IDENTITY_PHOTOS = (Kind.CNH, Kind.RG_FRONT)
EDITABLE_STATES = (State.DRAFT, State.NEEDS_INFO)


def _locked(request: KycRequest) -> KycRequest:
    return KycRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)


def _audit(event: str, *, request: KycRequest, actor: Any, **detail: Any) -> None:
    record_event(
        Action.BUSINESS,
        actor=actor if not isinstance(actor, str) else None,
        actor_label=actor if isinstance(actor, str) else "",
        obj=request,
        detail={"event": event, "target_level": request.target_level, **detail},
    )


# --- Customer side ----------------------------------------------------------------------


@transaction.atomic
def kyc_request_create(
    *,
    customer: Customer,
    target_level: int,
    declared_name: str,
    birth_date: date | None = None,
    monthly_income_cents: int | None = None,
    address_line: str = "",
    city: str = "",
    state_code: str = "",
    postal_code: str = "",
    actor: Any = None,
) -> KycRequest:
    if target_level not in (1, 2, 3):
        raise ValidationFailed(_("The target level must be 1, 2 or 3."), field="target_level")
    if target_level <= customer.kyc_level:
        raise ValidationFailed(
            _("You are already at level %(level)s.") % {"level": customer.kyc_level},
            field="target_level",
        )
    if customer.state != Customer.State.ACTIVE and customer.state != Customer.State.PENDING:
        raise Conflict(_("This customer cannot ask for a verification upgrade."))
    if monthly_income_cents is not None and monthly_income_cents < 0:
        raise ValidationFailed(_("Income cannot be negative."), field="monthly_income")
    try:
        with transaction.atomic():
            request = KycRequest.objects.create(
                customer=customer,
                target_level=target_level,
                from_level=customer.kyc_level,
                declared_name=declared_name.strip()[:150],
                birth_date=birth_date,
                monthly_income_cents=monthly_income_cents,
                address_line=address_line.strip()[:200],
                city=city.strip()[:100],
                state_code=state_code.strip().upper()[:2],
                postal_code=postal_code.strip()[:9],
            )
    except IntegrityError:
        raise Conflict(
            _("You already have an open verification request; finish or wait for it first."),
            code="kyc_request_open",
        ) from None
    _audit("kyc.created", request=request, actor=actor or customer.user)
    return request


@transaction.atomic
def kyc_request_update(*, request: KycRequest, actor: Any = None, **fields: Any) -> KycRequest:
    """Change the declared data while the request is a draft or waits for information."""
    allowed = {
        "declared_name",
        "birth_date",
        "monthly_income_cents",
        "address_line",
        "city",
        "state_code",
        "postal_code",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationFailed(_("Unknown field."), field=sorted(unknown)[0])
    request = _locked(request)
    if request.state not in EDITABLE_STATES:
        raise Conflict(_("This request can no longer be changed."))
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
            if name == "state_code":
                value = value.upper()
        setattr(request, name, value)
    request.save()
    return request


@transaction.atomic
def kyc_document_add(
    *,
    request: KycRequest,
    kind: str,
    content: bytes,
    original_name: str = "",
    actor: Any = None,
) -> KycDocument:
    """Validate and store one file encrypted; a new file of the same kind replaces the old."""
    if kind not in Kind.values:
        raise ValidationFailed(_("Unknown document kind."), field="kind", value=kind)
    checked = check_upload(kind=kind, content=content)
    request = _locked(request)
    if request.state not in EDITABLE_STATES:
        raise Conflict(_("Documents can only be added before submitting."))
    request.documents.filter(kind=kind).delete()
    document = KycDocument.objects.create(
        request=request,
        kind=kind,
        content_encrypted=cipher().encrypt(checked.content),
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=checks.sha256_hex(checked.content),
        original_name=(original_name or "")[-200:],
    )
    _audit("kyc.document_added", request=request, actor=actor, kind=kind, size=document.size)
    return document


def missing_for_submit(request: KycRequest) -> list[tuple[str, str]]:
    """(field, message) for everything the target level needs and the request lacks."""
    missing: list[tuple[str, str]] = []
    kinds = set(request.documents.values_list("kind", flat=True))
    person = request.customer.kind == Customer.Kind.PERSON
    if not request.declared_name.strip():
        missing.append(("declared_name", _("Enter your full name as on your document.")))
    if person and request.birth_date is None:
        missing.append(("birth_date", _("Enter your birth date.")))
    if request.target_level >= 2 and request.from_level < 2:
        if not kinds.intersection(IDENTITY_PHOTOS):
            missing.append(("rg_front", _("Upload a photo of your RG (front) or CNH.")))
        if Kind.SELFIE not in kinds:
            missing.append(("selfie", _("Upload a selfie.")))
    if request.target_level >= 3:
        if Kind.PROOF_OF_ADDRESS not in kinds:
            missing.append(("proof_of_address", _("Upload a proof of address.")))
        if Kind.PROOF_OF_INCOME not in kinds:
            missing.append(("proof_of_income", _("Upload a proof of income.")))
        if request.monthly_income_cents is None:
            missing.append(("monthly_income", _("Enter your monthly income.")))
        for name in ("address_line", "city", "state_code", "postal_code"):
            if not getattr(request, name):
                missing.append((name, _("Enter your full address.")))
                break
    return missing


def kyc_request_submit(*, request: KycRequest, actor: Any = None) -> KycRequest:
    """Submit, then run the automatic checks, which approve or send to review."""
    with transaction.atomic():
        request = _locked(request)
        missing = missing_for_submit(request)
        if missing:
            raise ValidationFailed(
                missing[0][1],
                violations=[
                    {"razao": message, "propriedade": name, "valor": None}
                    for name, message in missing
                ],
            )
        request.submitted_at = timezone.now()
        apply_transition(request, "submit", by=actor)
        _audit("kyc.submitted", request=request, actor=actor)
    return kyc_request_run_checks(request=request)


# --- Automatic checks -------------------------------------------------------------------


def _document_bytes(request: KycRequest, kinds: tuple[str, ...]) -> bytes | None:
    """The newest file of the first kind present (the CNH before the RG): one photo, one
    decision, recorded in the results."""
    for kind in kinds:
        found = request.documents.filter(kind=kind).order_by("-uploaded_at").first()
        if found is not None:
            return cipher().decrypt(bytes(found.content_encrypted))
    return None


def run_checks(request: KycRequest) -> dict[str, checks.CheckOutcome]:
    customer = request.customer
    outcomes: dict[str, checks.CheckOutcome] = {
        "tax_id": checks.check_tax_id(tax_id=customer.tax_id, kind=customer.kind),
        "name": checks.check_name(declared=request.declared_name, holder=customer.full_name),
    }
    if customer.kind == Customer.Kind.PERSON:
        outcomes["birth_date"] = checks.check_birth_date(birth_date=request.birth_date)
    outcomes["screening"] = checks.check_screening(customer=customer, birth_date=request.birth_date)
    if request.documents.exists():
        outcomes["duplicates"] = checks.check_duplicates(request=request)
    if request.target_level >= 2 and request.from_level < 2:
        outcomes["face_match"] = checks.check_face_match(
            selfie=_document_bytes(request, (Kind.SELFIE,)),
            document=_document_bytes(request, IDENTITY_PHOTOS),
        )
    return outcomes


@transaction.atomic
def kyc_request_run_checks(*, request: KycRequest) -> KycRequest:
    request = _locked(request)
    apply_transition(request, "start_checks", by=AUTO_ACTOR)
    outcomes = run_checks(request)
    all_passed = all(outcome.passed for outcome in outcomes.values())
    results: dict[str, Any] = {
        "checks": {name: outcome.as_dict() for name, outcome in outcomes.items()},
        "ran_at": timezone.now().isoformat(),
    }
    if "face_match" in outcomes:
        results["face"] = outcomes["face_match"].data
    problems = [
        f"{name}: {outcome.detail}" for name, outcome in outcomes.items() if not outcome.passed
    ]
    request.check_results = results
    if all_passed and request.target_level in AUTO_APPROVABLE_LEVELS:
        results["decision"] = "auto_approved"
        _grant(request, by=AUTO_ACTOR, reason="All automatic checks passed.")
    else:
        results["decision"] = "review"
        reason = "; ".join(problems) if problems else "Level 3 needs a compliance officer."
        request.decided_at = None
        apply_transition(request, "send_to_review", by=AUTO_ACTOR, reason=reason)
        _audit("kyc.sent_to_review", request=request, actor=AUTO_ACTOR, problems=problems)
    return request


# --- Compliance decisions ---------------------------------------------------------------


def _require_reviewer(actor: Any) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm(REVIEW_PERMISSION):
        raise Forbidden(_("Only compliance officers can decide verification requests."))


def _grant(request: KycRequest, *, by: Any, reason: str) -> None:
    """Approve the request and raise the customer's level, in the caller's transaction."""
    request.decided_at = timezone.now()
    if not isinstance(by, str):
        request.reviewed_by = by
    apply_transition(request, "approve", by=by, reason=reason)
    customer, previous = account_services.customer_kyc_level_raise(
        customer_id=request.customer_id,
        level=request.target_level,
        reason=f"KYC request #{request.pk} approved",
    )
    if previous < customer.kyc_level:
        _audit(
            "kyc.level_granted",
            request=request,
            actor=by,
            previous_level=previous,
            new_level=customer.kyc_level,
        )
    request.customer = customer


@transaction.atomic
def kyc_request_approve(request: KycRequest, actor: Any, *, reason: str = "") -> KycRequest:
    """A compliance officer approves: the customer's level (and so limits) follow."""
    _require_reviewer(actor)
    request = _locked(request)
    _grant(request, by=actor, reason=reason or "Approved by compliance.")
    return request


def _decide(request: KycRequest, actor: Any, *, transition: str, reason: str) -> KycRequest:
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Give the customer a reason."), field="reason")
    request = _locked(request)
    request.reviewed_by = actor
    if transition == "reject":
        request.decided_at = timezone.now()
    apply_transition(request, transition, by=actor, reason=reason[:2000])
    _audit(f"kyc.{transition}", request=request, actor=actor, reason=reason[:500])
    return request


@transaction.atomic
def kyc_request_reject(request: KycRequest, actor: Any, *, reason: str) -> KycRequest:
    return _decide(request, actor, transition="reject", reason=reason)


@transaction.atomic
def kyc_request_ask_info(request: KycRequest, actor: Any, *, reason: str) -> KycRequest:
    """Back to the customer, who adds what is asked and submits again."""
    return _decide(request, actor, transition="ask_info", reason=reason)


@transaction.atomic
def kyc_reopen_after_review(*, kyc_request: KycRequest, actor: Any, reason: str) -> KycRequest:
    """A rejected request goes back to review because a person reviewing the decision on the
    customer's request (LGPD art. 20, apps.privacy) reversed it."""
    return _decide(kyc_request, actor, transition="reopen", reason=reason)
