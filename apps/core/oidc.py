"""Staff sign-in through Keycloak (OpenID Connect) and bearer tokens for the API.

- `StaffOIDCBackend` runs mozilla-django-oidc's authorization-code flow, checks the ID
  token's issuer and audience (the library checks only the signature), and maps Keycloak
  realm roles onto the staff groups of `apps.core.roles` at every sign-in: groups are added
  and removed, `is_staff`/`is_superuser` follow the roles. No verified email or no staff role
  means no sign-in (and a user whose roles were withdrawn loses the staff groups at once).
- `BearerTokenAuthentication` (DRF) accepts a Keycloak access token, a JWT, validated
  locally against the realm's JWKS (fetched once into the shared cache, refetched on an
  unknown `kid` at most every JWKS_MIN_REFRESH_SECONDS): signature with an allowed
  algorithm, `iss`, `exp`, `nbf`, `azp` (OIDC_API_AUTHORIZED_PARTIES) and `aud` when
  OIDC_API_AUDIENCE is set. Nothing else is called per request: an opaque token that is
  not ours (ours, `ath_...`, belong to apps.core.api_client_auth) is refused at once, so
  anonymous traffic never reaches the identity provider. A bad token answers 401 in the
  API's problem+json shape.
- `StaffOIDCCallbackView` sends staff to the admin after sign-in (the portal keeps
  LOGIN_REDIRECT_URL) and back to the admin login page, with a message, on failure.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.contrib.drf import OIDCAuthentication
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCLogoutView
from rest_framework import authentication, exceptions, status

from apps.core import roles

logger = logging.getLogger(__name__)

#: Clock skew tolerated between Keycloak and us when checking exp/iat/nbf.
LEEWAY_SECONDS = 30
#: How long a fetched JWKS is trusted, and the shortest interval between two fetches
#: forced by an unknown `kid` (key rotation), so forged kids cannot hammer Keycloak.
JWKS_CACHE_SECONDS = 300
JWKS_MIN_REFRESH_SECONDS = 30
#: Username prefix of users created by OIDC; the rest is the token's `sub`.
USERNAME_PREFIX = "kc-"


# --- Claims ---------------------------------------------------------------------------


def _claim(claims: dict[str, Any], path: str) -> Any:
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def roles_from_claims(claims: dict[str, Any]) -> set[str]:
    """Role names from the configured claim path (Keycloak: realm_access.roles), and from
    flat `roles` / `groups` claims. A Keycloak group path "/operator" counts as "operator"."""
    paths = (getattr(settings, "OIDC_ROLES_CLAIM", "") or "realm_access.roles", "roles", "groups")
    names: set[str] = set()
    for path in dict.fromkeys(paths):
        value = _claim(claims, path)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple):
            continue
        for item in value:
            if not isinstance(item, str):
                continue
            if item.startswith("/") and "/" not in item[1:]:
                item = item[1:]
            names.add(item)
    return names


def staff_roles_from_claims(claims: dict[str, Any]) -> set[str]:
    return roles_from_claims(claims) & set(roles.STAFF_ROLES)


def verified_email(claims: dict[str, Any]) -> str | None:
    """The email, only when the provider says it is verified (`email_verified: true`)."""
    email = claims.get("email")
    verified = claims.get("email_verified")
    if isinstance(verified, str):
        verified = verified.strip().lower() == "true"
    if isinstance(email, str) and email.strip() and verified is True:
        return email.strip()
    return None


def staff_username(sub: str) -> str:
    """The stable handle of an OIDC user: derived from the subject, never from the email."""
    if len(sub) <= 140:
        return USERNAME_PREFIX + sub
    return USERNAME_PREFIX + hashlib.sha256(sub.encode()).hexdigest()[:64]


# --- JWT checks -----------------------------------------------------------------------


def looks_like_jwt(token: str) -> bool:
    """Three segments and a JSON header naming an algorithm: judged as a JWT (and refused
    if it does not verify) rather than sent to the userinfo endpoint."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError alike
        return False
    return isinstance(header, dict) and "alg" in header


def decode_jwt(token: str, key: Any, *, audience: str | None) -> dict[str, Any]:
    """Verify signature, algorithm, `iss`, `exp`/`iat` and, when given, `aud`."""
    alg = settings.OIDC_RP_SIGN_ALGO
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise SuspiciousOperation(f"malformed JWT: {exc}") from exc
    if header.get("alg") != alg:
        raise SuspiciousOperation(f"JWT algorithm {header.get('alg')!r} is not {alg!r}")
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[alg],
            issuer=settings.OIDC_ISSUER,
            audience=audience,
            leeway=LEEWAY_SECONDS,
            options={
                "require": ["exp", "iat", "iss", "sub"],
                "verify_aud": audience is not None,
                "verify_nbf": True,
            },
        )
    except jwt.PyJWTError as exc:
        raise SuspiciousOperation(f"JWT rejected: {exc}") from exc


def _jwks_cache_key() -> str:
    url = settings.OIDC_OP_JWKS_ENDPOINT
    return "oidc:jwks:" + hashlib.sha256(url.encode()).hexdigest()


def fetch_jwks(*, force: bool = False) -> dict[str, Any]:
    """The provider's key set, cached; `force` refetches unless fetched moments ago."""
    key = _jwks_cache_key()
    cached = cache.get(key)
    if cached and not force:
        return cached
    if cached and time.time() - cached["fetched_at"] < JWKS_MIN_REFRESH_SECONDS:
        return cached
    # A failed fetch is remembered for a moment too: a provider that is down must not turn
    # every request carrying a JWT into one more call to it.
    if cache.get(key + ":failed"):
        if cached:
            return cached
        raise requests.ConnectionError("the JWKS endpoint failed moments ago")
    try:
        # The timeout is OIDC_TIMEOUT (10 s by default); bandit sees only literal timeouts.
        response = requests.get(  # nosec B113
            settings.OIDC_OP_JWKS_ENDPOINT,
            timeout=getattr(settings, "OIDC_TIMEOUT", None) or 10,
            verify=getattr(settings, "OIDC_VERIFY_SSL", True),
            proxies=getattr(settings, "OIDC_PROXY", None),
        )
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        cache.set(key + ":failed", True, JWKS_MIN_REFRESH_SECONDS)
        if isinstance(exc, requests.RequestException):
            raise
        raise requests.RequestException(f"the JWKS is not JSON: {exc}") from exc
    keys = body.get("keys") if isinstance(body, dict) else None
    jwks = {"keys": keys if isinstance(keys, list) else [], "fetched_at": time.time()}
    cache.set(_jwks_cache_key(), jwks, JWKS_CACHE_SECONDS)
    return jwks


def _candidate_keys(header: dict[str, Any], jwks: dict[str, Any]) -> list[jwt.PyJWK]:
    alg = settings.OIDC_RP_SIGN_ALGO
    kid = header.get("kid")
    match_kid = getattr(settings, "OIDC_VERIFY_KID", True)
    keys = []
    for jwk in jwks["keys"]:
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            continue
        if jwk.get("alg", alg) != alg:
            continue
        if match_kid and (kid is None or jwk.get("kid") != kid):
            continue
        try:
            keys.append(jwt.PyJWK(jwk, algorithm=alg))
        except jwt.PyJWTError:
            continue  # a key of another type or curve
    return keys


def authorized_parties() -> set[str]:
    """Clients whose access tokens the API takes (`azp`): the staff client by default."""
    configured = getattr(settings, "OIDC_API_AUTHORIZED_PARTIES", None)
    return set(configured or [settings.OIDC_RP_CLIENT_ID])


def verify_access_token(token: str) -> dict[str, Any]:
    """Claims of a JWT access token checked against the provider's JWKS, or
    SuspiciousOperation. Network failures raise requests' exceptions."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise SuspiciousOperation(f"malformed JWT: {exc}") from exc
    keys = _candidate_keys(header, fetch_jwks())
    if not keys:  # perhaps a rotated key: look again, once
        keys = _candidate_keys(header, fetch_jwks(force=True))
    if not keys:
        raise SuspiciousOperation("no JWKS key matches the token")
    audience = getattr(settings, "OIDC_API_AUDIENCE", "") or None
    claims: dict[str, Any] | None = None
    for index, key in enumerate(keys):
        try:
            claims = decode_jwt(token, key, audience=audience)
            break
        except SuspiciousOperation as exc:
            bad_signature = isinstance(exc.__cause__, jwt.InvalidSignatureError)
            if not bad_signature or index == len(keys) - 1:
                raise
    assert claims is not None
    # An ID token is no access token. Keycloak marks its tokens with `typ` ("Bearer",
    # "ID", "Refresh"); other providers' ID tokens give themselves away by their hashes.
    # Keycloak's `aud` is "account" unless an audience mapper is set up; `azp` always names
    # the client the token was issued to, so only our own clients' tokens open the API.
    azp = claims.get("azp")
    parties = authorized_parties()
    if azp is not None and azp not in parties:
        raise SuspiciousOperation(f"access token issued to {azp!r}")
    if azp is None and audience is None:
        raise SuspiciousOperation("access token names neither azp nor a checked audience")
    token_type = claims.get("typ")
    if token_type is not None and str(token_type).lower() not in ("bearer", "at+jwt"):
        raise SuspiciousOperation(f"a {token_type!r} token is not an access token")
    if "at_hash" in claims or "c_hash" in claims:
        raise SuspiciousOperation("an ID token is not an access token")
    return claims


# --- Backend --------------------------------------------------------------------------


class StaffOIDCBackend(OIDCAuthenticationBackend):
    """Keycloak staff sign-in: users by verified email, realm roles -> Django groups."""

    def authenticate(self, request, **kwargs):
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException) as exc:
            # The library lets token-exchange and ID-token errors escape as 400/500 pages.
            logger.warning("staff OIDC sign-in refused: %s", exc)
            return None

    def _verify_jws(self, payload, key):
        """ID tokens (and JWT userinfo): the library checks the signature only."""
        claims = decode_jwt(payload, key, audience=self.OIDC_RP_CLIENT_ID)
        azp = claims.get("azp")
        if azp is not None and azp != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation(f"ID token issued to {azp!r}")
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        """Claims from the access token (when a verifiable JWT), the ID token and the
        userinfo endpoint, merged in that order: Keycloak puts realm roles in the access
        token by default and not always in userinfo. All must name the same subject."""
        sources: list[dict[str, Any]] = []
        if payload and looks_like_jwt(access_token or ""):
            try:
                sources.append(verify_access_token(access_token))
            except SuspiciousOperation as exc:
                logger.info("access token claims not used: %s", exc)
        if payload:
            sources.append(dict(payload))
        sources.append(super().get_userinfo(access_token, id_token, payload))
        subjects = {source.get("sub") for source in sources}
        if len(subjects) != 1:
            raise SuspiciousOperation("token and userinfo subjects differ")
        merged: dict[str, Any] = {}
        for source in sources:
            merged.update(source)
        return merged

    def verify_claims(self, claims):
        return bool(verified_email(claims)) and bool(staff_roles_from_claims(claims))

    def filter_users_by_claims(self, claims):
        email = verified_email(claims)
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email)

    def get_or_create_user(self, access_token, id_token, payload):
        return self.user_from_claims(self.get_userinfo(access_token, id_token, payload))

    def user_from_claims(self, claims: dict[str, Any]):
        """The staff user for verified claims, with groups synced; SuspiciousOperation if
        the claims do not make a staff member; None if unknown and creation is off."""
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise SuspiciousOperation("no subject in the claims")
        email = verified_email(claims)
        if not email:
            raise SuspiciousOperation("no verified email in the claims")
        users = list(self.filter_users_by_claims(claims)[:2])
        if len(users) > 1:
            raise SuspiciousOperation("several users share this email")
        user = users[0] if users else None
        if user is not None:
            self._check_same_person(user, sub)
        staff = staff_roles_from_claims(claims)
        if not staff:
            if user is not None:
                sync_staff_roles(user=user, staff_roles=set())  # withdraw at once
            raise SuspiciousOperation(f"{email} holds no staff role")
        with transaction.atomic():
            if user is None:
                if not self.get_settings("OIDC_CREATE_USER", True):
                    logger.info("no user for %s and OIDC_CREATE_USER is off", email)
                    return None
                user = self.create_user(claims)
            else:
                user = self.update_user(user, claims)
            sync_staff_roles(user=user, staff_roles=staff)
        return user

    def _check_same_person(self, user, sub: str) -> None:
        """An email match is not enough to hand over an account: never a customer's
        account, nor one created for another Keycloak subject (email reassigned)."""
        if user.username.startswith(USERNAME_PREFIX) and user.username != staff_username(sub):
            raise SuspiciousOperation("the account with this email belongs to another subject")
        if hasattr(user, "customer") or user.groups.filter(name=roles.CUSTOMER).exists():
            raise SuspiciousOperation("a customer account cannot sign in as staff")

    def create_user(self, claims):
        return self.UserModel.objects.create_user(
            staff_username(claims["sub"]),
            email=verified_email(claims),
            full_name=str(claims.get("name") or "")[:150],
        )

    def update_user(self, user, claims):
        name = claims.get("name")
        if isinstance(name, str) and name and user.full_name != name[:150]:
            user.full_name = name[:150]
            user.save(update_fields=["full_name"])
        return user


@transaction.atomic
def sync_staff_roles(*, user, staff_roles: set[str]) -> None:
    """Make the user's staff groups and flags follow the roles; customer group untouched."""
    from apps.core.audit import Action, record_event

    wanted = set(staff_roles) & set(roles.STAFF_ROLES)
    current = set(user.groups.filter(name__in=roles.STAFF_ROLES).values_list("name", flat=True))
    added, removed = wanted - current, current - wanted
    if added:
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in sorted(added)))
    if removed:
        user.groups.remove(*Group.objects.filter(name__in=removed))
    flags = {"is_staff": bool(wanted), "is_superuser": roles.ADMIN in wanted}
    changed = [field for field, value in flags.items() if getattr(user, field) != value]
    for field in changed:
        setattr(user, field, flags[field])
    if changed:
        user.save(update_fields=changed)
    if added or removed or changed:
        record_event(
            Action.BUSINESS,
            actor=user,
            obj=user,
            detail={
                "event": "staff_roles_synced",
                "source": "oidc",
                "added": sorted(added),
                "removed": sorted(removed),
                **flags,
            },
        )


# --- DRF ------------------------------------------------------------------------------


class InvalidBearerToken(exceptions.APIException):
    """401 with a Bearer challenge. Not an AuthenticationFailed: DRF turns those into 403
    when the first authentication class (SessionAuthentication) offers no challenge."""

    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = "The access token is invalid or expired."
    default_code = "invalid_token"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail)
        self.auth_header = 'Bearer realm="api", error="invalid_token"'


class IdentityProviderUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The identity provider could not be reached; try again."
    default_code = "identity_provider_unavailable"


class BearerTokenAuthentication(OIDCAuthentication):
    """`Authorization: Bearer <access token>` issued by Athena's Keycloak realm."""

    def get_access_token(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None  # another scheme, or none: not ours to judge
        if len(parts) != 2:
            raise InvalidBearerToken('The "Bearer" header must carry exactly one token.')
        try:
            return parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise InvalidBearerToken() from exc

    def authenticate(self, request):
        token = self.get_access_token(request)
        if not token:
            return None
        if not looks_like_jwt(token):
            # Keycloak's access tokens are JWTs and ours (ath_...) were judged before this
            # class: an opaque token is nobody's. No userinfo call: that would let anyone
            # make us call out (and answer 503 when the provider is down) per request.
            logger.info("bearer token refused: not a JWT")
            raise InvalidBearerToken()
        try:
            user = self.backend.user_from_claims(verify_access_token(token))
        except SuspiciousOperation as exc:
            logger.info("bearer token refused: %s", exc)
            raise InvalidBearerToken() from exc
        except requests.RequestException as exc:  # only the JWKS fetch calls out
            logger.warning("identity provider's key set unavailable: %s", exc)
            raise IdentityProviderUnavailable() from exc
        if user is None or not user.is_active:
            raise InvalidBearerToken("No active staff user for this token.")
        return user, token


# --- Views ----------------------------------------------------------------------------


class StaffOIDCCallbackView(OIDCAuthenticationCallbackView):
    """After Keycloak: to `next` (validated when the flow started) or the admin."""

    @property
    def success_url(self):
        next_url = self.request.session.get("oidc_login_next")
        return next_url or resolve_url(
            self.get_settings("OIDC_STAFF_LOGIN_REDIRECT_URL", "admin:index")
        )

    @property
    def failure_url(self):
        return resolve_url(self.get_settings("LOGIN_REDIRECT_URL_FAILURE", "admin:login"))

    def login_failure(self):
        messages.error(
            self.request,
            _(
                "Sign-in with Keycloak failed. Staff need a verified email and a staff "
                "role (operator, compliance_officer or admin)."
            ),
        )
        return super().login_failure()


def provider_logout(request) -> str:
    """Where a staff member goes on signing out (OIDC_OP_LOGOUT_URL_METHOD): Keycloak's
    end-session endpoint (RP-initiated logout), which ends the SSO session too and comes
    back to the admin's login page. Without it the next "Sign in with Keycloak" would let
    anyone at that browser straight back in. Staff signed in with a password just go to
    the login page."""
    login_page = request.build_absolute_uri(resolve_url("admin:login"))
    id_token = request.session.get("oidc_id_token")
    if not id_token or not settings.OIDC_OP_LOGOUT_ENDPOINT:
        return login_page
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": login_page,
            "client_id": settings.OIDC_RP_CLIENT_ID,
        }
    )
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{query}"


class StaffLogoutView(OIDCLogoutView):
    """The admin's "Log out" (POST /admin/logout/): a Keycloak session is ended at Keycloak
    as well; a password session is ended as the admin does."""

    def post(self, request):
        if not request.session.get("oidc_id_token"):
            return admin.site.logout(request)
        return super().post(request)

    def get(self, request):
        return admin.site.logout(request)  # the admin's own answer to a GET (405)
