"""Staff sign-in through Keycloak (OpenID Connect) and bearer tokens for integrators.

Filled in by the staff SSO work: realm roles in the token map to Django groups.
"""

from __future__ import annotations

from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.contrib.drf import OIDCAuthentication


class StaffOIDCBackend(OIDCAuthenticationBackend):
    pass


class BearerTokenAuthentication(OIDCAuthentication):
    pass
