"""The compliance queue in the admin: who may see it, the unified list, the actions on
alerts (assign to me, transitions with a reason, COAF preparation and approval), notes, the
cautionary block, rule parameter edits and the COAF exports."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin import helpers
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from apps.accounts.models import Hold
from apps.core import roles
from apps.core.models import AuditEvent
from apps.monitoring import services
from apps.monitoring.models import Alert, AlertNote, CoafReport, MonitoringRule
from tests.factories.users import UserFactory
from tests.support.monitoring import (
    alerts_of,
    drain_all,
    funded_account,
    officer,
    only_rules,
    staff_with_role,
    transfer,
)

pytestmark = pytest.mark.django_db

QUEUE = "/admin/monitoring/alert/queue/"
ALERTS = "/admin/monitoring/alert/"
REPORTS = "/admin/monitoring/coafreport/"


@pytest.fixture(autouse=True)
def _no_celery_kick(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False


@pytest.fixture
def alert():
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    for cents in (910_000, 920_000, 930_000):
        transfer(payer, payee, cents)
    drain_all()
    return alerts_of(payer, "structuring").get()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def act(client, url, action, objs, **extra):
    data = {"action": action, "index": "0", helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs]}
    data.update(extra)
    return client.post(url, data, follow=True)


def test_customers_and_operators_cannot_see_the_queue_or_alerts(alert):
    customer_user = alert.customer.user
    response = client_for(customer_user).get(QUEUE)
    assert response.status_code == 302 and "/login/" in response["Location"]
    operator = staff_with_role(roles.OPERATOR)
    for url in (QUEUE, ALERTS, f"{ALERTS}{alert.pk}/change/", f"{ALERTS}{alert.pk}/hold/", REPORTS):
        assert client_for(operator).get(url).status_code == 403, url
    assert not operator.has_perm("monitoring.view_alert")
    plain_staff = UserFactory(is_staff=True)
    assert client_for(plain_staff).get(QUEUE).status_code == 403


def test_the_queue_lists_alerts_with_sla_and_filters(alert):
    ana = officer()
    response = client_for(ana).get(QUEUE)
    assert response.status_code == 200
    items = response.context["items"]
    # The payee of the three transfers received them in the band too: their own alert.
    assert {i.pk for i in items if i.type == "alert"} == set(
        Alert.objects.values_list("pk", flat=True)
    )
    item = next(i for i in items if i.type == "alert" and i.pk == alert.pk)
    assert item.days_left == 45 and not item.overdue and item.risk == alert.risk_score
    assert b"monitoring/queue.js" in response.content
    filtered = client_for(ana).get(QUEUE, {"type": "kyc"}).context["items"]
    assert all(i.type == "kyc" for i in filtered)
    assert client_for(ana).get(QUEUE, {"risk": "101"}).context["items"] == []
    assert client_for(ana).get(QUEUE, {"age": "3"}).context["items"] == [
        i for i in items if i.age_days >= 3
    ]
    # The alert's page shows its evidence, the SLA clock and the links to act.
    page = client_for(ana).get(f"{ALERTS}{alert.pk}/change/")
    assert page.status_code == 200
    assert b"9.100,00" in page.content and "faltam 45 dias" in page.content.decode()


def test_officers_work_an_alert_from_the_admin_to_a_coaf_communication(alert):
    ana, bruno = officer(), officer()
    ana_client, bruno_client = client_for(ana), client_for(bruno)
    act(ana_client, ALERTS, "assign_to_me", [alert])
    alert.refresh_from_db()
    assert alert.assigned_to == ana

    first_step = act(ana_client, ALERTS, "start_analysis", [alert])
    assert first_step.templates[0].name == "admin/action_reason.html"
    act(ana_client, ALERTS, "start_analysis", [alert], apply="yes", reason="looking")
    act(ana_client, ALERTS, "escalate", [alert], apply="yes", reason="three under 10k")
    alert.refresh_from_db()
    assert alert.state == Alert.State.ESCALATED and alert.decision_reason == "three under 10k"
    act(
        ana_client,
        f"{ALERTS}?queue=all",
        "prepare_coaf",
        [alert],
        apply="yes",
        reason="Fracionamento deliberado.",
    )
    report = alert.coaf_reports.get()
    assert report.prepared_by == ana

    # Approving asks for the approver's reason (#16); the preparer is refused (four eyes).
    response = act(ana_client, REPORTS, "approve", [report], apply="yes", reason="ok")
    assert any("não pode aprová-la" in str(m) for m in response.context["messages"])
    report.refresh_from_db()
    assert report.state == CoafReport.State.DRAFT
    act(bruno_client, REPORTS, "approve", [report], apply="yes", reason="reviewed")
    report.refresh_from_db()
    assert report.state == CoafReport.State.FINALIZED and report.approved_by == bruno

    pdf = bruno_client.get(reverse("admin:monitoring_coafreport_export", args=[report.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    exported = bruno_client.get(
        reverse("admin:monitoring_coafreport_export", args=[report.pk, "json"])
    )
    assert json.loads(exported.content)["fundamentacao"] == "Fracionamento deliberado."
    assert bruno_client.get(f"{REPORTS}{report.pk}/export/xml/").status_code == 404
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.DATA_EXPORT, object_id=str(report.pk)
        ).count()
        == 2
    )
    operator = staff_with_role(roles.OPERATOR)
    assert client_for(operator).get(f"{REPORTS}{report.pk}/export/pdf/").status_code == 403


def test_notes_and_a_cautionary_block_from_an_alert(alert):
    ana = officer()
    client = client_for(ana)
    response = client.post(
        f"{ALERTS}{alert.pk}/change/",
        {
            "notes-TOTAL_FORMS": "1",
            "notes-INITIAL_FORMS": "0",
            "notes-MIN_NUM_FORMS": "0",
            "notes-MAX_NUM_FORMS": "1000",
            "notes-0-text": "Called the customer; no answer.",
            "notes-0-alert": str(alert.pk),
        },
    )
    assert response.status_code == 302
    note = AlertNote.objects.get(alert=alert)
    assert note.author == ana and note.text.startswith("Called")

    bad = client.post(f"{ALERTS}{alert.pk}/hold/", {"amount": "abc", "reason": "x"})
    assert bad.status_code == 200 and not Hold.objects.exists()
    too_much = client.post(f"{ALERTS}{alert.pk}/hold/", {"amount": "999999,00", "reason": "x"})
    assert too_much.status_code == 200 and too_much.context["form"].non_field_errors()
    done = client.post(f"{ALERTS}{alert.pk}/hold/", {"amount": "1.500,00", "reason": "suspeita"})
    assert done.status_code == 302
    hold = Hold.objects.get()
    assert hold.amount == 150_000 and hold.reference_type == "monitoring_alert"
    assert hold.reference_id == str(alert.pk) and hold.account_id == alert.account_id
    assert AuditEvent.objects.filter(
        object_id=str(alert.pk), detail__event="monitoring.cautionary_block"
    ).exists()


def test_officers_edit_rule_parameters_in_the_admin_and_bad_ones_are_refused():
    services.monitoring_rules_ensure()
    rule = MonitoringRule.objects.get(code="structuring")
    client = client_for(officer())
    url = f"/admin/monitoring/monitoringrule/{rule.pk}/change/"
    base = {"name": rule.name, "description": rule.description, "enabled": "on"}
    refused = client.post(url, {**base, "parameters": json.dumps({"min_count": "lots"})})
    assert refused.status_code == 200
    rule.refresh_from_db()
    assert rule.parameters["min_count"] == 3
    accepted = client.post(url, {**base, "parameters": json.dumps({"min_count": 5})})
    assert accepted.status_code == 302
    rule.refresh_from_db()
    assert rule.parameters == {"min_count": 5}
    assert services.rule_parameters(rule)["threshold_cents"] == 1_000_000  # default kept
    assert rule.history.first().parameters == {"min_count": 5}
    operator = staff_with_role(roles.OPERATOR)
    assert client_for(operator).post(url, {**base, "parameters": "{}"}).status_code == 403


@given(cents=st.integers(min_value=1, max_value=10**13))
def test_amounts_typed_by_officers_parse_back_to_the_same_centavos(cents):
    from apps.core.money import cents_to_str, format_brl
    from apps.monitoring.admin import parse_amount_input

    assert parse_amount_input(format_brl(cents)) == cents  # "R$ 1.234,56"
    assert parse_amount_input(format_brl(cents).removeprefix("R$ ")) == cents
    assert parse_amount_input(cents_to_str(cents)) == cents  # "1234.56"


def test_the_queue_gathers_kyc_reviews_and_screening_hits_with_the_alerts(alert):
    from apps.compliance.models import WatchlistEntry
    from apps.compliance.services import invalidate_index, screen_customer
    from apps.core.fsm import apply_transition
    from apps.kyc.services import kyc_request_create

    customer = alert.customer
    WatchlistEntry.objects.create(name=customer.full_name, reason="internal suspicion")
    invalidate_index()
    screen_customer(customer)
    request = kyc_request_create(
        customer=customer, target_level=1, declared_name=customer.full_name
    )
    for name in ("submit", "start_checks", "send_to_review"):
        apply_transition(request, name, by="test")

    client = client_for(officer())
    items = client.get(QUEUE).context["items"]
    kinds = {(i.type, i.customer) for i in items}
    assert ("kyc", customer.full_name) in kinds
    assert ("screening", customer.full_name) in kinds
    assert ("alert", customer.full_name) in kinds
    assert {i.type for i in client.get(QUEUE, {"type": "screening"}).context["items"]} == {
        "screening"
    }
    # The alert's evidence shows the customer's screening hits.
    from apps.monitoring.selectors import alert_evidence

    (hit,) = alert_evidence(alert=alert)["screening_hits"]
    assert hit.listed_name == customer.full_name
    page = client.get(f"{ALERTS}{alert.pk}/change/")
    assert hit.get_source_display().encode() in page.content


def test_the_queue_shows_open_med_cases_with_their_clock(settings):
    from tests.support.pix_med import receive, reported

    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    account = funded_account(0)
    report = reported(receive(account, 25_000))
    items = client_for(officer()).get(QUEUE, {"type": "med"}).context["items"]
    (item,) = items
    assert (item.type, item.pk, item.customer) == ("med", report.pk, account.customer.full_name)
    assert item.days_left == 7 and not item.overdue
    assert item.url.endswith(f"/pix/infractionreport/{report.pk}/change/")
