"""OAuth 2.0 client credentials for integrators (RFC 6749 section 4.4), as BACEN's API Pix
asks of a PSP: a client authenticates at `POST /oauth/token` and calls the API with a bearer
token limited to the scopes it was granted (`cob.read`, `pix.write`, ...).

- Scopes are declared by the apps that serve them (`register_scopes`, from AppConfig.ready):
  a client can be given only a declared scope.
- A view accepts such a token only if it declares what it needs (`oauth_scopes = "cob"`:
  `cob.read` for GET/HEAD/OPTIONS, `cob.write` otherwise). Every other view refuses these
  tokens, so a token for reading charges can never send a Pix (checked by the
  authentication class in apps.core.api_client_auth, which DRF's settings import).
- Secrets and tokens are random (256 bits) and stored as keyed hashes only.

Staff bearer tokens from Keycloak (apps.core.oidc) and the portal's session are unaffected.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.api_client_auth import TOKEN_PREFIX, credential_hash, declared_scopes
from apps.core.audit import record_event
from apps.core.errors import ValidationFailed
from apps.core.models import ApiAccessToken, ApiClient, User

CLIENT_ID_PREFIX = "athena-"


def register_scopes(scopes: dict[str, str]) -> None:
    """Declare scopes an app serves (name -> description)."""
    declared_scopes.update(scopes)


def _checked_scopes(scope: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(scope))
    unknown = [name for name in wanted if name not in declared_scopes]
    if unknown:
        raise ValidationFailed(
            _("Unknown scope: %(scopes)s."), params={"scopes": ", ".join(unknown)}, field="scope"
        )
    if not wanted:
        raise ValidationFailed(_("Give the client at least one scope."), field="scope")
    return wanted


# --- Clients ------------------------------------------------------------------------------


@transaction.atomic
def api_client_create(
    *, user: User, name: str, scope: Iterable[str], actor: Any = None
) -> tuple[ApiClient, str]:
    """A new client and its secret, which is not kept: the caller shows it once."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationFailed(_("Name the client."), field="name")
    secret = secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        user=user,
        name=name[:100],
        client_id=CLIENT_ID_PREFIX + secrets.token_hex(12),
        secret_hash=credential_hash("secret", secret),
        scope=" ".join(_checked_scopes(scope)),
    )
    record_event(
        "api_client.created",
        obj=client,
        actor=actor,
        detail={"client_id": client.client_id, "scope": client.scope, "user": user.pk},
    )
    return client, secret


def api_clients_of_user(*, user: User):
    """The user's clients, active first, newest first."""
    return ApiClient.objects.filter(user=user).order_by("-active", "-created_at", "-pk")


def api_client_of_user(*, user: User, client_id: int) -> ApiClient | None:
    return ApiClient.objects.filter(user=user, pk=client_id).first()


@transaction.atomic
def api_client_revoke(*, client: ApiClient, actor: Any = None) -> ApiClient:
    """No new tokens, and the ones issued stop working at once."""
    client.active = False
    client.save(update_fields=["active", "updated_at"])
    client.tokens.all().delete()
    record_event("api_client.revoked", obj=client, actor=actor, detail={"id": client.client_id})
    return client


# --- Tokens -------------------------------------------------------------------------------


class OAuthError(Exception):
    """An RFC 6749 section 5.2 error: `error` code, description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def client_credentials_from(
    authorization: str, body: dict[str, Any]
) -> tuple[str, str, bool] | None:
    """(client_id, secret, by HTTP Basic) from the Authorization header or the form."""
    if authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, sep, secret = decoded.partition(":")
        return (client_id, secret, True) if sep else None
    client_id, secret = body.get("client_id"), body.get("client_secret")
    if isinstance(client_id, str) and isinstance(secret, str):
        return client_id, secret, False
    return None


def token_issue(
    *, client_id: str, secret: str, scope: str | None, cert_thumbprint: str = "", now=None
) -> tuple[str, ApiAccessToken]:
    """A bearer token for the client, with the scopes asked for (all of its own if none),
    bound to the client certificate it was asked over (mutual TLS), if any."""
    now = now or timezone.now()
    client = ApiClient.objects.filter(client_id=client_id[:40], active=True).first()
    expected = client.secret_hash if client is not None else credential_hash("secret", "")
    if not secrets.compare_digest(expected, credential_hash("secret", secret)) or client is None:
        raise OAuthError("invalid_client", "Unknown client or wrong secret.", status=401)
    granted = client.scope.split()
    asked = (scope or "").split() or granted
    beyond = [name for name in asked if name not in granted]
    if beyond:
        raise OAuthError("invalid_scope", f"Not granted to this client: {' '.join(beyond)}.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    issued = ApiAccessToken.objects.create(
        client=client,
        token_hash=credential_hash("token", token),
        scope=" ".join(dict.fromkeys(asked)),
        cert_thumbprint=cert_thumbprint,
        expires_at=now + timedelta(seconds=settings.API_TOKEN_TTL_SECONDS),
    )
    ApiClient.objects.filter(pk=client.pk).update(last_token_at=now)
    return token, issued


def purge_expired_tokens(*, now=None) -> int:
    deleted, _ = ApiAccessToken.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted
