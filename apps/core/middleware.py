"""Request id propagation, the access log, and the API's error shape for errors raised
outside DRF."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty
from django.views.defaults import bad_request

from apps.core.errors import PROBLEM_CONTENT_TYPE, client_input_error, problem_response
from apps.core.logging import bind_request_id, unbind_request_id

logger = logging.getLogger("athena.request")

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _user_id(request: HttpRequest) -> int | str | None:
    """The authenticated user's id, without loading a session nobody asked for.

    `request.user` is lazy: a request that never looked at it (a health probe, a static
    file) is logged without a user instead of paying a session query for the access log.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    try:
        return user.pk if user.is_authenticated else None
    except Exception:  # the access log must never break a response
        return None


class RequestIdMiddleware:
    """Takes X-Request-ID from the gateway (or makes one), echoes it in the response, and
    writes one access-log line per request on the "athena.request" logger."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = bind_request_id(request_id)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = request_id
            return response
        finally:
            self._log_access(request, request_id, status, time.perf_counter() - started)
            unbind_request_id(token)

    @staticmethod
    def _log_access(request: HttpRequest, request_id: str, status: int, seconds: float) -> None:
        duration_ms = round(seconds * 1000, 1)
        logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            status,
            duration_ms,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
                "user_id": _user_id(request),
            },
        )


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _query_has_nul(request: HttpRequest) -> bool:
    # Raw, so that nothing parses request.GET for a request that may never read it.
    query = request.META.get("QUERY_STRING", "")
    return "%00" in query or "\x00" in query


class ClientInputMiddleware:
    """NUL bytes in the path or the query string are a 400, before the view runs.

    PostgreSQL text cannot hold NUL: `/api/pix/v2/cob/%00` reached the database as a txid and
    failed there (DataError, a 500). No identifier, key or parameter of ours has a NUL, so the
    request is refused: problem+json under /api/, Django's 400 page elsewhere. A view that
    checks its own path or query, with its own error type (BACEN's CobConsultaInvalida,
    WebhookOperacaoInvalida on `chave`), says so with `validates_path_text = True` or
    `validates_query_text = True`. Bodies are checked by apps.core.parsers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        if "\x00" in request.path_info and not getattr(view_class, "validates_path_text", False):
            return self._refuse(request, "The URL contains a NUL character.")
        if _query_has_nul(request) and not getattr(view_class, "validates_query_text", False):
            return self._refuse(request, "The query string contains a NUL character.")
        return None

    @staticmethod
    def _refuse(request: HttpRequest, detail: str) -> HttpResponse:
        if _is_api(request):
            return problem_response(400, code="validation_error", detail=detail)
        return bad_request(request, SuspiciousOperation(detail))


class ApiErrorMiddleware:
    """Under /api/, errors that never reached DRF (unknown route, CSRF, 500) get the
    problem+json shape too, so integrators parse one error format."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not _is_api(request) or response.status_code < 400:
            return response
        content_type = response.get("Content-Type", "")
        if content_type.startswith(PROBLEM_CONTENT_TYPE):
            return response
        if content_type.startswith("application/json"):
            try:
                body = json.loads(response.content)
            except ValueError:
                body = None
            if isinstance(body, dict) and {"type", "title", "status"} <= body.keys():
                return response
        code = {404: "not_found", 405: "method_not_allowed", 403: "forbidden"}.get(
            response.status_code, "error" if response.status_code < 500 else "server_error"
        )
        detail = {
            404: "No such resource.",
            405: f"Method {request.method} is not allowed here.",
            403: "Forbidden.",
        }.get(response.status_code, "The request could not be processed.")
        return problem_response(response.status_code, code=code, detail=detail)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not _is_api(request):
            return None
        # Plain Django views under /api/ (files, not DRF) say "not found" / "not yours" by
        # raising: those are answers, not failures.
        if isinstance(exception, Http404):
            return problem_response(404, code="not_found", detail="Not found.")
        if isinstance(exception, PermissionDenied):
            return problem_response(403, code="forbidden", detail="Not allowed.")
        refused = client_input_error(exception)
        if refused is not None:  # a body too big, too many fields: the client's, not ours
            return problem_response(
                refused.status_code, code=refused.default_code, detail=str(refused.detail)
            )
        logger.exception("unhandled error on %s", request.path)
        return problem_response(500, code="server_error", detail="Internal error; it was logged.")
