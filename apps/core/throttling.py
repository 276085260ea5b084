"""API throttles backed by the shared cache (Redis in production)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from apps.core.audit import client_ip


class PerUserThrottle(UserRateThrottle):
    """Per authenticated user; anonymous callers are counted by IP under the same scope."""

    scope = "user"


class PerIPThrottle(SimpleRateThrottle):
    """Per client IP whoever the caller is, so one address cannot fan out over many tokens."""

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}
