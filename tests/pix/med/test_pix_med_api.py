"""MED over HTTP: customers contest Pix they sent; compliance officers work the queue.
Permissions (customers and operators are kept out), and garbage never reaches a 500."""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth.models import Group
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apps.accounts.models import Account
from apps.core import roles
from apps.core.models import AuditEvent
from apps.pix.models import CautionaryBlock, InfractionReport, PixRefund
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import UserFactory
from tests.support.pix_keys import person
from tests.support.pix_med import fraudster, receive, reported, spend

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/pix/med/queue"
BLOCKS = "/api/v1/pix/med/blocks"


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def idem() -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}


def client_for(user) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    client.force_authenticate(user)
    return client


def staff(role: str) -> APIClient:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return client_for(type(user).objects.get(pk=user.pk))


@pytest.fixture
def compliance() -> APIClient:
    return staff(roles.COMPLIANCE_OFFICER)


@pytest.fixture
def operator() -> APIClient:
    return staff(roles.OPERATOR)


def close_url(report) -> str:
    return f"/api/v1/pix/med/reports/{report.pk}/close"


# --- customers ---------------------------------------------------------------------------------


def test_customer_contests_lists_and_withdraws(django_capture_on_commit_callbacks):
    payer = funded_account(50_000, customer=person("Ana Vitima Souza"))
    sent = spend(payer, 20_000, django_capture_on_commit_callbacks)
    api = client_for(payer.customer.user)
    url = f"/api/v1/pix/transfers/{sent.end_to_end_id}/infractions"
    headers = idem()

    created = api.post(url, {"situation": "SCAM", "details": "Falso parente"}, **headers)
    replay = api.post(url, {"situation": "SCAM", "details": "Falso parente"}, **headers)

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "OPEN" and body["situation"] == "SCAM"
    assert body["end_to_end_id"] == sent.end_to_end_id and body["amount"] == "200.00"
    assert body["analysis_result"] is None
    assert replay.status_code == 201 and replay.json()["id"] == body["id"]
    assert InfractionReport.objects.count() == 1
    again = api.post(url, {"situation": "SCAM"}, **idem())
    assert again.status_code == 409

    listed = api.get("/api/v1/pix/infractions")
    assert [r["id"] for r in listed.json()] == [body["id"]]
    stranger = client_for(person("Outra Pessoa").user)
    assert stranger.get("/api/v1/pix/infractions").json() == []
    assert stranger.post(url, {"situation": "SCAM"}, **idem()).status_code == 404
    assert stranger.post(f"/api/v1/pix/infractions/{body['id']}/cancel").status_code == 404

    cancelled = api.post(f"/api/v1/pix/infractions/{body['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "CANCELLED"
    assert api.post(f"/api/v1/pix/infractions/{body['id']}/cancel").status_code == 409


def test_customers_cannot_contest_a_pix_they_received():
    account = fraudster()
    pix = receive(account, 1_000)
    api = client_for(account.customer.user)
    url = f"/api/v1/pix/transfers/{pix.end_to_end_id}/infractions"
    assert api.post(url, {"situation": "SCAM"}, **idem()).status_code == 404


# --- permissions -------------------------------------------------------------------------------


def test_customers_and_operators_are_kept_out_of_the_queue(operator):
    account = fraudster()
    report = reported(receive(account, 10_000))
    block = report.cautionary_blocks.get()
    customer = client_for(account.customer.user)

    for api in (customer, operator):
        assert api.get(QUEUE).status_code == 403
        response = api.post(close_url(report), {"result": "DISAGREED", "details": ""}, **idem())
        assert response.status_code == 403
        assert response["Content-Type"] == "application/problem+json"
        ack = api.post(f"/api/v1/pix/med/reports/{report.pk}/acknowledge")
        assert ack.status_code == 403
        placed = api.post(
            BLOCKS, {"end_to_end_id": report.transfer.end_to_end_id, "reason": "x"}, **idem()
        )
        assert placed.status_code == 403
        released = api.post(f"/api/v1/pix/med/blocks/{block.pk}/release", {"reason": "x"})
        assert released.status_code == 403
    assert APIClient().get(QUEUE).status_code in (401, 403)

    report.refresh_from_db()
    block.refresh_from_db()
    assert report.state == "OPEN" and block.state == CautionaryBlock.State.ACTIVE
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PERMISSION_DENIED).count() >= 10


def test_the_compliance_role_holds_the_permissions_the_api_checks():
    officer = UserFactory()
    officer.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
    officer = type(officer).objects.get(pk=officer.pk)
    assert officer.has_perms(
        [
            "pix.view_infractionreport",
            "pix.change_infractionreport",
            "pix.view_cautionaryblock",
            "pix.change_cautionaryblock",
        ]
    )


# --- the officers' work --------------------------------------------------------------------------


def test_officer_works_the_queue(compliance, django_capture_on_commit_callbacks):
    older_account = fraudster()
    older = reported(receive(older_account, 10_000))
    newer_account = funded_account(customer=person("Pedro Laranja Costa"))
    newer = reported(receive(newer_account, 3_000))

    queue = compliance.get(QUEUE)

    assert queue.status_code == 200
    body = queue.json()
    assert [r["id"] for r in body["reports"]] == [older.pk, newer.pk]  # oldest first
    first = body["reports"][0]
    assert first["transfer"]["amount"] == "100.00" and first["reporter"]["ispb"] == "00000000"
    assert first["account"]["id"] == older_account.pk
    assert first["account"]["holder_tax_id"].startswith("***.")
    assert first["blocks"][0]["amount"] == "100.00" and first["blocks"][0]["state"] == "ACTIVE"
    assert [b["infraction"] for b in body["blocks"]] == [older.pk, newer.pk]

    ack = compliance.post(f"/api/v1/pix/med/reports/{older.pk}/acknowledge")
    assert ack.status_code == 200 and ack.json()["state"] == "ACKNOWLEDGED"
    with django_capture_on_commit_callbacks(execute=True):
        closed = compliance.post(
            close_url(older), {"result": "AGREED", "details": "Golpe confirmado"}, **idem()
        )
    assert closed.status_code == 200, closed.json()
    data = closed.json()
    assert data["state"] == "CLOSED" and data["analysis_result"] == "AGREED"
    assert data["refund"]["amount"] == "100.00" and data["refund"]["reason_code"] == "FR01"
    assert data["blocks"][0]["state"] == "USED"
    assert balance_of(older_account.pk) == (0, 0)

    closed = compliance.post(close_url(newer), {"result": "DISAGREED", "details": ""}, **idem())
    assert closed.status_code == 200 and closed.json()["refund"] is None
    assert compliance.get(QUEUE).json() == {"reports": [], "blocks": []}
    assert (
        compliance.post(close_url(newer), {"result": "AGREED", "details": ""}, **idem()).status_code
        == 409
    )


def test_officer_blocks_and_releases(compliance):
    account = fraudster(500)
    pix = receive(account, 10_000)

    placed = compliance.post(
        BLOCKS,
        {"end_to_end_id": pix.end_to_end_id, "amount": "40.00", "reason": "suspeita"},
        **idem(),
    )

    assert placed.status_code == 201, placed.json()
    block = placed.json()
    assert block["amount"] == "40.00" and block["state"] == "ACTIVE"
    assert block["account"]["id"] == account.pk and block["infraction"] is None
    assert balance_of(account.pk) == (10_500, 6_500)
    again = compliance.post(
        BLOCKS, {"end_to_end_id": pix.end_to_end_id, "reason": "de novo"}, **idem()
    )
    assert again.status_code == 409

    released = compliance.post(
        f"/api/v1/pix/med/blocks/{block['id']}/release", {"reason": "cliente explicou"}
    )
    assert released.status_code == 200 and released.json()["state"] == "RELEASED"
    assert balance_of(account.pk) == (10_500, 10_500)
    whole = compliance.post(BLOCKS, {"end_to_end_id": pix.end_to_end_id, "reason": "x"}, **idem())
    assert whole.status_code == 201 and whole.json()["amount"] == "100.00"


# --- garbage in, 4xx out, nothing changed ------------------------------------------------------


def test_garbage_is_refused_with_field_errors(compliance):
    account = fraudster()
    pix = receive(account, 10_000)
    report = reported(pix)
    block = report.cautionary_blocks.get()
    e2e = pix.end_to_end_id
    cases = [
        ("post", close_url(report), {"result": "MAYBE", "details": ""}, 400),
        ("post", close_url(report), {"result": "AGREED", "details": "x" * 2001}, 400),
        ("post", close_url(report), {"result": ["AGREED"], "details": None}, 400),
        ("post", close_url(report), {}, 400),
        ("post", "/api/v1/pix/med/reports/99999999999999999999999/close", {}, 404),
        ("post", "/api/v1/pix/med/reports/0/acknowledge", None, 404),
        ("post", BLOCKS, {"end_to_end_id": e2e, "amount": "-1.00", "reason": "x"}, 400),
        ("post", BLOCKS, {"end_to_end_id": e2e, "amount": 10, "reason": "x"}, 400),
        ("post", BLOCKS, {"end_to_end_id": e2e, "amount": "0.00", "reason": "x"}, 400),
        ("post", BLOCKS, {"end_to_end_id": e2e, "amount": "1.00", "reason": ""}, 400),
        ("post", BLOCKS, {"end_to_end_id": e2e, "amount": "1.00", "reason": "\x00"}, 400),
        ("post", BLOCKS, {"end_to_end_id": "x" * 33, "reason": "x"}, 400),
        ("post", BLOCKS, {"end_to_end_id": "E\x00", "reason": "x"}, 400),
        ("post", BLOCKS, {"end_to_end_id": "Enotthere", "reason": "x"}, 404),
        ("post", BLOCKS, {"end_to_end_id": e2e, "amount": "100.01", "reason": "x"}, 409),
        ("post", f"/api/v1/pix/med/blocks/{block.pk}/release", {"reason": ""}, 400),
        ("post", f"/api/v1/pix/med/blocks/{10**25}/release", {"reason": "x"}, 404),
    ]
    for method, url, data, expected in cases:
        response = getattr(compliance, method)(url, data, format="json", **idem())
        assert response.status_code == expected, (url, data, response.content[:300])
        assert response["Content-Type"] == "application/problem+json"
    violations = compliance.post(
        close_url(report), {"result": "MAYBE", "details": ""}, format="json", **idem()
    ).json()["violacoes"]
    assert violations[0]["propriedade"] == "result"

    broken = compliance.post(
        close_url(report), b"{not json", content_type="application/json", **idem()
    )
    assert broken.status_code == 400
    surrogate = compliance.post(
        close_url(report),
        '{"result": "AGREED", "details": "\\ud800"}',
        content_type="application/json",
        **idem(),
    )
    assert surrogate.status_code == 400
    no_key = compliance.post(close_url(report), {"result": "AGREED", "details": ""})
    assert no_key.status_code == 400  # Idempotency-Key is required to move money

    report.refresh_from_db()
    block.refresh_from_db()
    assert report.state == "OPEN" and block.state == CautionaryBlock.State.ACTIVE
    assert not PixRefund.objects.exists()
    assert CautionaryBlock.objects.count() == 1
    assert Account.objects.get(pk=account.pk).held == 10_000


def test_customer_garbage_is_refused(django_capture_on_commit_callbacks):
    payer = funded_account(50_000, customer=person("Ana Vitima Souza"))
    sent = spend(payer, 1_000, django_capture_on_commit_callbacks)
    api = client_for(payer.customer.user)
    url = f"/api/v1/pix/transfers/{sent.end_to_end_id}/infractions"
    for data in (
        {"situation": "FRAUD"},
        {"situation": None},
        {"situation": "SCAM", "details": "x" * 2001},
        {"situation": "SCAM", "details": {"a": 1}},
        [],
    ):
        response = api.post(url, data, format="json", **idem())
        assert response.status_code == 400, (data, response.content[:200])
    odd = api.post("/api/v1/pix/transfers/%00/infractions", {"situation": "SCAM"}, **idem())
    # A NUL in the path is refused before the view (apps.core.middleware, issue #11).
    assert odd.status_code == 400
    assert api.post("/api/v1/pix/infractions/99999999999999999999/cancel").status_code == 404
    assert not InfractionReport.objects.exists()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
FIELD = st.one_of(
    JSON,
    st.sampled_from(
        ["AGREED", "DISAGREED", "", "agreed", "1.00", "-1.00", "1e3", "99999999999999999.99"]
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    close_body=st.one_of(
        JSON, st.fixed_dictionaries({}, optional={"result": FIELD, "details": FIELD})
    ),
    block_body=st.one_of(
        JSON,
        st.fixed_dictionaries(
            {}, optional={"end_to_end_id": FIELD, "amount": FIELD, "reason": FIELD}
        ),
    ),
)
def test_any_json_gets_an_answer_below_500(compliance, close_body, block_body):
    # One report per example would be slow; the first valid close decides it and later
    # ones answer 409, which is still an answer.
    report = InfractionReport.objects.filter(role="REPORTED").first() or reported(
        receive(fraudster(), 10_000)
    )
    before = (report.state, PixRefund.objects.count(), CautionaryBlock.objects.count())

    closing = compliance.post(
        close_url(report), json.dumps(close_body), content_type="application/json", **idem()
    )
    blocking = compliance.post(
        BLOCKS, json.dumps(block_body), content_type="application/json", **idem()
    )

    assert closing.status_code < 500 and blocking.status_code < 500
    if closing.status_code >= 400 and blocking.status_code >= 400:
        report.refresh_from_db()
        after = (report.state, PixRefund.objects.count(), CautionaryBlock.objects.count())
        assert after == before
