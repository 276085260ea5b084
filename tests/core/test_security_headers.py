"""Content-Security-Policy (django-csp) and Permissions-Policy on every kind of response:
portal pages, the admin, the API (problem+json included), and the nonce that inline blocks
carry matches the header's. deploy/nginx sends the same on what nginx answers itself
(tests/core/test_operations.py runs `nginx -t`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories.users import CustomerFactory, UserFactory

NGINX_CONF = Path(settings.BASE_DIR) / "deploy" / "nginx" / "nginx.conf"


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_secure_headers(response) -> dict[str, list[str]]:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    script = policy["script-src"]
    assert "'self'" in script
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(script)
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    permissions = response["Permissions-Policy"]
    assert "camera=()" in permissions
    assert "geolocation=()" in permissions
    assert "publickey-credentials-get=(self)" in permissions
    return policy


def nonce_of(policy) -> str:
    nonces = [v for v in policy["script-src"] if v.startswith("'nonce-")]
    assert len(nonces) == 1
    return nonces[0][len("'nonce-") : -1]


@pytest.mark.django_db
def test_portal_pages(client):
    assert_secure_headers(client.get("/accounts/login/"))
    customer = CustomerFactory()
    client.force_login(customer.user)
    response = client.get("/")
    assert response.status_code == 200
    policy = assert_secure_headers(response)
    # The dashboard's <style> block carries this response's nonce, and only it.
    nonce = nonce_of(policy)
    body = response.content.decode()
    assert f'<style nonce="{nonce}">' in body
    assert re.search(r"<style(?![^>]*nonce=)", body) is None
    assert assert_secure_headers(client.get("/accounts/2fa/"))


@pytest.mark.django_db
def test_admin_pages(client):
    response = client.get("/admin/login/")
    policy = assert_secure_headers(response)
    assert f'<style nonce="{nonce_of(policy)}">' in response.content.decode()
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert_secure_headers(client.get("/admin/"))


@pytest.mark.django_db
def test_api_responses(client):
    response = client.get("/api/v1/me")
    assert response.status_code in (401, 403)
    assert_secure_headers(response)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert response.status_code == 401
    assert_secure_headers(response)
    assert_secure_headers(client.get("/api/schema/"))


@pytest.mark.django_db
def test_nonces_differ_per_response(client):
    first = nonce_of(directives(client.get("/admin/login/")))
    second = nonce_of(directives(client.get("/admin/login/")))
    assert first != second


@pytest.mark.django_db
def test_api_docs_allow_only_their_cdn_and_inline_nothing(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    policy = assert_secure_headers(response)
    assert "https://cdn.jsdelivr.net" in policy["script-src"]
    body = response.content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)", body) is None  # its script is served apart
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_templates_have_no_inline_handlers_nor_unnonced_inline_code():
    offenders = []
    for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", text):
            offenders.append(f"{path}: inline event handler")
        if re.search(r"\sstyle\s*=\s*[\"']", text):
            offenders.append(f"{path}: style attribute")
        for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
            inert = "application/json" in tag or "src=" in tag or "nonce=" in tag
            if not inert:
                offenders.append(f"{path}: {tag}")
    for path in (Path(settings.BASE_DIR) / "static").rglob("*.js"):
        if "vendor" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"\beval\(|new Function\(|\.innerHTML\s*=.*<script", text):
            offenders.append(f"{path}: eval")
    assert offenders == []


def test_nginx_sends_the_policies_on_its_own_answers():
    conf = NGINX_CONF.read_text()
    assert "Content-Security-Policy" in conf
    assert "Permissions-Policy" in conf
    # Django's header (with its nonce) wins for proxied pages: nginx adds its own only when
    # the application sent none, so two policies never intersect.
    assert "$upstream_http_content_security_policy" in conf
