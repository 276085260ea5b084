"""DRF's side of the integrators' client credentials (see apps.core.api_clients): the
bearer authentication with its scope check, and the OpenAPI security scheme. Kept apart
from the services because DRF's settings import it early (no apps.core.errors here)."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from apps.core.crypto import keyed_hash
from apps.core.models import ApiAccessToken

TOKEN_PREFIX = "ath_"  # noqa: S105 (a prefix marking our tokens, not a secret)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Scopes declared by the apps that serve them (apps.core.api_clients.register_scopes).
declared_scopes: dict[str, str] = {}


def known_scopes() -> dict[str, str]:
    return dict(sorted(declared_scopes.items()))


def credential_hash(kind: str, value: str) -> str:
    return keyed_hash(f"oauth-{kind}:{value}")


class CertificateProblem(Exception):
    pass


def client_cert_thumbprint(request) -> str | None:
    """x5t#S256 (RFC 8705) of the client certificate the gateway verified, None when mTLS is
    off here. Raises CertificateProblem when it is on and no usable certificate came."""
    header = settings.API_CLIENT_CERT_HEADER
    if not header:
        return None
    escaped = request.headers.get(header, "")
    if not escaped:
        raise CertificateProblem("A client certificate is required (mutual TLS).")
    try:
        cert = x509.load_pem_x509_certificate(unquote(escaped).encode())
    except ValueError as exc:
        raise CertificateProblem("The client certificate could not be read.") from exc
    digest = hashlib.sha256(cert.public_bytes(Encoding.DER)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class ClientCredentialsAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer ath_...`: a token of ours. Other bearer tokens (Keycloak's)
    are left to apps.core.oidc.

    The scope is checked here, not by a permission class a view could replace: a view takes
    these tokens only if it names its scope family (`oauth_scopes = "cob"`), and then only
    with `cob.read` for GET/HEAD/OPTIONS and `cob.write` otherwise (403 without it)."""

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            return None
        token = parts[1].decode("ascii", errors="replace")
        if not token.startswith(TOKEN_PREFIX):
            return None
        issued = (
            ApiAccessToken.objects.select_related("client__user")
            .filter(token_hash=credential_hash("token", token), expires_at__gt=timezone.now())
            .first()
        )
        if issued is None or not issued.client.active or not issued.client.user.is_active:
            raise exceptions.AuthenticationFailed("The access token is invalid or expired.")
        if issued.cert_thumbprint:
            try:
                presented = client_cert_thumbprint(request)
            except CertificateProblem as exc:
                raise exceptions.AuthenticationFailed(str(exc)) from exc
            if presented != issued.cert_thumbprint:
                raise exceptions.AuthenticationFailed(
                    "The access token was issued to another client certificate."
                )
        view = (getattr(request, "parser_context", None) or {}).get("view")
        needed = scope_needed(view, request.method)
        if needed is None:
            raise exceptions.PermissionDenied("This endpoint does not take API client tokens.")
        if needed not in issued.scopes:
            raise exceptions.PermissionDenied(f"The access token does not grant {needed}.")
        return issued.client.user, issued

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


def scope_needed(view, method: str) -> str | None:
    family = getattr(view, "oauth_scopes", None)
    if not family:
        return None
    return f"{family}.{'read' if method in SAFE_METHODS else 'write'}"


class ClientCredentialsScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.api_client_auth.ClientCredentialsAuthentication"
    name = "OAuth2"

    def get_security_requirement(self, auto_schema):
        """Each operation names the scope it needs, as BACEN's file does; operations that
        declare none do not list this scheme (its tokens are refused there)."""
        needed = scope_needed(auto_schema.view, auto_schema.method)
        return {self.name: [needed]} if needed else []

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": known_scopes()}},
        }
