"""Every 4xx of the API has the one problem+json shape; nothing a client sends is a 500."""

import pytest
from rest_framework.test import APIClient

from tests.factories.users import UserFactory

SHAPE = {"type", "title", "status", "detail", "correlationId"}


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= SHAPE
    assert body["status"] == status
    assert body["correlationId"] == response["X-Request-ID"]
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/", "/api/nothing/here", "/api/v1/me/"])
def test_unknown_route_is_404_problem(path):
    client = APIClient()
    client.force_authenticate(UserFactory())
    assert_problem(client.get(path), 404)


@pytest.mark.django_db
def test_unauthenticated_is_401_or_403_problem():
    response = APIClient().get("/api/v1/me")
    assert response.status_code in (401, 403)
    assert_problem(response, response.status_code)


@pytest.mark.django_db
def test_malformed_json_is_400_problem():
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.generic("POST", "/api/v1/me", "{not json", content_type="application/json")
    # /me is read-only: the method is refused before the body is parsed, still a problem
    assert response.status_code in (400, 405)
    assert_problem(response, response.status_code)


@pytest.mark.django_db
@pytest.mark.urls("tests.support.idempotency_urls")
def test_malformed_json_body_on_a_write_endpoint_is_400():
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.generic(
        "POST",
        "/api/v1/test/echo",
        b'{"note": ',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    body = assert_problem(response, 400)
    assert "JSON" in body["detail"]


@pytest.mark.django_db
def test_wrong_method_is_405_problem():
    client = APIClient()
    client.force_authenticate(UserFactory())
    assert_problem(client.delete("/api/v1/me"), 405)


@pytest.mark.django_db
def test_unsupported_media_type_is_415_problem():
    client = APIClient()
    client.force_authenticate(UserFactory())
    response = client.generic("PUT", "/api/v1/me", "a=b", content_type="text/plain")
    assert response.status_code in (405, 415)
    assert_problem(response, response.status_code)
