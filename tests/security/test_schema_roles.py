"""schemathesis over the whole project schema, once per role (issue #11, the security suite).

Every operation of our OpenAPI schema gets generated requests, valid (positive) and invalid
(negative), from each role: a customer with data (money, a key, a Pix received, a charge),
an operator, a compliance officer and an admin. Checks on every answer:
- no 5xx (`not_a_server_error`);
- the body of a documented answer conforms to our own schema (`response_schema_conformance`)
  and its media type to the documented one (`content_type_conformance`). Answers the schema
  does not document (a 403 for a role, a 404 for a generated id) are left alone, so those two
  checks bite exactly where the schema makes a promise.

Bounded for CI on two cores: a few examples per operation and mode, derandomized so a run is
reproducible. tests/pix/test_pix_schemathesis.py drives the Pix subset harder (12 examples,
customer and compliance officer); this one sweeps everything with every role.

schemathesis' own pytest plugin does not run under pytest 9 (it reaches for pytest
internals), so the operations are parametrized here and each one is driven by Hypothesis
through the operation's strategy, as in the Pix suite.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.handlers.wsgi import WSGIHandler
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from apps.core import roles
from apps.pix.keys.services import key_register
from tests.factories.ledger import funded_account
from tests.factories.users import UserFactory
from tests.support.pix_keys import person
from tests.support.pix_received import Receiver, receive_pix
from tests.support.schemathesis import requests_inside_the_test_transaction, session_headers

MAX_EXAMPLES = 4  # per operation, mode and role: 74 operations x 2 modes x 4 roles


def _schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = WSGIHandler()
    return schema


SCHEMA = _schema()
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture(autouse=True)
def _keep_test_transaction(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    with requests_inside_the_test_transaction():
        yield


def _staff(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def identities(db) -> dict[str, dict[str, str]]:
    customer = person("Maria Souza Lima")
    account = funded_account(1_000_000, customer=customer)
    key = key_register(account=account, key_type="EVP", actor=customer.user)
    key.refresh_from_db()
    receive_pix(Receiver(customer=customer, account=account, key=key), 5_000)
    admin = UserFactory(is_staff=True, is_superuser=True)
    admin.groups.add(Group.objects.get(name=roles.ADMIN))
    return {
        "customer": session_headers(customer.user),
        "operator": session_headers(_staff(roles.OPERATOR)),
        "compliance_officer": session_headers(_staff(roles.COMPLIANCE_OFFICER)),
        "admin": session_headers(admin),
    }


def test_the_sweep_covers_the_whole_schema():
    paths = {operation.path for operation in OPERATIONS}
    assert len(OPERATIONS) >= 70, len(OPERATIONS)
    for path in ("/api/v1/accounts", "/api/v1/kyc/requests", "/api/pix/v2/cob", "/oauth/token"):
        assert path in paths


def _has_input(operation) -> bool:
    """False for an operation with no parameter and no body: nothing to make invalid."""
    return any(
        len(list(group))
        for group in (
            operation.path_parameters,
            operation.query,
            operation.headers,
            operation.cookies,
            operation.body,
        )
    )


# Operations whose only input is a free string in the path: schemathesis cannot make a path
# segment "not a string", so there is no negative case to generate (Hypothesis: Unsatisfiable).
NO_NEGATIVE = {"GET /qr/v2/{token}"}


RUNS = [
    pytest.param(operation, mode, id=f"{operation.method.upper()} {operation.path}-{mode}")
    for operation in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE
    or (_has_input(operation) and f"{operation.method.upper()} {operation.path}" not in NO_NEGATIVE)
]


@pytest.mark.parametrize(("operation", "mode"), RUNS)
def test_operation_per_role(operation, mode, identities):
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        # The session identifies the caller; a generated bearer token would only measure
        # the identity provider's reachability.
        generated = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        case.headers = generated
        for role, headers in identities.items():
            response = case.call(headers={**generated, **headers})
            assert response.status_code < 500, (
                f"{role}: {case.method} {case.formatted_path} -> {response.status_code}\n"
                f"{case.as_curl_command()}\n{response.text[:2000]}"
            )
            try:
                case.validate_response(response, checks=CHECKS)
            except AssertionError as failure:
                raise AssertionError(f"{role}: {failure}") from None

    run()
