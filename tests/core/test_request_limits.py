"""One request-parsing layer for the whole API: what a client sends never makes a 5xx.

Too deep, too big, too many fields, NUL bytes and bodies that are not UTF-8 are each a 400
or 413 problem+json (the probes of issue #11), and Django's 400 page in the portal.
apps/core/parsers.py, apps.core.errors.client_input_error, apps.core.middleware.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.core.parsers import BodyRejected, check_parsed
from apps.kyc import services as kyc_services
from apps.pix.models import PixTransfer
from tests.core.test_api_errors import assert_problem
from tests.factories.ledger import funded_account
from tests.support.kyc import officer
from tests.support.pix_keys import person

DEEP = b"[" * 100_000 + b"]" * 100_000
E2E = "E12345678202601011200abcdefghijk"

# Every endpoint of issue #11's probes; /api/pix/v2/cob answered 400 before and still must.
TARGETS = [
    ("POST", "/api/v1/transfers"),
    ("POST", "/api/v1/pix/transfers"),
    ("POST", "/api/v1/pix/keys"),
    ("POST", "/api/v1/kyc/requests"),
    ("POST", "/api/v1/privacy/requests"),
    ("POST", "/api/v1/pix/brcode/decode"),
    ("PUT", "/api/v1/pix/limits"),
    ("POST", "/api/v1/compliance/screenings"),
    ("PUT", f"/api/pix/v2/pix/{E2E}/devolucao/d1"),
    ("PUT", "/api/pix/v2/webhook/some-key"),
    ("POST", "/api/pix/v2/cob"),
]


@pytest.fixture
def customer(db):
    found = person("Maria Souza Lima")
    funded_account(100_000, customer=found)
    return found


def client_for(path: str, customer) -> APIClient:
    api = APIClient()
    # Screenings are the compliance team's; everything else the customer's own.
    api.force_login(officer() if "compliance" in path else customer.user)
    return api


def send(client, method: str, path: str, body: bytes, content_type="application/json"):
    return client.generic(
        method, path, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY="probe-1"
    )


@pytest.mark.parametrize(("method", "path"), TARGETS)
def test_a_deeply_nested_body_is_400(customer, method, path):
    response = send(client_for(path, customer), method, path, DEEP)
    assert_problem(response, 400)


@pytest.mark.parametrize(("method", "path"), TARGETS)
def test_a_10_mb_body_is_413(customer, method, path):
    body = b'{"x": "' + b"a" * (10 * 1024 * 1024) + b'"}'
    response = send(client_for(path, customer), method, path, body)
    assert_problem(response, 413)


@pytest.mark.parametrize(("method", "path"), TARGETS)
def test_a_body_that_is_not_utf8_is_400(customer, method, path):
    response = send(client_for(path, customer), method, path, b'{"x": "\xff\xfe"}')
    assert_problem(response, 400)


@pytest.mark.parametrize(
    "path", ["/api/pix/v2/cob/%00", "/api/pix/v2/cobv/%00", "/api/v1/pix/transfers/%00"]
)
def test_a_nul_in_the_path_is_400(customer, path):
    assert_problem(client_for(path, customer).get(path), 400)


def test_a_nul_in_the_query_string_is_400(customer):
    response = client_for("", customer).get("/api/v1/pix/transfers?status=%00")
    assert_problem(response, 400)


def test_a_nul_in_a_portal_url_is_a_400_page(customer):
    browser = Client()
    browser.force_login(customer.user)
    response = browser.get("/pix/send/?key=%00")
    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/problem+json")
    # A path no route takes (portal ids are numbers or uuids) is the 404 it always was.
    assert browser.get("/pix/send/%00").status_code == 404


def test_a_nul_inside_json_names_the_property_and_stores_nothing(customer):
    body = json.dumps({"key": "a@example.com", "amount": "1.00", "description": "a\x00b"})
    response = send(client_for("", customer), "POST", "/api/v1/pix/transfers", body.encode())
    problem = assert_problem(response, 400)
    assert problem["violacoes"][0]["propriedade"] == "description"
    assert not PixTransfer.objects.exists()


@pytest.mark.parametrize("text", ["\x00", "lone \ud800", "\udfff"])
def test_unstorable_text_in_keys_and_nested_values_is_refused(text):
    with pytest.raises(BodyRejected) as found:
        check_parsed({"a": [{"b": text}]})
    assert found.value.field == "a[0].b"
    with pytest.raises(BodyRejected):
        check_parsed({text: 1})


def test_depth_inside_the_limit_is_parsed_and_beyond_it_refused():
    nested: object = "leaf"
    for _ in range(32):  # 32 containers: the limit itself
        nested = [nested]
    check_parsed(nested, limit=32)
    with pytest.raises(BodyRejected):
        check_parsed([nested], limit=32)


def test_2000_multipart_fields_on_a_kyc_upload_are_400(customer):
    kyc = kyc_services.kyc_request_create(
        customer=customer, target_level=1, declared_name=customer.full_name
    )
    boundary = "BoUnDaRy"
    parts = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nx\r\n'.encode()
        for i in range(2000)
    )
    body = parts + f"--{boundary}--\r\n".encode()
    response = client_for("", customer).generic(
        "POST",
        f"/api/v1/kyc/requests/{kyc.pk}/documents",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert_problem(response, 400)


def test_a_portal_form_with_2000_fields_is_a_400_page(customer):
    browser = Client()
    browser.force_login(customer.user)
    body = "&".join(f"f{i}=x" for i in range(2000))
    response = browser.generic(
        "POST", "/pix/send/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
