"""StaffOIDCBackend's claim handling and BearerTokenAuthentication's local JWT checks.

The JWT tests sign Keycloak-shaped access tokens with a key of their own and publish it as
a JWKS on a loopback HTTP server, so key lookup, caching and rotation run over real HTTP.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from rest_framework.test import APIClient

from apps.core import oidc, roles
from apps.core.models import AuditEvent, User
from apps.core.oidc import StaffOIDCBackend, staff_username
from tests.factories.users import CustomerFactory, UserFactory

ISSUER = "https://keycloak.athena.test/realms/athena"
PROBLEM = {"type", "title", "status", "detail"}


def claims_for(sub="kc-sub-1", email="ana@athena.example", realm_roles=("operator",), **extra):
    claims = {
        "sub": sub,
        "email": email,
        "email_verified": True,
        "name": "Ana Operadora",
        "realm_access": {"roles": list(realm_roles)},
    }
    claims.update(extra)
    return claims


def staff_groups(user) -> list[str]:
    return sorted(user.groups.filter(name__in=roles.STAFF_ROLES).values_list("name", flat=True))


@pytest.fixture
def backend(db, settings):
    settings.OIDC_ISSUER = ISSUER
    return StaffOIDCBackend()


# --- user_from_claims: who gets in, with which groups --------------------------------------


def test_first_sign_in_creates_the_staff_user(backend):
    user = backend.user_from_claims(claims_for())
    user.refresh_from_db()
    assert user.email == "ana@athena.example"
    assert user.full_name == "Ana Operadora"
    assert user.username == staff_username("kc-sub-1")
    assert not user.has_usable_password()
    assert user.is_staff and not user.is_superuser
    assert staff_groups(user) == [roles.OPERATOR]
    assert user.has_perm("accounts.change_customer")
    assert not user.has_perm("accounts.delete_customer")


def test_each_sign_in_follows_the_current_roles(backend):
    user = backend.user_from_claims(claims_for())
    user = backend.user_from_claims(claims_for(realm_roles=["compliance_officer", "admin"]))
    user.refresh_from_db()
    assert staff_groups(user) == [roles.ADMIN, roles.COMPLIANCE_OFFICER]
    assert user.is_staff and user.is_superuser

    user = backend.user_from_claims(claims_for(realm_roles=["compliance_officer"]))
    user.refresh_from_db()
    assert staff_groups(user) == [roles.COMPLIANCE_OFFICER]
    assert not user.is_superuser
    assert User.objects.count() == 1


def test_role_changes_are_audited(backend):
    user = backend.user_from_claims(claims_for())
    backend.user_from_claims(claims_for())  # nothing changed: nothing recorded
    events = AuditEvent.objects.filter(actor=user, detail__event="staff_roles_synced")
    assert events.count() == 1
    assert events.get().detail["added"] == [roles.OPERATOR]


def test_no_staff_role_is_refused_and_withdraws_staff_access(backend):
    user = backend.user_from_claims(claims_for(realm_roles=["admin"]))
    with pytest.raises(SuspiciousOperation):
        backend.user_from_claims(claims_for(realm_roles=["customer", "offline_access"]))
    user.refresh_from_db()
    assert staff_groups(user) == []
    assert not user.is_staff and not user.is_superuser


def test_no_staff_role_creates_nobody(backend):
    with pytest.raises(SuspiciousOperation):
        backend.user_from_claims(claims_for(realm_roles=[]))
    assert not User.objects.exists()


@pytest.mark.parametrize("verified", [False, "false", None])
def test_unverified_email_is_refused(backend, verified):
    claims = claims_for(email_verified=verified)
    if verified is None:
        del claims["email_verified"]
    with pytest.raises(SuspiciousOperation):
        backend.user_from_claims(claims)
    assert not User.objects.exists()


def test_existing_account_with_that_email_is_linked_and_keeps_other_groups(backend):
    existing = UserFactory(email="Ana@Athena.example", username="ana.break.glass")
    other = Group.objects.create(name="reporting")
    existing.groups.add(other)
    user = backend.user_from_claims(claims_for())
    assert user.pk == existing.pk
    assert sorted(user.groups.values_list("name", flat=True)) == ["operator", "reporting"]


def test_customer_account_cannot_become_staff(backend):
    customer = CustomerFactory(user__email="ana@athena.example")
    with pytest.raises(SuspiciousOperation):
        backend.user_from_claims(claims_for())
    customer.user.refresh_from_db()
    assert not customer.user.is_staff
    assert staff_groups(customer.user) == []


def test_another_subject_cannot_take_over_an_account_by_email(backend):
    backend.user_from_claims(claims_for(sub="first-person"))
    with pytest.raises(SuspiciousOperation):
        backend.user_from_claims(claims_for(sub="second-person"))


def test_missing_subject_is_refused(backend):
    claims = claims_for()
    del claims["sub"]
    with pytest.raises(SuspiciousOperation):
        backend.user_from_claims(claims)


def test_user_creation_can_be_turned_off(backend, settings):
    settings.OIDC_CREATE_USER = False
    assert backend.user_from_claims(claims_for()) is None
    assert not User.objects.exists()


# --- Bearer JWTs validated locally against a JWKS ----------------------------------------


def _private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwk(private_key, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


class JwksServer:
    """A loopback HTTP server publishing a key set the test can change."""

    def __init__(self) -> None:
        self.keys: list[dict] = []
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                body = json.dumps({"keys": outer.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/certs"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def jwks_server():
    server = JwksServer()
    yield server
    server.close()


@pytest.fixture
def signer(jwks_server, settings, db):
    """Signs access tokens with key "k1", published by the JWKS server."""
    key = _private_key()
    jwks_server.keys = [_jwk(key, "k1")]
    jwks_server.hits = 0
    settings.OIDC_ISSUER = ISSUER
    settings.OIDC_OP_JWKS_ENDPOINT = jwks_server.url
    settings.OIDC_OP_USER_ENDPOINT = "http://127.0.0.1:9/userinfo-must-not-be-called"
    settings.OIDC_VERIFY_KID = True
    settings.OIDC_API_AUDIENCE = ""
    cache.clear()

    def sign(*, private_key=key, kid="k1", alg="RS256", headers=None, **overrides):
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "sub": "kc-sub-1",
            "aud": "account",
            "azp": "athena-staff",
            "typ": "Bearer",
            "iat": now,
            "exp": now + 300,
            **claims_for(),
        }
        payload.update(overrides)
        payload = {k: v for k, v in payload.items() if v is not None}
        header = {"kid": kid, **(headers or {})} if kid else headers
        return jwt.encode(payload, private_key, algorithm=alg, headers=header)

    yield sign
    cache.clear()


def call_me(token: str):
    return APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_401(response):
    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body.keys() >= PROBLEM
    assert body["status"] == 401
    return body


def test_valid_access_token_authenticates(signer, jwks_server):
    response = call_me(signer())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["email"] == "ana@athena.example"
    assert body["groups"] == [roles.OPERATOR]
    assert body["is_staff"] is True

    assert call_me(signer()).status_code == 200
    assert jwks_server.hits == 1  # the key set is cached


def test_expired_token_is_401(signer):
    now = int(time.time())
    assert_401(call_me(signer(iat=now - 3600, exp=now - 600)))


def test_wrong_issuer_is_401(signer):
    assert_401(call_me(signer(iss="https://evil.example/realms/athena")))


def test_token_signed_by_another_key_is_401(signer):
    assert_401(call_me(signer(private_key=_private_key())))


def test_unknown_kid_is_401_without_hammering_the_provider(signer, jwks_server):
    assert call_me(signer()).status_code == 200
    for _ in range(3):
        assert_401(call_me(signer(kid="forged")))
    assert jwks_server.hits == 1  # fetched moments ago: no refetch per forged kid


def test_rotated_key_is_picked_up(signer, jwks_server, monkeypatch):
    assert call_me(signer()).status_code == 200
    new_key = _private_key()
    jwks_server.keys = [*jwks_server.keys, _jwk(new_key, "k2")]
    monkeypatch.setattr(oidc, "JWKS_MIN_REFRESH_SECONDS", 0)
    assert call_me(signer(private_key=new_key, kid="k2")).status_code == 200
    assert jwks_server.hits == 2


def test_without_kid_checks_every_published_key(signer, jwks_server, settings):
    settings.OIDC_VERIFY_KID = False
    other = _private_key()
    jwks_server.keys = [_jwk(other, "k0"), *jwks_server.keys]
    assert call_me(signer(kid=None)).status_code == 200
    assert_401(call_me(signer(kid=None, private_key=_private_key())))


def test_hs256_and_none_algorithms_are_401(signer):
    forged = jwt.encode(
        {"iss": ISSUER, "sub": "kc-sub-1", "exp": int(time.time()) + 60, **claims_for()},
        "secret-guess-that-is-long-enough-for-hs256",
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    assert_401(call_me(forged))
    unsigned = jwt.encode(
        {"iss": ISSUER, "sub": "kc-sub-1", "exp": int(time.time()) + 60, **claims_for()},
        None,
        algorithm="none",
    )
    assert_401(call_me(unsigned))


def test_audience_is_checked_when_configured(signer, settings):
    settings.OIDC_API_AUDIENCE = "athena-api"
    assert_401(call_me(signer(aud="account")))
    assert call_me(signer(aud=["account", "athena-api"])).status_code == 200


def test_id_and_refresh_tokens_are_not_access_tokens(signer):
    assert_401(call_me(signer(typ="ID")))
    assert_401(call_me(signer(typ="Refresh")))
    assert_401(call_me(signer(typ=None, at_hash="abc")))


def test_token_without_staff_role_is_401(signer):
    assert_401(call_me(signer(realm_access={"roles": ["customer"]})))
    assert not User.objects.exists()


def test_token_with_unverified_email_is_401(signer):
    assert_401(call_me(signer(email_verified=False)))


def test_inactive_user_is_401(signer):
    assert call_me(signer()).status_code == 200
    User.objects.update(is_active=False)
    assert_401(call_me(signer()))


def test_malformed_authorization_headers_are_401(signer):
    client = APIClient()
    assert_401(client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer"))
    assert_401(client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer a b"))
    assert_401(client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {signer()}x"))


def test_unreachable_jwks_is_503_not_500(signer, settings):
    settings.OIDC_OP_JWKS_ENDPOINT = "http://127.0.0.1:9/certs"
    cache.clear()
    response = call_me(signer())
    assert response.status_code == 503
    assert response.json().keys() >= PROBLEM


# --- Nothing is called per request: opaque tokens, the JWKS cache ---------------------------


@pytest.fixture
def outbound(monkeypatch):
    """Every HTTP request the server makes through `requests`, recorded (and let through)."""
    from requests.adapters import HTTPAdapter

    urls: list[str] = []
    send = HTTPAdapter.send

    def recording_send(self, request, *args, **kwargs):
        urls.append(request.url)
        return send(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", recording_send)
    return urls


@pytest.mark.parametrize(
    "token", ["garbage-token", "a" * 40, "eyJhbGciOiJSUzI1NiJ9.e30", "x.y.z", "ath"]
)
def test_an_opaque_token_is_401_without_calling_the_provider(signer, outbound, token):
    # The userinfo endpoint is unreachable (port 9): a call out would answer 503.
    body = assert_401(call_me(token))
    assert body["status"] == 401
    assert outbound == []


def test_many_requests_fetch_the_key_set_once(signer, jwks_server, outbound):
    for _ in range(10):
        assert call_me(signer()).status_code == 200
    for _ in range(5):
        assert_401(call_me("opaque-" + "x" * 30))
    assert jwks_server.hits == 1
    assert outbound == [jwks_server.url]


def test_token_not_yet_valid_is_401(signer):
    assert_401(call_me(signer(nbf=int(time.time()) + 3600)))


def test_token_issued_to_another_client_is_401(signer, settings):
    assert_401(call_me(signer(azp="some-other-client")))
    settings.OIDC_API_AUTHORIZED_PARTIES = ["athena-staff", "athena-cli"]
    assert call_me(signer(azp="athena-cli")).status_code == 200


def test_token_without_azp_needs_a_checked_audience(signer, settings):
    assert_401(call_me(signer(azp=None)))
    settings.OIDC_API_AUDIENCE = "athena-api"
    assert call_me(signer(azp=None, aud="athena-api")).status_code == 200


def test_wrong_audience_is_401(signer, settings):
    settings.OIDC_API_AUDIENCE = "athena-api"
    assert_401(call_me(signer(aud="another-api")))


def test_a_provider_that_is_down_is_not_called_per_request(signer, settings, outbound):
    settings.OIDC_OP_JWKS_ENDPOINT = "http://127.0.0.1:9/certs"
    cache.clear()
    for _ in range(5):
        assert call_me(signer()).status_code == 503
    assert len(outbound) == 1  # the failure is remembered for JWKS_MIN_REFRESH_SECONDS
