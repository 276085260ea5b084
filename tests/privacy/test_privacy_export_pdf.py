"""The LGPD export as a PDF renders for the largest records (issue #11).

A customer with a KYC request under review got reportlab's LayoutError from
/api/v1/privacy/export.pdf and the portal's /privacy/export.pdf (19 columns, one narrow
column each, rows taller than a page), while the access request was recorded as delivered.
Wide sections are now one block of "label: value" rows per record, every value wraps, and
nothing is recorded when rendering fails.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.core.models import AuditEvent
from apps.kyc.models import KycRequest
from apps.privacy.models import DataSubjectRequest
from apps.privacy.pdf import MAX_TABLE_COLUMNS, render_export_pdf
from tests.support.pix_keys import person

pytestmark = pytest.mark.django_db

LONG_WORD = "x" * 3_000  # no space to break at: a hash, a URL, a base64 blob


def largest_request_under_review(customer) -> KycRequest:
    """Every text field at its maximum, and the checks' results as the review sees them."""
    return KycRequest.objects.create(
        customer=customer,
        target_level=3,
        from_level=2,
        declared_name="N" * 150,
        birth_date=date(1990, 5, 1),
        monthly_income_cents=99_999_999_999,
        address_line="Rua " + "Longa " * 32,
        city="C" * 100,
        state_code="SP",
        postal_code="01310-100",
        state=KycRequest.State.IN_REVIEW,
        check_results={
            f"check_{n}": {"passed": False, "detail": "d" * 400, "evidence": LONG_WORD[:800]}
            for n in range(8)
        },
        reasons=("face_match: distance 0.71 above threshold 0.6. " * 100) + LONG_WORD,
        submitted_at=timezone.now(),
    )


def access_requests(customer) -> int:
    return DataSubjectRequest.objects.filter(customer=customer, kind="access").count()


def test_the_export_pdf_renders_a_kyc_request_under_review():
    maria = person("Maria Souza Lima")
    largest_request_under_review(maria)
    client = APIClient()
    client.force_authenticate(maria.user)

    response = client.get("/api/v1/privacy/export.pdf")

    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert access_requests(maria) == 1


def test_the_portal_export_pdf_renders_it_too(client):
    maria = person("Maria Souza Lima")
    largest_request_under_review(maria)
    client.force_login(maria.user)

    response = client.get(reverse("portal:privacy:export_pdf"))

    assert response.status_code == 200 and response.content.startswith(b"%PDF")


@pytest.mark.parametrize("columns", [2, MAX_TABLE_COLUMNS, MAX_TABLE_COLUMNS + 1, 19, 40])
def test_sections_of_any_width_with_huge_values_render(columns):
    record = {f"column_{n}": ("word " * 800) + LONG_WORD for n in range(columns)}
    data = {
        "generated_at": "2026-12-06T12:00:00-03:00",
        "kyc": {"requests": [record, record]},
        "customer": record,
    }
    assert render_export_pdf(data).startswith(b"%PDF")


def test_a_pdf_that_fails_to_render_is_not_recorded_as_delivered(monkeypatch):
    maria = person("Maria Souza Lima")
    client = APIClient()
    client.force_authenticate(maria.user)

    def broken(data):
        raise RuntimeError("reportlab gave up")

    monkeypatch.setattr("apps.privacy.api.render_export_pdf", broken)
    assert client.get("/api/v1/privacy/export.pdf").status_code == 500

    assert access_requests(maria) == 0
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.DATA_EXPORT, actor=maria.user
    ).exists()
