"""Integrators' OAuth 2.0 client credentials (RFC 6749 section 4.4) for BACEN's API Pix:
POST /oauth/token, bearer tokens limited to the API Pix scopes, refused everywhere else."""

from __future__ import annotations

import base64
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from apps.core.api_clients import api_client_create, api_client_revoke, purge_expired_tokens
from apps.core.errors import ValidationFailed
from apps.core.models import ApiAccessToken, ApiClient, AuditEvent
from tests.factories.certificates import self_signed
from tests.support.pix_charges import V2, Receiver, cob_body, txid

pytestmark = pytest.mark.django_db

TOKEN_URL = "/oauth/token"
WINDOW = {"inicio": "2020-01-01T00:00:00Z", "fim": "2100-01-01T00:00:00Z"}


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


def credentials(receiver: Receiver, *scopes: str) -> tuple[ApiClient, str]:
    return api_client_create(
        user=receiver.customer.user, name="ERP da padaria", scope=scopes or ("cob.read",)
    )


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_for(client: ApiClient, secret: str, **form) -> str:
    response = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials", **form},
        HTTP_AUTHORIZATION=basic(client.client_id, secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def bearer(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


# --- The token endpoint ------------------------------------------------------------------


def test_a_client_gets_a_bearer_token_with_http_basic(receiver):
    client, secret = credentials(receiver, "cob.read", "cob.write")

    response = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(client.client_id, secret),
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "cob.read cob.write"
    assert body["access_token"].startswith("ath_") and len(body["access_token"]) > 40
    client.refresh_from_db()
    assert client.last_token_at is not None


def test_credentials_in_the_form_or_json_body_and_a_narrower_scope(receiver):
    client, secret = credentials(receiver, "cob.read", "cob.write")
    form = {"grant_type": "client_credentials", "client_id": client.client_id}
    by_form = Client().post(TOKEN_URL, {**form, "client_secret": secret, "scope": "cob.read"})
    by_json = Client().post(
        TOKEN_URL, {**form, "client_secret": secret}, content_type="application/json"
    )
    assert by_form.status_code == 200 and by_form.json()["scope"] == "cob.read"
    assert by_json.status_code == 200 and by_json.json()["scope"] == "cob.read cob.write"


@pytest.mark.parametrize(
    ("form", "auth", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, "wrong", 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, "unknown", 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, "none", 401, "invalid_client"),
        ({"grant_type": "client_credentials"}, "garbage", 401, "invalid_client"),
        ({}, "right", 400, "invalid_request"),
        ({"grant_type": "password"}, "right", 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "pix.write"}, "right", 400, "invalid_scope"),
        ({"grant_type": "client_credentials", "scope": "nonsense"}, "right", 400, "invalid_scope"),
    ],
)
def test_token_errors_follow_rfc_6749(receiver, form, auth, status, error):
    client, secret = credentials(receiver, "cob.read")
    headers = {
        "right": {"HTTP_AUTHORIZATION": basic(client.client_id, secret)},
        "wrong": {"HTTP_AUTHORIZATION": basic(client.client_id, secret + "x")},
        "unknown": {"HTTP_AUTHORIZATION": basic("athena-nobody", secret)},
        "garbage": {"HTTP_AUTHORIZATION": "Basic %%%not-base64"},
        "none": {},
    }[auth]

    response = Client().post(TOKEN_URL, form, **headers)

    assert response.status_code == status
    assert response.json()["error"] == error and response.json()["error_description"]
    assert response["Cache-Control"] == "no-store"
    if status == 401 and auth in ("wrong", "unknown"):
        assert response["WWW-Authenticate"].startswith("Basic")
    assert not ApiAccessToken.objects.exists()


def test_secrets_and_tokens_are_kept_only_as_keyed_hashes(receiver):
    client, secret = credentials(receiver)
    token = token_for(client, secret)
    client.refresh_from_db()
    assert secret not in client.secret_hash and len(client.secret_hash) == 64
    (issued,) = ApiAccessToken.objects.all()
    assert token not in issued.token_hash and len(issued.token_hash) == 64
    created = AuditEvent.objects.get(action="api_client.created")
    assert secret not in str(created.detail)


def test_a_client_is_given_only_declared_scopes(receiver):
    with pytest.raises(ValidationFailed):
        credentials(receiver, "cob.read", "accounts.drain")
    with pytest.raises(ValidationFailed):
        api_client_create(user=receiver.customer.user, name="x", scope=[])
    assert not ApiClient.objects.exists()


# --- Using the token ---------------------------------------------------------------------


def test_a_read_token_reads_charges_and_cannot_write_them(receiver):
    reader, secret = credentials(receiver, "cob.read")
    api = bearer(token_for(reader, secret))

    listed = api.get(f"{V2}/cob", WINDOW)
    created = api.put(f"{V2}/cob/{txid()}", cob_body(receiver), content_type="application/json")

    assert listed.status_code == 200, listed.content
    assert created.status_code == 403
    assert created.json()["type"].endswith("AcessoNegado")


def test_a_write_token_creates_a_charge_for_its_customer(receiver):
    writer, secret = credentials(receiver, "cob.read", "cob.write")
    api = bearer(token_for(writer, secret))
    tx = txid()

    created = api.put(f"{V2}/cob/{tx}", cob_body(receiver), content_type="application/json")

    assert created.status_code == 201, created.content
    assert created.json()["txid"] == tx
    assert api.get(f"{V2}/cob/{tx}").json()["status"] == "ATIVA"


def test_pix_and_webhook_scopes_guard_their_endpoints(receiver):
    client, secret = credentials(receiver, "pix.read")
    api = bearer(token_for(client, secret))
    assert api.get(f"{V2}/pix", WINDOW).status_code == 200
    assert api.get(f"{V2}/webhook").status_code == 403


def test_a_token_is_refused_by_every_endpoint_that_declares_no_scope(receiver):
    """A token for charges must never move money nor read the account."""
    client, secret = credentials(receiver, *("cob.read", "cob.write", "pix.read", "pix.write"))
    api = bearer(token_for(client, secret))

    send = api.post(
        "/api/v1/pix/transfers",
        {"account": receiver.account.pk, "key": receiver.key, "amount": "1.00"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    assert send.status_code == 403
    assert api.get("/api/v1/me").status_code == 403
    assert api.get("/api/v1/accounts").status_code == 403
    # Views with permission classes of their own refuse them too (the check is the token's).
    screening = api.post(
        "/api/v1/compliance/screenings", {"name": "x"}, content_type="application/json"
    )
    assert screening.status_code == 403


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown", "inactive user"])
def test_dead_tokens_are_401(receiver, how):
    client, secret = credentials(receiver, "cob.read")
    token = token_for(client, secret)
    if how == "expired":
        ApiAccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif how == "revoked":
        api_client_revoke(client=client)
    elif how == "unknown":
        token = token[:-4] + "AAAA"
    else:
        receiver.customer.user.is_active = False
        receiver.customer.user.save(update_fields=["is_active"])

    response = bearer(token).get(f"{V2}/cob", WINDOW)

    assert response.status_code == 401
    if how == "revoked":
        refused = Client().post(
            TOKEN_URL,
            {"grant_type": "client_credentials"},
            HTTP_AUTHORIZATION=basic(client.client_id, secret),
        )
        assert refused.status_code == 401


def test_expired_tokens_are_purged(receiver):
    client, secret = credentials(receiver)
    token_for(client, secret)
    token_for(client, secret)
    ApiAccessToken.objects.filter(pk=ApiAccessToken.objects.first().pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert purge_expired_tokens() == 1
    assert ApiAccessToken.objects.count() == 1


def test_the_schema_declares_oauth2_client_credentials_with_the_api_pix_scopes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    scheme = schema["components"]["securitySchemes"]["OAuth2"]
    flow = scheme["flows"]["clientCredentials"]
    assert scheme["type"] == "oauth2" and flow["tokenUrl"] == "/oauth/token"
    assert {"cob.read", "cob.write", "cobv.read", "pix.write", "webhook.read"} <= set(
        flow["scopes"]
    )
    paths = schema["paths"]
    assert {"OAuth2": ["cob.write"]} in paths["/api/pix/v2/cob/{txid}"]["put"]["security"]
    assert {"OAuth2": ["pix.read"]} in paths["/api/pix/v2/pix"]["get"]["security"]
    sending = paths["/api/v1/pix/transfers"]["post"]["security"]
    assert not any("OAuth2" in requirement for requirement in sending)


# --- The admin -----------------------------------------------------------------------------


def test_staff_create_a_client_in_the_admin_and_see_its_secret_once(admin_client, receiver):
    response = admin_client.post(
        "/admin/core/apiclient/add/",
        {"user": receiver.customer.user.pk, "name": "ERP", "scopes": ["cob.read", "pix.read"]},
        follow=True,
    )
    assert response.status_code == 200
    (client,) = ApiClient.objects.all()
    assert client.scope == "cob.read pix.read" and client.user == receiver.customer.user
    shown = [str(m) for m in response.context["messages"]]
    secret = next(m for m in shown if client.client_id in m).rsplit(" ", 1)[-1]
    assert token_for(client, secret)

    admin_client.post(
        "/admin/core/apiclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
    )
    client.refresh_from_db()
    assert not client.active


# --- Mutual TLS: tokens bound to the client certificate (RFC 8705) ------------------------


def certificate(common_name: str) -> str:
    """A client certificate as nginx passes it ($ssl_client_escaped_cert: URL-encoded PEM)."""
    return quote(self_signed(common_name, rsa_key=False)[1].decode(), safe="")


@pytest.fixture
def mtls(settings):
    settings.API_CLIENT_CERT_HEADER = "X-Client-Cert"


def test_with_mtls_a_token_is_issued_only_over_a_client_certificate(mtls, receiver):
    client, secret = credentials(receiver, "cob.read")
    auth = {"HTTP_AUTHORIZATION": basic(client.client_id, secret)}
    form = {"grant_type": "client_credentials"}

    without = Client().post(TOKEN_URL, form, **auth)
    garbled = Client().post(TOKEN_URL, form, HTTP_X_CLIENT_CERT="not%20a%20cert", **auth)
    with_cert = Client().post(TOKEN_URL, form, HTTP_X_CLIENT_CERT=certificate("erp"), **auth)

    assert without.status_code == 401 and without.json()["error"] == "invalid_client"
    assert garbled.status_code == 401 and garbled.json()["error"] == "invalid_client"
    assert with_cert.status_code == 200
    (issued,) = ApiAccessToken.objects.all()
    assert len(issued.cert_thumbprint) == 43  # base64url SHA-256, no padding (x5t#S256)


def test_with_mtls_the_token_works_only_over_its_own_certificate(mtls, receiver):
    client, secret = credentials(receiver, "cob.read")
    own, other = certificate("erp"), certificate("someone else")
    response = Client().post(
        TOKEN_URL,
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=basic(client.client_id, secret),
        HTTP_X_CLIENT_CERT=own,
    )
    token = response.json()["access_token"]

    def call(**headers):
        return Client().get(f"{V2}/cob", WINDOW, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)

    assert call(HTTP_X_CLIENT_CERT=own).status_code == 200
    assert call(HTTP_X_CLIENT_CERT=other).status_code == 401  # a stolen token is useless
    assert call().status_code == 401
