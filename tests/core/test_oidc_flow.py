"""Staff sign-in end to end against a real OpenID provider on loopback (oidc-provider-mock).

A `requests.Session` plays the browser: /oidc/authenticate/ -> the provider's authorization
form -> submit the subject -> /oidc/callback/ -> /admin/. The provider's users carry
Keycloak-shaped claims (`realm_access.roles`), set through its PUT /users/<sub> API.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import oidc_provider_mock
import pytest
import requests

from apps.core import roles
from apps.core.models import User

PROBLEM = {"type", "title", "status", "detail"}
CLIENT_ID = "athena-staff"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def provider():
    with oidc_provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(autouse=True)
def oidc_settings(settings, provider):
    settings.OIDC_ISSUER = provider
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{provider}/oauth2/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{provider}/oauth2/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{provider}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{provider}/jwks"
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "test-secret"
    settings.OIDC_VERIFY_KID = False  # the provider's tokens carry no kid
    settings.OIDC_API_AUDIENCE = ""
    # Transactional tests start from a flushed database: put the role groups back.
    roles.sync_role_permissions()


def put_user(provider, sub, *, realm_roles=(), email=None, verified=True, name="Staff Member"):
    claims = {
        "email": email or f"{sub}@athena.example",
        "email_verified": verified,
        "name": name,
        "realm_access": {"roles": list(realm_roles)},
    }
    response = requests.put(f"{provider}/users/{sub}", json=claims, timeout=10)
    assert response.status_code == 204, response.text


def sign_in(live_server, sub, *, session=None):
    """The browser's path through the authorization-code flow; returns (session, last)."""
    session = session or requests.Session()
    page = session.get(f"{live_server.url}/oidc/authenticate/?next=/admin/", timeout=10)
    assert page.status_code == 200
    assert "/oauth2/authorize" in page.url and 'name="sub"' in page.text
    query = parse_qs(urlparse(page.url).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == [f"{live_server.url}/oidc/callback/"]
    assert query["code_challenge_method"] == ["S256"] and query["nonce"]
    last = session.post(page.url, data={"sub": sub}, timeout=10)  # follows to the callback
    return session, last


def me(live_server, session=None, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return (session or requests).get(f"{live_server.url}/api/v1/me", headers=headers, timeout=10)


def provider_access_token(provider, live_server, sub):
    """An access token straight from the provider: authorize, then the token endpoint."""
    redirect_uri = f"{live_server.url}/oidc/callback/"
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": "openid email profile",
        "state": "s",
        "nonce": "n",
    }
    answer = requests.post(
        f"{provider}/oauth2/authorize",
        params=params,
        data={"sub": sub},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    code = parse_qs(urlparse(answer.headers["Location"]).query)["code"][0]
    tokens = requests.post(
        f"{provider}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": CLIENT_ID,
            "client_secret": "test-secret",
        },
        timeout=10,
    )
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


# --- Sign-in through the browser flow ---------------------------------------------------


@pytest.mark.parametrize(
    ("realm_role", "superuser"),
    [(roles.OPERATOR, False), (roles.COMPLIANCE_OFFICER, False), (roles.ADMIN, True)],
)
def test_staff_role_signs_in_to_the_admin(live_server, provider, realm_role, superuser):
    sub = f"{realm_role.replace('_', '-')}-1"
    put_user(provider, sub, realm_roles=["offline_access", realm_role], name="Beatriz Souza")

    session, last = sign_in(live_server, sub)

    assert last.status_code == 200
    assert last.url == f"{live_server.url}/admin/"
    assert 'id="login-form"' not in last.text
    assert [r.headers["Location"] for r in last.history][-1] == "/admin/"

    body = me(live_server, session).json()
    assert body["groups"] == [realm_role]
    assert body["is_staff"] is True
    assert body["email"] == f"{sub}@athena.example"
    assert body["full_name"] == "Beatriz Souza"
    user = User.objects.get(email=f"{sub}@athena.example")
    assert user.is_superuser is superuser
    assert not user.has_usable_password()


def test_no_staff_role_is_refused(live_server, provider):
    put_user(provider, "customer-1", realm_roles=["customer", "offline_access"])

    session, last = sign_in(live_server, "customer-1")

    assert last.url.startswith(f"{live_server.url}/admin/login/")
    assert "Keycloak" in last.text  # the failure message
    assert me(live_server, session).status_code in (401, 403)
    assert not User.objects.filter(email="customer-1@athena.example").exists()


def test_unverified_email_is_refused(live_server, provider):
    put_user(provider, "unverified-1", realm_roles=["admin"], verified=False)
    session, last = sign_in(live_server, "unverified-1")
    assert last.url.startswith(f"{live_server.url}/admin/login/")
    assert not User.objects.exists()


def test_roles_follow_keycloak_at_every_sign_in(live_server, provider):
    put_user(provider, "rotating-1", realm_roles=["operator"])
    sign_in(live_server, "rotating-1")
    user = User.objects.get(email="rotating-1@athena.example")
    assert list(user.groups.values_list("name", flat=True)) == ["operator"]

    put_user(provider, "rotating-1", realm_roles=["compliance_officer"])
    session, _ = sign_in(live_server, "rotating-1")
    assert me(live_server, session).json()["groups"] == ["compliance_officer"]

    put_user(provider, "rotating-1", realm_roles=[])
    session, last = sign_in(live_server, "rotating-1")
    assert last.url.startswith(f"{live_server.url}/admin/login/")
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.exists()


def test_admin_login_page_offers_keycloak(live_server):
    page = requests.get(
        f"{live_server.url}/admin/login/?next=/admin/",
        headers={"Accept-Language": "en"},
        timeout=10,
    )
    assert page.status_code == 200
    assert "Sign in with Keycloak" in page.text
    assert 'href="/oidc/authenticate/?next=/admin/"' in page.text


def test_the_button_leads_through_keycloak_into_the_admin(live_server, provider):
    put_user(provider, "button-1", realm_roles=["operator"])
    session = requests.Session()
    session.get(f"{live_server.url}/admin/", timeout=10)  # redirected to the login page
    page = session.get(f"{live_server.url}/oidc/authenticate/?next=/admin/", timeout=10)
    last = session.post(page.url, data={"sub": "button-1"}, timeout=10)
    assert last.url == f"{live_server.url}/admin/"


# --- Bearer tokens for the API -----------------------------------------------------------


def test_an_opaque_provider_token_is_refused_without_calling_the_provider(
    live_server, provider, monkeypatch
):
    """This provider's access tokens are opaque (Keycloak's are JWTs, checked locally in
    test_oidc_backend): the API refuses them at once instead of asking userinfo."""
    from requests.adapters import HTTPAdapter

    put_user(provider, "api-operator", realm_roles=["operator"], name="Integração Ops")
    tokens = provider_access_token(provider, live_server, "api-operator")
    urls: list[str] = []
    send = HTTPAdapter.send

    def recording_send(self, request, *args, **kwargs):
        urls.append(request.url)
        return send(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", recording_send)

    response = me(live_server, token=tokens["access_token"])

    assert response.status_code == 401, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert [url for url in urls if url.startswith(provider)] == []  # no userinfo call
    assert not User.objects.filter(email="api-operator@athena.example").exists()


def test_access_token_without_staff_role_is_401(live_server, provider):
    put_user(provider, "api-customer", realm_roles=["customer"])
    tokens = provider_access_token(provider, live_server, "api-customer")
    response = me(live_server, token=tokens["access_token"])
    assert response.status_code == 401


def test_garbage_token_is_401_problem(live_server):
    response = me(live_server, token="garbage-token")
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body.keys() >= PROBLEM
    assert body["status"] == 401


def test_id_token_is_not_accepted_as_a_bearer_token(live_server, provider):
    put_user(provider, "api-idtoken", realm_roles=["admin"])
    tokens = provider_access_token(provider, live_server, "api-idtoken")
    assert me(live_server, token=tokens["id_token"]).status_code == 401


def test_signing_out_of_the_admin_ends_the_keycloak_session_too(live_server, provider, settings):
    """RP-initiated logout: the admin's "Log out" goes on to the provider's end-session
    endpoint with the id token as hint, and comes back to the admin's login page."""
    import re
    from urllib.parse import urljoin

    settings.OIDC_OP_LOGOUT_ENDPOINT = f"{provider}/oauth2/end_session"
    put_user(provider, "operator-logout", realm_roles=["operator"])
    session, _last = sign_in(live_server, "operator-logout")
    admin_page = session.get(f"{live_server.url}/admin/", timeout=10).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', admin_page).group(1)

    out = session.post(
        f"{live_server.url}/admin/logout/",
        data={"csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=10,
    )

    assert out.status_code == 302
    target = urlparse(out.headers["Location"])
    assert urljoin(f"{target.scheme}://{target.netloc}", target.path) == (
        f"{provider}/oauth2/end_session"
    )
    query = parse_qs(target.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["post_logout_redirect_uri"] == [f"{live_server.url}/admin/login/"]
    assert query["id_token_hint"][0].count(".") == 2  # the id token (a JWT) as hint
    assert me(live_server, session).status_code in (401, 403)  # the Django session is over


def test_a_password_session_signs_out_as_the_admin_does(client):
    staff = User.objects.create_user(
        username="ops", email="ops@athena.example", password="x-Ops#2026", is_staff=True
    )
    client.force_login(staff)

    out = client.post("/admin/logout/")

    assert out.status_code in (200, 302)  # as before: the admin's LogoutView
    assert client.get("/api/v1/me").status_code in (401, 403)
    assert client.get("/admin/logout/").status_code == 405
