"""The portal's verification pages (Django test client): level and limits, start, upload,
submit, the status and reasons, and answering a request for more information."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.kyc import services
from apps.kyc.models import KycDocument, KycRequest
from tests.support.kyc import (
    BIRTH,
    HOLDER,
    document_photo,
    holder,
    officer,
    selfie_same_person,
)

pytestmark = pytest.mark.django_db
HOME = "/verification/"


@pytest.fixture
def maria():
    customer = holder()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(customer.user)
    return customer, client


def upload(client, request_id, kind, content, name="doc.png"):
    return client.post(
        f"{HOME}{request_id}/",
        {"action": "upload", "kind": kind, "file": SimpleUploadedFile(name, content)},
    )


def test_level_and_limits_are_shown_and_the_nav_links_here(maria):
    _, client = maria
    page = client.get(HOME)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="kyc-level">0<' in html
    assert "R$ 500,00" in html and "R$ 2.000,00" in html
    assert f'href="{HOME}"' in client.get("/").content.decode()


def test_start_upload_submit_and_be_approved(maria):
    customer, client = maria
    started = client.post(
        HOME,
        {"target_level": "2", "declared_name": HOLDER, "birth_date": BIRTH.isoformat()},
    )
    assert started.status_code == 302
    request = KycRequest.objects.get(customer=customer)
    assert started["Location"] == f"{HOME}{request.pk}/"
    detail = client.get(started["Location"]).content.decode()
    assert 'data-testid="kyc-missing"' in detail

    assert upload(client, request.pk, "cnh", document_photo()).status_code == 302
    assert upload(client, request.pk, "selfie", selfie_same_person(), "me.jpg").status_code == 302
    assert request.documents.count() == 2
    done = client.post(f"{HOME}{request.pk}/", {"action": "submit"}, follow=True)
    assert done.status_code == 200
    request.refresh_from_db()
    customer.refresh_from_db()
    assert request.state == "approved" and customer.kyc_level == 2
    assert "R$ 50.000,00" in client.get(HOME).content.decode()


def test_garbage_upload_and_incomplete_submit_are_form_errors(maria):
    customer, client = maria
    request = services.kyc_request_create(
        customer=customer, target_level=2, declared_name=HOLDER, birth_date=BIRTH
    )
    bad = upload(client, request.pk, "cnh", b"\x00garbage\xff")
    assert bad.status_code == 400
    assert "Unsupported file" in bad.content.decode()
    bad_kind = upload(client, request.pk, "passport", document_photo())
    assert bad_kind.status_code == 400
    too_soon = client.post(f"{HOME}{request.pk}/", {"action": "submit"})
    assert too_soon.status_code == 400
    assert "Upload a selfie." in too_soon.content.decode()
    bad_details = client.post(
        f"{HOME}{request.pk}/",
        {
            "action": "details",
            "declared_name": "",
            "birth_date": "31/02/1990",
            "monthly_income": "abc",
        },
    )
    assert bad_details.status_code == 400
    assert KycDocument.objects.count() == 0
    request.refresh_from_db()
    assert request.state == "draft" and request.declared_name == HOLDER
    bad_start = client.post(HOME, {"target_level": "7", "declared_name": "x"})
    assert bad_start.status_code == 302  # an open request exists: back to it, nothing made


def test_needs_info_shows_the_reason_and_can_be_answered(maria):
    customer, client = maria
    request = services.kyc_request_create(
        customer=customer, target_level=1, declared_name="M. Souza", birth_date=BIRTH
    )
    services.kyc_request_submit(request=request)
    services.kyc_request_ask_info(request, officer(), reason="Write your full name")
    home = client.get(HOME).content.decode()
    assert "Write your full name" in home
    saved = client.post(
        f"{HOME}{request.pk}/",
        {"action": "details", "declared_name": HOLDER, "birth_date": "01/05/1990"},
    )
    assert saved.status_code == 302
    client.post(f"{HOME}{request.pk}/", {"action": "submit"})
    request.refresh_from_db()
    assert request.state == "approved"


def test_another_customers_request_and_document_are_404(maria):
    customer, _ = maria
    request = services.kyc_request_create(
        customer=customer, target_level=2, declared_name=HOLDER, birth_date=BIRTH
    )
    document = services.kyc_document_add(request=request, kind="cnh", content=document_photo())
    other = Client()
    other.force_login(holder("Ana Lima").user)
    assert other.get(f"{HOME}{request.pk}/").status_code == 404
    assert upload(other, request.pk, "cnh", document_photo()).status_code == 404
    assert other.get(f"{HOME}documents/{document.pk}/").status_code == 404
    assert Client().get(f"{HOME}documents/{document.pk}/").status_code == 404
    mine = Client()
    mine.force_login(customer.user)
    response = mine.get(f"{HOME}documents/{document.pk}/")
    assert response.status_code == 200 and response.content == document_photo()
