"""A body fuzzer over every write endpoint of the API schema (issue #11): no body is a 5xx.

Every POST/PUT/PATCH/DELETE of docs/openapi.yaml gets, as a signed-in customer (and the
compliance officer on the staff endpoints), bodies that are too deep, too big, not UTF-8,
not JSON, full of NUL bytes and lone surrogates, and of the wrong type in every property
the schema names; form endpoints also get 2.000 fields. Path parameters name real objects
of the caller, so the body is parsed, not refused by a 404 first. The answer must be below
500, and a 4xx of /api/ is problem+json (apps/core/parsers.py, apps.core.errors).

A generated matrix rather than Hypothesis: a few hundred requests, deterministic, fast.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from apps.core import roles
from apps.kyc import services as kyc_services
from tests.factories.users import UserFactory
from tests.support.pix_charges import Receiver, cob_body, txid
from tests.support.pix_received import receive_pix, receiving_customer

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs/openapi.yaml").read_text())
WRITE_METHODS = ("post", "put", "patch", "delete")
STAFF_PATH = re.compile(r"/(compliance|kyc/review|pix/med)/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SCHEMA["components"]["schemas"][name]
    return schema


def _properties(operation: dict) -> list[str]:
    names: list[str] = []
    for media in (operation.get("requestBody") or {}).get("content", {}).values():
        schema = _resolve(media.get("schema") or {})
        names += [name for name in schema.get("properties", {}) if name not in names]
    return names or ["value"]


OPERATIONS = [
    (method.upper(), path, operation)
    for path, item in SCHEMA["paths"].items()
    for method, operation in item.items()
    if method in WRITE_METHODS
]


def json_bodies(names: list[str]) -> dict[str, bytes]:
    nul = {name: "a\x00b" for name in names} | {"k\x00": "v"}
    surrogate = "{" + ", ".join(f'"{name}": "\\ud800x"' for name in names) + "}"
    wrong = {}
    for n, name in enumerate(names):
        wrong[name] = [[], {}, 10**30, -1, True, None, "\x00", {"a": [1, {"b": None}]}][n % 8]
    nested = {name: {"x": [{"y": [{"z": ["\x00"]}]}]} for name in names}
    return {
        "deep": b"[" * 100_000 + b"]" * 100_000,
        "deep_object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "huge": b'{"' + names[0].encode() + b'": "' + b"a" * (3 * 1024 * 1024) + b'"}',
        "not_utf8": b'{"' + names[0].encode() + b'": "\xff\xfe\xfa\xc3\x28"}',
        "latin1": json.dumps({name: "Ação" for name in names}).encode("latin-1", "replace")
        + b"\xe7\xe3",
        "not_json": b'{"' + names[0].encode() + b'": ',
        "nul": json.dumps(nul).encode(),
        "surrogate": surrogate.encode(),
        "wrong_types": json.dumps(wrong).encode(),
        "nested_nul": json.dumps(nested).encode(),
        "list": b"[1, 2, 3]",
        "string": b'"text"',
        "null": b"null",
        "nan": b'{"' + names[0].encode() + b'": NaN}',
    }


def form_bodies(names: list[str]) -> dict[str, tuple[bytes, str]]:
    boundary = "fuzzBoundary"
    many = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nx\r\n'.encode()
            for i in range(2_000)
        )
        + f"--{boundary}--\r\n".encode()
    )
    multipart = f"multipart/form-data; boundary={boundary}"
    nul_part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{names[0]}"\r\n\r\n'.encode()
        + b"a\x00b\xff\r\n"
        + f"--{boundary}--\r\n".encode()
    )
    urlencoded = "application/x-www-form-urlencoded"
    return {
        "many_multipart_fields": (many, multipart),
        "nul_multipart": (nul_part, multipart),
        "broken_multipart": (b"--fuzzBoundary\r\nnothing", multipart),
        "many_form_fields": ("&".join(f"f{i}=x" for i in range(2_000)).encode(), urlencoded),
        "nul_form": (f"{names[0]}=a%00b&x=%ff%fe".encode(), urlencoded),
        "huge_form": (b"a=" + b"b" * (3 * 1024 * 1024), urlencoded),
    }


@pytest.fixture
def world(db, settings):
    """A receiving customer with money, a key, a received Pix, a cob and a KYC request."""
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    receiver = receiving_customer(amount_cents=100_000)
    pix = receive_pix(receiver, 5_000)
    charges = Receiver.__new__(Receiver)
    charges.customer, charges.account, charges.key = (
        receiver.customer,
        receiver.account,
        receiver.key.key,
    )
    customer_client = APIClient()
    customer_client.force_login(receiver.customer.user)
    tx = txid()
    created = customer_client.put(f"/api/pix/v2/cob/{tx}", cob_body(charges), format="json")
    assert created.status_code == 201, created.content
    kyc = kyc_services.kyc_request_create(
        customer=receiver.customer, target_level=1, declared_name=receiver.customer.full_name
    )
    officer = UserFactory(is_staff=True)
    officer.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
    officer_client = APIClient()
    officer_client.force_login(officer)
    values = {
        "txid": tx,
        "e2eid": pix.end_to_end_id,
        "end_to_end_id": pix.end_to_end_id,
        "id": "fuzz1",
        "chave": receiver.key.key,
        "request_id": str(kyc.pk),
        "key_id": str(receiver.key.pk),
        "transfer_id": str(pix.pk),
    }
    return {"customer": customer_client, "officer": officer_client, "values": values}


def _url(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "999999"), path)


def _check(response, label: str) -> None:
    assert response.status_code < 500, (
        f"{label} -> {response.status_code}: {response.content[:500]!r}"
    )
    if label.split()[1].startswith("/api/") and response.status_code >= 400:
        assert response["Content-Type"].startswith("application/problem+json"), label


def test_every_write_operation_of_the_schema_is_fuzzed():
    assert len(OPERATIONS) >= 30
    assert any(path == "/api/pix/v2/cob" for _, path, _ in OPERATIONS)


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    OPERATIONS,
    ids=[f"{method} {path}" for method, path, _ in OPERATIONS],
)
def test_no_body_makes_a_5xx(world, method, path, operation):
    client = world["officer"] if STAFF_PATH.search(path) else world["customer"]
    url = _url(path, world["values"])
    names = _properties(operation)
    for name, body in json_bodies(names).items():
        response = client.generic(
            method, url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"f-{name}"
        )
        _check(response, f"{method} {path} {name}")
    content = (operation.get("requestBody") or {}).get("content", {})
    if any(kind in content for kind in FORM_TYPES):
        for name, (body, content_type) in form_bodies(names).items():
            response = client.generic(method, url, body, content_type=content_type)
            _check(response, f"{method} {path} {name}")
