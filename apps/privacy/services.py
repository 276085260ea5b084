"""Writes of the privacy domain: data-subject requests, corrections, erasure, reviews of
automated decisions. Every request and every answer is a `DataSubjectRequest` row with its
history, and each answer an audit event."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import selectors as account_selectors
from apps.accounts import services as account_services
from apps.accounts.models import Customer
from apps.core.audit import Action, record_data_export, record_event
from apps.core.errors import Conflict, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.models import StateTransitionLog, User

from . import registry
from .models import DataSubjectRequest, Erasure, RetainedRecord
from .registry import ErasureContext, anonymise_history
from .selectors import customer_data_export, sessions_of_user

logger = logging.getLogger(__name__)

Kind = DataSubjectRequest.Kind
State = DataSubjectRequest.State

ERASED_NAME = "Titular removido"
#: Circular BCB 3.978/2020 art. 67: records kept at least 10 years after the relationship ends.
RETENTION_YEARS = 10
AML_BASIS = "LGPD art. 16 I / art. 7 II: Circular BCB 3.978/2020 art. 67 (10 years)"
MAX_TEXT = 2000


def _retention_until(today: date) -> date:
    try:
        return today.replace(year=today.year + RETENTION_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + RETENTION_YEARS, day=28)


def _clean_text(value: Any, *, field: str, limit: int = MAX_TEXT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(_("This field must be text."), field=field)
    value = value.replace("\x00", "").strip()
    if len(value) > limit:
        raise ValidationFailed(
            _("At most %(n)d characters.") % {"n": limit}, field=field, value=value[:40]
        )
    return value


def _audit(name: str, *, req: DataSubjectRequest, actor: Any, **detail: Any) -> None:
    record_event(
        Action.BUSINESS,
        actor=actor,
        obj=req,
        detail={"event": name, "kind": req.kind, "customer_id": req.customer_id, **detail},
    )


# --- Requests -----------------------------------------------------------------------


def _validated_correction(field: str, new_value: str) -> str:
    if field not in DataSubjectRequest.CorrectionField.values:
        # The fields' names as the reader's form labels them, never the codes.
        labels = ", ".join(f"“{label}”" for label in DataSubjectRequest.CorrectionField.labels)
        raise ValidationFailed(
            _("Choose the field to correct: %(choices)s.") % {"choices": labels},
            field="field",
            value=field,
        )
    if field == DataSubjectRequest.CorrectionField.EMAIL:
        new_value = new_value.lower()
        try:
            validate_email(new_value)
        except ValidationError as exc:
            raise ValidationFailed(
                _("Enter a valid e-mail address."), field="new_value", value=new_value[:40]
            ) from exc
    else:
        new_value = " ".join(new_value.split())
        if len(new_value) < 3:
            raise ValidationFailed(_("Full name is required."), field="new_value")
        if len(new_value) > 150:
            raise ValidationFailed(_("At most 150 characters."), field="new_value")
    return new_value


def erasure_blockers(customer: Customer) -> list[str]:
    """Why the customer's data cannot be erased yet (money held, obligations open): each
    app's registered section says what it holds open."""
    account_ids = account_selectors.customer_account_ids(customer_id=customer.pk)
    reasons: list[str] = []
    for section in registry.sections():
        if section.blockers is not None:
            reasons.extend(section.blockers(customer, account_ids))
    return reasons


@transaction.atomic
def privacy_request_create(
    *,
    customer: Customer,
    kind: str,
    details: str = "",
    field: str = "",
    new_value: str = "",
    decision_ref: str = "",
    actor: Any = None,
) -> DataSubjectRequest:
    """Record a data subject's request. An erasure that cannot happen yet is recorded and
    refused at once with the reason, so the customer knows what to do first."""
    if kind not in Kind.values:
        raise ValidationFailed(_("Unknown kind of request."), field="kind", value=str(kind)[:40])
    details = _clean_text(details, field="details")
    field = _clean_text(field, field="field", limit=20)
    new_value = _clean_text(new_value, field="new_value", limit=254)
    decision_ref = _clean_text(decision_ref, field="decision_ref", limit=64)
    if kind == Kind.CORRECTION:
        new_value = _validated_correction(field, new_value)
    elif field or new_value:
        raise ValidationFailed(_("Only corrections take a field and a value."), field="field")
    if kind == Kind.AUTOMATED_DECISION_REVIEW:
        if not decision_ref:
            decision_ref = _latest_rejected_ref(customer)
        if not decision_ref:
            raise ValidationFailed(
                _("There is no automated decision of ours about you to review."),
                field="decision_ref",
            )
        if not _is_rejected(customer, decision_ref):
            raise ValidationFailed(
                _("That decision was not found among the automated rejections about you."),
                field="decision_ref",
                value=decision_ref,
            )
    try:
        with transaction.atomic():
            req = DataSubjectRequest.objects.create(
                customer=customer,
                kind=kind,
                details=details,
                field=field if kind == Kind.CORRECTION else "",
                new_value=new_value,
                decision_ref=decision_ref,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("An erasure request of yours is already being handled."), code="erasure_open"
        ) from exc
    _audit("privacy.request", req=req, actor=actor)
    if kind == Kind.ERASURE and customer_is_erased_now(customer):
        apply_transition(req, "refuse", by="system", reason=_("Your data was already erased."))
    elif kind == Kind.ERASURE and (reasons := erasure_blockers(customer)):
        apply_transition(req, "refuse", by="system", reason=" ".join(reasons))
        _audit("privacy.refused", req=req, actor=None, reason=req.answer)
    return req


def customer_is_erased_now(customer: Customer) -> bool:
    return Erasure.objects.filter(customer=customer).exists()


@transaction.atomic
def customer_export(
    *,
    customer: Customer,
    export_format: str,
    actor: Any,
    request: Any = None,
    render: Callable[[dict], Any] | None = None,
) -> Any:
    """The data export of a customer, recorded as an access request answered at once and
    audited as a data export. With `render` (the PDF), what is returned is its output, made
    before anything is recorded: an export that fails to render was not delivered."""
    data = customer_data_export(customer)
    delivered = render(data) if render is not None else data
    req = DataSubjectRequest.objects.create(
        customer=customer, kind=Kind.ACCESS, details=f"download {export_format}"
    )
    apply_transition(
        req,
        "complete",
        by=actor,
        reason=_("Export delivered immediately (%(fmt)s).") % {"fmt": export_format.upper()},
    )
    record_data_export(
        request=request,
        actor=actor,
        obj=customer,
        export_format=export_format,
        description="LGPD data export",
    )
    return delivered


def _locked(req: DataSubjectRequest) -> DataSubjectRequest:
    return DataSubjectRequest.objects.select_for_update().get(pk=req.pk)


@transaction.atomic
def privacy_request_start(*, req: DataSubjectRequest, actor: User) -> DataSubjectRequest:
    req = _locked(req)
    req.handled_by = actor
    apply_transition(req, "start", by=actor)
    _audit("privacy.started", req=req, actor=actor)
    return req


@transaction.atomic
def privacy_request_complete(
    *, req: DataSubjectRequest, actor: User, answer: str
) -> DataSubjectRequest:
    """Answer an access or other request that needs no automatic action."""
    req = _locked(req)
    answer = _clean_text(answer, field="answer")
    if not answer:
        raise ValidationFailed(_("Write the answer to the data subject."), field="answer")
    if req.kind in (Kind.ERASURE, Kind.CORRECTION, Kind.AUTOMATED_DECISION_REVIEW):
        raise Conflict(
            _("This kind of request is answered by its own action (erase, apply, review)."),
            code="use_specific_action",
        )
    req.handled_by = actor
    apply_transition(req, "complete", by=actor, reason=answer)
    _audit("privacy.completed", req=req, actor=actor)
    return req


@transaction.atomic
def privacy_request_refuse(
    *, req: DataSubjectRequest, actor: User, reason: str
) -> DataSubjectRequest:
    req = _locked(req)
    reason = _clean_text(reason, field="reason")
    if not reason:
        raise ValidationFailed(_("A refusal must say why."), field="reason")
    req.handled_by = actor
    apply_transition(req, "refuse", by=actor, reason=reason)
    _audit("privacy.refused", req=req, actor=actor, reason=reason)
    return req


# --- Correction ------------------------------------------------------------------------


def customer_name_change(*, customer: Customer, full_name: str, actor: Any) -> Customer:
    full_name = _validated_correction(DataSubjectRequest.CorrectionField.FULL_NAME, full_name)
    return account_services.customer_full_name_set(
        customer_id=customer.pk, full_name=full_name, reason="LGPD correction"
    )


@transaction.atomic
def user_email_change(*, user: User, email: str, actor: Any) -> User:
    """A new login e-mail: unique, valid; allauth's address list follows (unverified)."""
    from allauth.account.models import EmailAddress

    email = _validated_correction(DataSubjectRequest.CorrectionField.EMAIL, email)
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise Conflict(_("This e-mail address is in use."), field="new_value")
    user = User.objects.select_for_update().get(pk=user.pk)
    user.email = email
    user._change_reason = "LGPD correction"
    try:
        with transaction.atomic():
            user.save(update_fields=["email"])
    except IntegrityError as exc:
        raise Conflict(_("This e-mail address is in use."), field="new_value") from exc
    EmailAddress.objects.filter(user=user).delete()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    return user


@transaction.atomic
def correction_apply(*, req: DataSubjectRequest, actor: User) -> DataSubjectRequest:
    """Apply a reviewed correction through the services that re-validate the value."""
    req = _locked(req)
    if req.kind != Kind.CORRECTION:
        raise Conflict(_("This is not a correction request."), code="not_a_correction")
    if not req.is_open:
        raise Conflict(_("This request was already answered."), code="request_closed")
    customer = req.customer
    if req.field == DataSubjectRequest.CorrectionField.FULL_NAME:
        customer_name_change(customer=customer, full_name=req.new_value, actor=actor)
    elif req.field == DataSubjectRequest.CorrectionField.EMAIL:
        user_email_change(user=customer.user, email=req.new_value, actor=actor)
    else:
        raise Conflict(_("This field cannot be corrected automatically."), code="bad_field")
    req.handled_by = actor
    apply_transition(
        req,
        "complete",
        by=actor,
        reason=_("Corrected: %(field)s.") % {"field": req.get_field_display()},
    )
    _audit("privacy.corrected", req=req, actor=actor, field=req.field)
    return req


# --- Automated decision review (LGPD art. 20) ------------------------------------------


def _latest_rejected_ref(customer: Customer) -> str:
    """The newest rejection of the first source that has one (KYC's, then loans')."""
    for source in registry.decision_sources():
        if ref := source.latest_rejected(customer):
            return ref
    return ""


def _is_rejected(customer: Customer, ref: str) -> bool:
    return registry.decision_source_for(customer, ref) is not None


@transaction.atomic
def automated_decision_review(
    *, req: DataSubjectRequest, actor: User, reverse: bool, reasoning: str
) -> DataSubjectRequest:
    """A person reviews an automated KYC rejection: confirm it, or reverse it (the KYC
    request is reopened when the kyc app offers the way; otherwise the reversal is recorded
    and the answer says the request must be reopened by hand)."""
    req = _locked(req)
    if req.kind != Kind.AUTOMATED_DECISION_REVIEW:
        raise Conflict(_("This is not a review request."), code="not_a_review")
    if not req.is_open:
        raise Conflict(_("This request was already answered."), code="request_closed")
    reasoning = _clean_text(reasoning, field="reasoning")
    if not reasoning:
        raise ValidationFailed(_("Explain the decision to the data subject."), field="reasoning")
    reopened = False
    if reverse:
        source = registry.decision_source_for(req.customer, req.decision_ref)
        if source is not None:
            reopened = source.reopen(req.customer, req.decision_ref, actor=actor, reason=reasoning)
        if source is not None and source.name == "loans":
            verdict = (
                _("Decision reversed; your loan application went back to a credit analyst.")
                if reopened
                else _("Decision reversed; a credit analyst will reopen your application.")
            )
        else:
            verdict = (
                _("Decision reversed; your KYC request was reopened for a new analysis.")
                if reopened
                else _("Decision reversed; compliance will reopen your KYC request.")
            )
    else:
        verdict = _("Decision confirmed after review by a person.")
    req.handled_by = actor
    apply_transition(req, "complete", by=actor, reason=f"{verdict} {reasoning}")
    _audit("privacy.reviewed", req=req, actor=actor, reversed=reverse, reopened=reopened)
    return req


# --- Erasure ---------------------------------------------------------------------------


def _retain(erasure: Erasure, model, ids, until: date) -> int:
    rows = [
        RetainedRecord(
            erasure=erasure,
            model=model._meta.label,
            object_id=str(pk),
            retention_until=until,
            legal_basis=AML_BASIS,
        )
        for pk in ids
    ]
    RetainedRecord.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _erase_user(user: User, anon_label: str) -> dict:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    sessions = sessions_of_user(user.pk)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session in sessions:
        store(session.session_key).delete()  # the row and its cached copy (cached_db)
    mfa, _n = Authenticator.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    # RFC 2606: .invalid never resolves, so nothing can ever be delivered to it.
    email = f"{anon_label}@titular-removido.invalid"
    # The addresses' history (staff may edit them in the admin) held them too.
    EmailAddress.history.model.objects.filter(user_id=user.pk).update(email=email)
    user.email = email
    user.username = anon_label
    user.full_name = ERASED_NAME
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.password = make_password(None)
    user._change_reason = "LGPD erasure"
    user.save()
    anonymise_history(
        User,
        [user.pk],
        email=email,
        username=anon_label,
        full_name=ERASED_NAME,
        first_name="",
        last_name="",
    )
    # Who made a transition stays (the id); the label held the e-mail.
    StateTransitionLog.objects.filter(actor_id=user.pk).update(actor_label=anon_label)
    return {"sessions_removed": len(sessions), "mfa_removed": mfa}


def customer_erase(*, req: DataSubjectRequest, actor: User) -> DataSubjectRequest:
    """Erase a data subject (LGPD art. 18 VI): anonymise what no law makes us keep, block
    the rest (ledger, Pix, KYC for AML) until the end of its retention. Refused, with the
    reason, while money or obligations remain."""
    with transaction.atomic():
        req = _locked(req)
        if req.kind != Kind.ERASURE:
            raise Conflict(_("This is not an erasure request."), code="not_an_erasure")
        if not req.is_open:
            raise Conflict(_("This request was already answered."), code="request_closed")
        customer = (
            Customer.objects.select_for_update().select_related("user").get(pk=req.customer_id)
        )
        reasons = erasure_blockers(customer)
        if reasons:
            req.handled_by = actor
            apply_transition(req, "refuse", by=actor, reason=" ".join(reasons))
            _audit("privacy.refused", req=req, actor=actor, reason=req.answer)
            return req
    # Work that commits on its own (Pix keys leave the DICT, each call its own transaction)
    # runs first; a failure here leaves the request open and nothing anonymised yet.
    released = {}
    for section in registry.sections():
        if section.release is not None:
            released[section.name] = section.release(customer, actor)
    with transaction.atomic():
        req = _locked(req)
        customer = (
            Customer.objects.select_for_update().select_related("user").get(pk=req.customer_id)
        )
        reasons = erasure_blockers(customer)
        if reasons:  # money arrived meanwhile
            req.handled_by = actor
            apply_transition(req, "refuse", by=actor, reason=" ".join(reasons))
            _audit("privacy.refused", req=req, actor=actor, reason=req.answer)
            return req
        now = timezone.now()
        until = _retention_until(timezone.localdate(now))
        user = customer.user
        erasure = Erasure.objects.create(
            customer=customer, request=req, erased_at=now, retention_until=until
        )
        # Each app anonymises its own rows and retains what the law makes us keep.
        ctx = ErasureContext(
            customer=customer,
            account_ids=account_selectors.customer_account_ids(customer_id=customer.pk),
            actor=actor,
            retention_until=until,
            anonymous_name=ERASED_NAME,
            keep=lambda model, ids: _retain(erasure, model, ids, until),
        )
        summaries = dict(released)
        for section in registry.sections():
            if section.erase is not None and (done := section.erase(ctx)):
                summaries[section.name] = done

        # The requests and answers stay (accountability, art. 37); what the subject wrote
        # in them (details, corrected values) is personal data and goes.
        own_requests = DataSubjectRequest.objects.filter(customer=customer)
        request_ids = list(own_requests.values_list("pk", flat=True))
        own_requests.update(details="", new_value="")
        anonymise_history(DataSubjectRequest, request_ids, details="", new_value="")

        anon_label = f"removido-{uuid.uuid4().hex[:16]}"
        user_summary = _erase_user(user, anon_label)

        erasure.summary = {**summaries, "user": user_summary, "retained": ctx.retained}
        erasure.save(update_fields=["summary"])
        req.handled_by = actor
        apply_transition(
            req,
            "complete",
            by=actor,
            reason=_(
                "Your personal data was anonymised. Records the law requires us to keep "
                "(ledger, payments, identification for anti-money-laundering) are blocked "
                "and will be deleted after %(until)s."
            )
            % {"until": until.strftime("%d/%m/%Y")},
        )
        _audit("privacy.erased", req=req, actor=actor, retention_until=until.isoformat())
    return req


def erasure_due_for_deletion(*, today: date | None = None) -> int:
    """How many retained records passed their date (deletion itself is a reviewed batch:
    ledger rows are immutable by trigger and need a migration-level purge procedure)."""
    today = today or timezone.localdate()
    return RetainedRecord.objects.filter(retention_until__lt=today).count()
