"""KYC upgrade requests: the FSM paths, the automatic decisions and the approval that
raises the customer's level."""

from __future__ import annotations

from datetime import date

import pytest

from apps.core.errors import Conflict, Forbidden, ValidationFailed
from apps.core.fsm import InvalidTransition, transitions_of
from apps.core.models import AuditEvent, StateTransitionLog
from apps.kyc import services
from apps.kyc.models import KycDocument, KycRequest
from apps.kyc.selectors import kyc_requests_for_review
from tests.support.kyc import (
    BIRTH,
    HOLDER,
    document_photo,
    holder,
    officer,
    operator,
    pdf_bytes,
    selfie_other_person,
    selfie_same_person,
)

pytestmark = pytest.mark.django_db
State = KycRequest.State


def open_request(customer, target_level=1, name=HOLDER, birth=BIRTH, **extra):
    return services.kyc_request_create(
        customer=customer,
        target_level=target_level,
        declared_name=name,
        birth_date=birth,
        **extra,
    )


def with_level2_documents(request, selfie=None):
    services.kyc_document_add(request=request, kind="cnh", content=document_photo())
    services.kyc_document_add(
        request=request, kind="selfie", content=selfie or selfie_same_person()
    )
    return request


def test_level1_passes_automatically_and_raises_the_level():
    customer = holder()
    request = services.kyc_request_submit(request=open_request(customer, name="maria  SOUZA lima"))
    assert request.state == State.APPROVED
    assert request.check_results["decision"] == "auto_approved"
    assert {c["outcome"] for c in request.check_results["checks"].values()} == {"pass"}
    customer.refresh_from_db()
    assert customer.kyc_level == 1
    # History of the customer says why the level changed; the FSM log has every step.
    assert customer.history.first().history_change_reason == f"KYC request #{request.pk} approved"
    steps = list(transitions_of(request).order_by("pk").values_list("transition", flat=True))
    assert steps == ["submit", "start_checks", "approve"]
    events = AuditEvent.objects.filter(object_id=str(request.pk), object_type="kyc.KycRequest")
    assert {e.detail["event"] for e in events} >= {
        "kyc.created",
        "kyc.submitted",
        "kyc.level_granted",
    }


def test_level2_with_matching_selfie_is_approved_and_records_the_distance(settings):
    settings.KYC_FACE_MATCH_THRESHOLD = 0.6
    customer = holder()
    request = with_level2_documents(open_request(customer, target_level=2))
    request = services.kyc_request_submit(request=request)
    assert request.state == State.APPROVED
    face = request.check_results["face"]
    assert face["threshold"] == 0.6 and 0 <= face["distance"] < 0.6
    customer.refresh_from_db()
    assert customer.kyc_level == 2


def test_level2_with_another_persons_selfie_goes_to_review_then_an_officer_decides():
    customer = holder()
    request = with_level2_documents(
        open_request(customer, target_level=2), selfie=selfie_other_person()
    )
    request = services.kyc_request_submit(request=request)
    assert request.state == State.IN_REVIEW
    assert request.check_results["checks"]["face_match"]["outcome"] == "fail"
    assert request.check_results["face"]["distance"] > 0.6
    # The customer reads the state, not which check failed; the back office has the log.
    assert request.reasons == ""
    log = StateTransitionLog.objects.filter(object_id=str(request.pk), transition="send_to_review")
    assert "face_match" in log.get().reason
    assert list(kyc_requests_for_review()) == [request]
    customer.refresh_from_db()
    assert customer.kyc_level == 0

    with pytest.raises(Forbidden):
        services.kyc_request_approve(request, operator())
    reviewer = officer()
    approved = services.kyc_request_approve(request, reviewer, reason="Checked by video call")
    assert approved.state == State.APPROVED and approved.reviewed_by == reviewer
    assert approved.decided_at is not None
    customer.refresh_from_db()
    assert customer.kyc_level == 2
    assert list(kyc_requests_for_review()) == []


def test_name_mismatch_is_reviewed_and_can_be_rejected_with_a_reason():
    customer = holder()
    request = services.kyc_request_submit(request=open_request(customer, name="Joana Prado"))
    assert request.state == State.IN_REVIEW
    assert request.check_results["checks"]["name"]["outcome"] == "fail"
    with pytest.raises(ValidationFailed):
        services.kyc_request_reject(request, officer(), reason="  ")
    rejected = services.kyc_request_reject(request, officer(), reason="Name does not match")
    assert rejected.state == State.REJECTED and rejected.reasons == "Name does not match"
    customer.refresh_from_db()
    assert customer.kyc_level == 0
    # A decided request is closed: a new one may be opened.
    assert open_request(customer).state == State.DRAFT


def test_minor_is_sent_to_review():
    today = date.today()
    customer = holder()
    minor = date(today.year - 17, 1, 1)
    request = services.kyc_request_submit(request=open_request(customer, birth=minor))
    assert request.state == State.IN_REVIEW
    assert request.check_results["checks"]["birth_date"]["outcome"] == "fail"


def test_needs_info_goes_back_to_the_customer_and_is_submitted_again():
    customer = holder()
    request = services.kyc_request_submit(request=open_request(customer, name="Maria S."))
    assert request.state == State.IN_REVIEW
    asked = services.kyc_request_ask_info(request, officer(), reason="Use your full name")
    assert asked.state == State.NEEDS_INFO and asked.reasons == "Use your full name"
    services.kyc_request_update(request=asked, declared_name=HOLDER)
    again = services.kyc_request_submit(request=asked)
    assert again.state == State.APPROVED
    steps = list(transitions_of(again).order_by("pk").values_list("transition", flat=True))
    assert steps == [
        "submit",
        "start_checks",
        "send_to_review",
        "ask_info",
        "submit",
        "start_checks",
        "approve",
    ]


def test_level3_always_needs_an_officer():
    customer = holder()
    request = open_request(
        customer,
        target_level=3,
        monthly_income_cents=800_000,
        address_line="Rua das Flores, 10",
        city="Sao Paulo",
        state_code="sp",
        postal_code="01000-000",
    )
    with_level2_documents(request)
    services.kyc_document_add(request=request, kind="proof_of_address", content=pdf_bytes())
    services.kyc_document_add(request=request, kind="proof_of_income", content=pdf_bytes())
    request = services.kyc_request_submit(request=request)
    assert request.state == State.IN_REVIEW
    assert {c["outcome"] for c in request.check_results["checks"].values()} == {"pass"}
    assert request.state_code == "SP"
    services.kyc_request_approve(request, officer())
    customer.refresh_from_db()
    assert customer.kyc_level == 3


def test_submit_names_everything_missing_and_changes_nothing():
    customer = holder()
    request = open_request(customer, target_level=3, birth=None)
    with pytest.raises(ValidationFailed) as caught:
        services.kyc_request_submit(request=request)
    fields = {v["propriedade"] for v in caught.value.violations}
    assert {"birth_date", "rg_front", "selfie", "proof_of_address", "monthly_income"} <= fields
    request.refresh_from_db()
    assert request.state == State.DRAFT


def test_one_open_request_per_customer_and_no_downgrade():
    customer = holder()
    open_request(customer)
    with pytest.raises(Conflict):
        open_request(customer, target_level=2)
    other = holder("Ana Lima")
    other.kyc_level = 2
    other.save()
    with pytest.raises(ValidationFailed):
        open_request(other, target_level=1, name="Ana Lima")


def test_documents_are_encrypted_replaced_and_frozen_after_submit():
    customer = holder()
    request = open_request(customer, target_level=2)
    first = services.kyc_document_add(request=request, kind="cnh", content=document_photo())
    photo = document_photo()
    assert photo not in bytes(first.content_encrypted)
    assert first.sha256 and first.content_type == "image/png" and first.size == len(photo)
    services.kyc_document_add(request=request, kind="cnh", content=document_photo())
    assert request.documents.filter(kind="cnh").count() == 1
    services.kyc_document_add(request=request, kind="selfie", content=selfie_same_person())
    services.kyc_request_submit(request=request)
    with pytest.raises(Conflict):
        services.kyc_document_add(request=request, kind="rg_back", content=document_photo())


def test_invalid_transitions_are_refused():
    customer = holder()
    request = services.kyc_request_submit(request=open_request(customer))
    assert request.state == State.APPROVED
    with pytest.raises(InvalidTransition):
        services.kyc_request_reject(request, officer(), reason="late")
    with pytest.raises(InvalidTransition):
        services.kyc_request_submit(request=request)


def test_the_same_document_used_by_another_customer_is_flagged():
    first = holder()
    services.kyc_document_add(
        request=open_request(first, target_level=2), kind="cnh", content=document_photo()
    )
    second = holder("Ana Lima")
    request = with_level2_documents(open_request(second, target_level=2, name="Ana Lima"))
    request = services.kyc_request_submit(request=request)
    assert request.state == State.IN_REVIEW
    duplicates = request.check_results["checks"]["duplicates"]
    assert duplicates["outcome"] == "fail" and duplicates["data"]["kinds"] == ["cnh"]
    assert KycDocument.objects.filter(kind="cnh").count() == 2
