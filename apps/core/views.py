"""Operational endpoints: liveness and readiness.

`/healthz` (liveness) touches nothing but the process. `/readyz` (readiness) probes the
database, the cache and Celery's broker and answers 200 or 503 with the failing part named;
it answers within HEALTH_CHECK_TIMEOUT seconds and never with a 500. Both are exempt from the
HTTPS redirect; the gateway exposes only `/healthz` to the outside (see deploy/nginx).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from apps.core import health

logger = logging.getLogger("athena.health")


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving; touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Database, cache and broker answer; 503 with the failing part otherwise."""
    try:
        checks = health.run_checks()
    except Exception as exc:  # a readiness probe answers 503, never 500
        logger.exception("readiness checks crashed")
        return JsonResponse(
            {"status": "not_ready", "failing": ["readyz"], "error": type(exc).__name__},
            status=503,
        )
    failing = [name for name, check in checks.items() if not check["ok"]]
    if failing:
        logger.warning("not ready: %s", ", ".join(failing), extra={"checks": checks})
    return JsonResponse(
        {"status": "not_ready" if failing else "ready", "failing": failing, "checks": checks},
        status=503 if failing else 200,
    )
