"""The KYC console: officers see the checks and documents (links, never content) and
decide with a reason; operators see nothing of it."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.kyc import services
from apps.kyc.models import KycRequest
from tests.support.kyc import BIRTH, document_photo, holder, officer, operator

pytestmark = pytest.mark.django_db


def in_review():
    customer = holder()
    request = services.kyc_request_create(
        customer=customer, target_level=1, declared_name="Outro Nome", birth_date=BIRTH
    )
    services.kyc_document_add(request=request, kind="cnh", content=document_photo())
    return services.kyc_request_submit(request=request)


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_officer_sees_checks_and_document_links_without_content():
    request = in_review()
    client = client_for(officer())
    client.cookies["django_language"] = "en"  # the checks read in the reader's language
    page = client.get(f"/admin/kyc/kycrequest/{request.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "declared name differs" in html.lower()
    document = request.documents.get()
    assert f"/verification/documents/{document.pk}/" in html
    assert "content_encrypted" not in html
    assert client.get("/admin/kyc/kycrequest/").status_code == 200


def test_officer_approves_with_a_reason_through_the_action():
    request = in_review()
    client = client_for(officer())
    url = "/admin/kyc/kycrequest/"
    form = {"action": "approve", "_selected_action": [request.pk]}
    asked = client.post(url, form)
    assert asked.status_code == 200  # the reason page
    done = client.post(url, {**form, "apply": "1", "reason": "Nickname on the CNH"})
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.state == KycRequest.State.APPROVED
    request.customer.refresh_from_db()
    assert request.customer.kyc_level == 1


def test_operator_has_no_kyc_console():
    request = in_review()
    client = client_for(operator())
    assert client.get(f"/admin/kyc/kycrequest/{request.pk}/change/").status_code in (302, 403)


def test_the_checks_read_as_a_table_in_the_officers_language():
    """Not the stored JSON: each check by its name, its outcome and what it found, in
    pt-BR; then the decision and when the checks ran, in Brasilia time."""
    request = in_review()
    KycRequest.objects.filter(pk=request.pk).update(
        check_results={
            **request.check_results,
            "ran_at": "2026-12-02T13:05:00+00:00",  # 10:05 in Brasilia
        }
    )
    page = client_for(officer()).get(f"/admin/kyc/kycrequest/{request.pk}/change/")
    html = page.content.decode()
    assert "<table>" in html and "Nome declarado" in html and "reprovada" in html
    assert "aprovada" in html  # the checks that passed (CPF, birth date, screening)
    assert '"outcome"' not in html and "&quot;outcome&quot;" not in html  # no raw JSON
    assert '"checks"' not in html and "&quot;checks&quot;" not in html
    assert "02/12/2026 10:05:00" in html and "Brasília" in html
    assert "Decisão: enviada a um analista de compliance." in html
