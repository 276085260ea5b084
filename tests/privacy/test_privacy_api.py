"""LGPD API, portal page and the officer's answers: garbage never answers 500, nobody sees
another customer's requests, corrections and reviews are applied and recorded."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apps.accounts.models import Customer
from apps.core import roles
from apps.core.models import AuditEvent, User
from apps.kyc.models import KycRequest
from apps.privacy import services
from apps.privacy.models import DataSubjectRequest
from apps.privacy.selectors import privacy_requests_pending
from tests.factories.users import UserFactory
from tests.support.pix_keys import person

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/privacy/requests"


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def officer():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
    return User.objects.get(pk=user.pk)


def test_customer_creates_and_lists_only_their_requests():
    ana, bruno = person("Ana Lucia Prado"), person("Bruno Reis Leal")
    created = client_of(ana.user).post(
        REQUESTS, {"kind": "access", "details": "quero tudo"}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "access" and body["state"] == "received"
    client_of(bruno.user).post(REQUESTS, {"kind": "access"}, format="json")
    mine = client_of(ana.user).get(REQUESTS).json()
    assert [r["id"] for r in mine] == [body["id"]]
    assert DataSubjectRequest.objects.count() == 2


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"kind": "delete-everything"}, "kind"),
        ({"kind": ["erasure"]}, "kind"),
        ({}, "kind"),
        ({"kind": "correction", "field": "email", "new_value": "not-an-email"}, "new_value"),
        ({"kind": "correction", "field": "tax_id", "new_value": "x"}, "field"),
        ({"kind": "correction", "field": "full_name", "new_value": "A"}, "new_value"),
        ({"kind": "correction"}, "field"),
        ({"kind": "access", "details": "x" * 2001}, "details"),
        ({"kind": "access", "field": "email", "new_value": "a@b.co"}, "field"),
        ({"kind": "automated_decision_review"}, "decision_ref"),
        ({"kind": "automated_decision_review", "decision_ref": "999999"}, "decision_ref"),
    ],
)
def test_bad_requests_are_400_with_the_field_and_change_nothing(payload, field):
    ana = person("Ana Lucia Prado")
    response = client_of(ana.user).post(REQUESTS, payload, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in {v["propriedade"] for v in response.json()["violacoes"]}
    assert not DataSubjectRequest.objects.exists()


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(["kind", "details", "field", "new_value", "decision_ref", "x"]),
            st.one_of(
                st.text(max_size=300),
                st.integers(),
                st.none(),
                st.lists(st.text(max_size=5), max_size=3),
                st.sampled_from(DataSubjectRequest.Kind.values + ["email", "full_name"]),
            ),
        ),
        st.text(max_size=50),
        st.lists(st.integers(), max_size=3),
    )
)
def test_any_body_never_answers_500(body):
    customer = Customer.objects.filter(full_name="Fuzz Target Person").first() or person(
        "Fuzz Target Person"
    )
    response = client_of(customer.user).post(
        REQUESTS, json.dumps(body), content_type="application/json"
    )
    assert response.status_code in (201, 400, 409, 422), response.content


def test_not_a_customer_or_anonymous_gets_no_data():
    staff = UserFactory(is_staff=True)
    assert client_of(staff).get("/api/v1/privacy/export").status_code == 404
    assert client_of(staff).post(REQUESTS, {"kind": "access"}, format="json").status_code == 404
    assert APIClient().get("/api/v1/privacy/export").status_code in (401, 403)
    assert APIClient().get(REQUESTS).status_code in (401, 403)


def test_export_json_and_pdf_are_audited_and_recorded():
    ana = person("Ana Lucia Prado")
    person("Bruno Reis Leal")
    client = client_of(ana.user)
    response = client.get("/api/v1/privacy/export")
    assert response.status_code == 200
    data = response.json()
    assert data["customer"]["full_name"] == "Ana Lucia Prado"
    assert "Bruno Reis Leal" not in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"
    pdf = client.get("/api/v1/privacy/export.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf["Content-Type"] == "application/pdf"
    exports = AuditEvent.objects.filter(action=AuditEvent.Action.DATA_EXPORT, actor=ana.user)
    assert sorted(e.detail["format"] for e in exports) == ["json", "pdf"]
    answered = DataSubjectRequest.objects.filter(customer=ana, kind="access", state="completed")
    assert answered.count() == 2


def test_correction_is_reviewed_and_applied_through_the_services(officer):
    ana = person("Ana Lucia Prado")
    name_req = services.privacy_request_create(
        customer=ana, kind="correction", field="full_name", new_value="  Ana  Lúcia Prado  "
    )
    mail_req = services.privacy_request_create(
        customer=ana, kind="correction", field="email", new_value="Ana.Nova@Example.com"
    )
    services.privacy_request_start(req=name_req, actor=officer)
    services.correction_apply(req=name_req, actor=officer)
    services.correction_apply(req=mail_req, actor=officer)
    ana.refresh_from_db()
    user = User.objects.get(pk=ana.user_id)
    assert ana.full_name == user.full_name == "Ana Lúcia Prado"
    assert user.email == "ana.nova@example.com"
    name_req.refresh_from_db()
    assert name_req.state == "completed" and name_req.handled_by == officer
    assert AuditEvent.objects.filter(detail__event="privacy.corrected").count() == 2
    with pytest.raises(services.Conflict):
        services.correction_apply(req=name_req, actor=officer)


def test_correction_to_an_email_in_use_is_refused_and_changes_nothing(officer):
    ana, bruno = person("Ana Lucia Prado"), person("Bruno Reis Leal")
    req = services.privacy_request_create(
        customer=ana, kind="correction", field="email", new_value=bruno.user.email
    )
    with pytest.raises(services.Conflict):
        services.correction_apply(req=req, actor=officer)
    assert User.objects.get(pk=ana.user_id).email == ana.user.email
    req.refresh_from_db()
    assert req.state == "received"


def _rejected_kyc(customer: Customer) -> KycRequest:
    return KycRequest.objects.create(
        customer=customer,
        target_level=2,
        declared_name=customer.full_name,
        state=KycRequest.State.REJECTED,
        reasons="face_match: distance 0.71 above threshold 0.6",
    )


def test_automated_decision_review_goes_to_the_queue_and_is_answered(officer):
    ana, bruno = person("Ana Lucia Prado"), person("Bruno Reis Leal")
    kyc = _rejected_kyc(ana)
    others = _rejected_kyc(bruno)
    # Someone else's decision cannot be the subject of my review.
    with pytest.raises(services.ValidationFailed):
        services.privacy_request_create(
            customer=ana, kind="automated_decision_review", decision_ref=str(others.pk)
        )
    req = services.privacy_request_create(customer=ana, kind="automated_decision_review")
    assert req.decision_ref == str(kyc.pk)
    assert list(privacy_requests_pending()) == [req]
    done = services.automated_decision_review(
        req=req, actor=officer, reverse=True, reasoning="The selfie was dark; new analysis."
    )
    assert done.state == "completed" and "revertida" in done.answer  # pt-BR, the default
    assert "reaberta" in done.answer or "reaberto" in done.answer
    assert "new analysis" in done.answer
    kyc.refresh_from_db()
    assert kyc.state == KycRequest.State.IN_REVIEW  # reopened for a new analysis
    assert kyc.reasons == "The selfie was dark; new analysis."
    others.refresh_from_db()
    assert others.state == KycRequest.State.REJECTED
    assert not privacy_requests_pending().exists()
    confirm = services.privacy_request_create(customer=bruno, kind="automated_decision_review")
    done = services.automated_decision_review(
        req=confirm, actor=officer, reverse=False, reasoning="Document does not match."
    )
    assert "confirmada" in done.answer
    assert AuditEvent.objects.filter(detail__event="privacy.reviewed").count() == 2


def test_second_open_erasure_is_a_conflict():
    ana = person("Ana Lucia Prado")
    # No account, no money: the request stays open for the officer.
    first = services.privacy_request_create(customer=ana, kind="erasure")
    assert first.state == "received"
    response = client_of(ana.user).post(REQUESTS, {"kind": "erasure"}, format="json")
    assert response.status_code == 409


def test_officer_erases_from_the_admin(client, officer):
    ana = person("Ana Lucia Prado")
    req = services.privacy_request_create(customer=ana, kind="erasure")
    client.force_login(officer)
    url = reverse("admin:privacy_datasubjectrequest_changelist")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "action": "erase",
            "_selected_action": [req.pk],
            "apply": "1",
            "reason": "Pedido do titular verificado",
        },
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.state == "completed", req.answer
    assert Customer.objects.get(pk=ana.pk).full_name == services.ERASED_NAME


def test_operator_without_the_role_cannot_erase(client):
    operator = UserFactory(is_staff=True)
    operator.groups.add(Group.objects.get(name=roles.OPERATOR))
    ana = person("Ana Lucia Prado")
    req = services.privacy_request_create(customer=ana, kind="erasure")
    client.force_login(operator)
    url = reverse("admin:privacy_datasubjectrequest_changelist")
    client.post(url, {"action": "erase", "_selected_action": [req.pk], "apply": "1", "reason": "x"})
    req.refresh_from_db()
    assert req.state == "received"
    assert Customer.objects.get(pk=ana.pk).full_name == "Ana Lucia Prado"


def test_portal_page_forms_and_downloads(client):
    ana = person("Ana Lucia Prado")
    client.force_login(ana.user)
    home = reverse("portal:privacy:home")
    page = client.get(home)
    assert page.status_code == 200
    assert reverse("portal:privacy:export_pdf") in page.content.decode()
    bad = client.post(home, {"kind": "correction", "field": "email", "new_value": "nope"})
    assert bad.status_code == 422
    assert client.post(home, {"kind": "nonsense"}).status_code == 400
    assert not DataSubjectRequest.objects.exists()
    good = client.post(home, {"kind": "access", "details": "tudo"})
    assert good.status_code == 302
    assert DataSubjectRequest.objects.filter(customer=ana, kind="access").count() == 1
    json_file = client.get(reverse("portal:privacy:export_json"))
    assert json_file.status_code == 200
    assert json.loads(json_file.content)["customer"]["full_name"] == "Ana Lucia Prado"
    pdf = client.get(reverse("portal:privacy:export_pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_portal_page_without_customer_profile_is_404(client):
    client.force_login(UserFactory())
    assert client.get(reverse("portal:privacy:home")).status_code == 404
