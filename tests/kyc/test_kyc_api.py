"""KYC through the API, end to end with the Pix API: the acceptance lines of issue 5 about
levels, and who may fetch a document."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from apps.core import roles
from apps.core.models import AuditEvent
from apps.kyc.models import KycDocument, KycRequest
from tests.factories.ledger import funded_account
from tests.support.kyc import (
    BIRTH,
    HOLDER,
    document_photo,
    holder,
    officer,
    operator,
    selfie_same_person,
    staff,
)
from tests.support.pix_keys import api_client, idem
from tests.support.pix_transfers import key_elsewhere

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the messages' English wording (the portal's second language); the
    # pt-BR catalog is checked by tests/core/test_untranslated.py.
    with translation.override("en"):
        yield


PIX = "/api/v1/pix/transfers"
KYC = "/api/v1/kyc"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def send_pix(client, account, key, amount="600.00"):
    body = {"account": account.pk, "key": key, "amount": amount, "description": "aluguel"}
    return client.post(PIX, body, format="json", **idem())


def upload(client, request_id, kind, content, name="photo.png"):
    return client.post(
        f"{KYC}/requests/{request_id}/documents",
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def open_level2(client, name=HOLDER):
    created = client.post(
        f"{KYC}/requests",
        {"target_level": 2, "declared_name": name, "birth_date": BIRTH.isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.json()
    request_id = created.json()["id"]
    assert upload(client, request_id, "cnh", document_photo()).status_code == 201
    selfie = upload(client, request_id, "selfie", selfie_same_person(), "selfie.jpg")
    assert selfie.status_code == 201, selfie.json()
    return request_id


def test_level0_refused_600_then_automatic_level2_lets_the_same_pix_through():
    customer = holder()
    account = funded_account(100_000, customer=customer)
    client = api_client(customer)
    key = key_elsewhere()

    refused = send_pix(client, account, key)
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith(PROBLEM)
    detail = refused.json()["detail"]
    assert "Limite diário de Pix de R$ 500,00 do nível 0 de KYC" in detail
    assert "conclua a verificação de identidade do nível 1 de KYC" in detail

    level = client.get(f"{KYC}/level").json()
    assert level == {
        "level": 0,
        "daily_limit": "500.00",
        "monthly_limit": "2000.00",
        "features": [],
        "next_level": 1,
    }
    request_id = open_level2(client)
    submitted = client.post(f"{KYC}/requests/{request_id}/submit")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "approved"
    level = client.get(f"{KYC}/level").json()
    assert level["level"] == 2 and level["daily_limit"] == "50000.00"
    assert level["features"] == ["cards", "loans", "ted"]

    sent = send_pix(client, account, key)
    assert sent.status_code == 201, sent.json()
    assert sent.json()["amount"] == "600.00"


def test_officer_approval_through_the_review_api_lets_the_pix_through():
    customer = holder()
    account = funded_account(100_000, customer=customer)
    client = api_client(customer)
    key = key_elsewhere()
    assert send_pix(client, account, key).status_code == 422

    # A declared name that differs from the account holder's: a person must look.
    request_id = open_level2(client, name="Maria S. Lima")
    submitted = client.post(f"{KYC}/requests/{request_id}/submit").json()
    assert submitted["state"] == "in_review"
    assert send_pix(client, account, key).status_code == 422

    customer_tries = client.post(f"{KYC}/review/{request_id}/approve", {}, format="json")
    assert customer_tries.status_code == 403
    staff_client = APIClient()
    staff_client.force_authenticate(operator())
    assert staff_client.get(f"{KYC}/review").status_code == 403
    staff_client.force_authenticate(officer())
    queue = staff_client.get(f"{KYC}/review").json()
    assert [row["id"] for row in queue] == [request_id]
    assert queue[0]["check_results"]["checks"]["name"]["outcome"] == "fail"
    approved = staff_client.post(
        f"{KYC}/review/{request_id}/approve", {"reason": "Abbreviated name"}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["state"] == "approved"

    assert send_pix(client, account, key).status_code == 201


def test_reject_and_needs_info_need_a_reason_and_the_customer_sees_it():
    customer = holder()
    client = api_client(customer)
    request_id = open_level2(client, name="Outra Pessoa")
    client.post(f"{KYC}/requests/{request_id}/submit")
    staff_client = APIClient()
    staff_client.force_authenticate(officer())
    no_reason = staff_client.post(f"{KYC}/review/{request_id}/needs-info", {}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json()["violacoes"][0]["propriedade"] == "reason"
    asked = staff_client.post(
        f"{KYC}/review/{request_id}/needs-info", {"reason": "Send your CNH again"}, format="json"
    )
    assert asked.json()["state"] == "needs_info"
    mine = client.get(f"{KYC}/requests/{request_id}").json()
    assert mine["state"] == "needs_info" and mine["reasons"] == "Send your CNH again"
    missing = staff_client.post(f"{KYC}/review/999999/approve", {}, format="json")
    assert missing.status_code == 404


def test_garbage_uploads_are_400_with_the_field_and_store_nothing():
    customer = holder()
    client = api_client(customer)
    request_id = client.post(
        f"{KYC}/requests", {"target_level": 2, "declared_name": HOLDER}, format="json"
    ).json()["id"]
    for kind, content in [("cnh", b"garbage"), ("selfie", b"%PDF-1.4 nope"), ("cnh", b"")]:
        response = upload(client, request_id, kind, content)
        assert response.status_code == 400, response.content
        assert response["Content-Type"].startswith(PROBLEM)
        assert response.json()["violacoes"][0]["propriedade"] == "file"
    bad_kind = upload(client, request_id, "passport", document_photo())
    assert bad_kind.status_code == 400
    assert bad_kind.json()["violacoes"][0]["propriedade"] == "kind"
    no_file = client.post(f"{KYC}/requests/{request_id}/documents", {"kind": "cnh"})
    assert no_file.status_code == 400
    json_body = client.post(
        f"{KYC}/requests/{request_id}/documents", {"kind": "cnh"}, format="json"
    )
    assert json_body.status_code == 415
    assert KycDocument.objects.count() == 0
    bad_create = client.post(
        f"{KYC}/requests",
        {"target_level": 9, "declared_name": "", "birth_date": "yesterday"},
        format="json",
    )
    assert bad_create.status_code == 400
    fields = {v["propriedade"] for v in bad_create.json()["violacoes"]}
    assert fields == {"target_level", "declared_name", "birth_date"}
    submit_missing = client.post(f"{KYC}/requests/{request_id}/submit")
    assert submit_missing.status_code == 400
    assert {v["propriedade"] for v in submit_missing.json()["violacoes"]} >= {"rg_front", "selfie"}
    assert KycRequest.objects.get(pk=request_id).state == "draft"


def test_someone_elses_request_is_a_404():
    owner = holder()
    request_id = (
        api_client(owner)
        .post(f"{KYC}/requests", {"target_level": 1, "declared_name": HOLDER}, format="json")
        .json()["id"]
    )
    intruder = api_client(holder("Ana Lima"))
    assert intruder.get(f"{KYC}/requests/{request_id}").status_code == 404
    assert intruder.post(f"{KYC}/requests/{request_id}/submit").status_code == 404
    assert upload(intruder, request_id, "cnh", document_photo()).status_code == 404
    assert intruder.get(f"{KYC}/requests").json() == []
    assert APIClient().get(f"{KYC}/requests").status_code in (401, 403)


# --- who may fetch a document ---------------------------------------------------------------


@pytest.fixture
def cnh():
    customer = holder()
    client = api_client(customer)
    request_id = open_level2(client)
    document = KycDocument.objects.get(request_id=request_id, kind="cnh")
    return customer, document


def fetch(user, document):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client.get(f"{KYC}/documents/{document.pk}")


def test_the_owner_gets_the_decrypted_file_as_a_private_attachment(cnh):
    customer, document = cnh
    bearer_like = api_client(customer).get(f"{KYC}/documents/{document.pk}")
    assert bearer_like.status_code == 200 and bearer_like.content == document_photo()
    response = fetch(customer.user, document)
    assert response.status_code == 200
    assert response.content == document_photo()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", [roles.COMPLIANCE_OFFICER, roles.ADMIN])
def test_compliance_roles_get_it_and_the_access_is_audited(cnh, role):
    _, document = cnh
    reader = staff(role)
    response = fetch(reader, document)
    assert response.status_code == 200 and response.content == document_photo()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DATA_EXPORT, actor=reader, object_id=str(document.pk)
    ).exists()


def test_other_customers_operators_and_anonymous_cannot_fetch_it(cnh):
    _, document = cnh
    other = holder("Ana Lima")
    for user in (other.user, operator()):
        response = fetch(user, document)
        assert response.status_code == 404
        assert response["Content-Type"].startswith(PROBLEM)
        assert document_photo() not in response.content
    anonymous = fetch(None, document)
    assert anonymous.status_code in (401, 403)
    assert document_photo() not in anonymous.content
    # A customer of the compliance group who is not staff is still only a customer.
    not_staff = staff(roles.COMPLIANCE_OFFICER)
    not_staff.is_staff = False
    not_staff.save()
    assert fetch(not_staff, document).status_code == 404
