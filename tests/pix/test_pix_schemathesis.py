"""schemathesis, driven by the project's own OpenAPI schema, against every Pix endpoint.

Each operation under /api/v1/pix/ and /api/pix/v2/ (and /oauth/token, whose tokens they
take) gets generated requests (valid and invalid, per the schema) from an authenticated
customer who holds money and an active key, and from a compliance officer (the MED queue);
no answer may be a 5xx. The run is
derandomized so CI is reproducible.

schemathesis' own pytest plugin does not run under pytest 9 (it reaches for pytest
internals), so the operations are parametrized here and each one is driven by Hypothesis
through the operation's strategy.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.handlers.wsgi import WSGIHandler
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from apps.pix.keys.services import key_register
from tests.factories.ledger import funded_account
from tests.factories.users import UserFactory
from tests.support.pix_keys import person
from tests.support.schemathesis import requests_inside_the_test_transaction, session_headers

PIX_PATH = re.compile(r"^/(api/(v1/pix|pix/v2)/|oauth/token$)")


def _pix_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    return schema.include(path_regex=PIX_PATH.pattern)


SCHEMA = _pix_schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(autouse=True)
def _keep_test_transaction(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    with requests_inside_the_test_transaction():
        yield


@pytest.fixture
def identities(db) -> list[dict[str, str]]:
    customer = person("Maria Souza Lima")
    account = funded_account(1_000_000, customer=customer)
    key_register(account=account, key_type="EVP", actor=customer.user)
    officer = UserFactory(is_staff=True)
    officer.groups.add(Group.objects.get(name="compliance_officer"))
    return [session_headers(customer.user), session_headers(officer)]


def test_the_schema_has_pix_operations():
    paths = {operation.path for operation in OPERATIONS}
    assert "/api/v1/pix/transfers" in paths
    assert "/api/v1/pix/brcode/decode" in paths


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(
    "operation", OPERATIONS, ids=[f"{op.method.upper()} {op.path}" for op in OPERATIONS]
)
def test_pix_operation_never_answers_5xx(operation, mode, identities):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        # The session identifies the caller; a generated bearer token would only measure
        # the identity provider's reachability (503 when it is down, as here).
        generated = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = generated
        for headers in identities:
            response = case.call(headers={**generated, **headers})
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}\n"
                f"{case.as_curl_command()}\n{response.text[:2000]}"
            )

    run()
