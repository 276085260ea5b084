"""Domain errors and the one error shape of the API.

Every 4xx is RFC 7807 `application/problem+json`, as BACEN's API Pix answers:
`{"type", "title", "status", "detail", "correlationId", "violacoes": [{"razao",
"propriedade", "valor"}]}`. Services raise `DomainError`s; views never build error bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, JsonResponse
from django.utils.functional import Promise
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.i18n import lazy_format
from apps.core.logging import current_request_id
from apps.core.parsers import PayloadTooLarge, too_large

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://athena.example/problems/"


class DomainError(Exception):
    """A business rule said no. `code` is stable and machine-readable.

    The message is for people: a gettext_lazy msgid in English, with its `params` filled in
    when it is read (`raise Conflict(_("The hold is already %(state)s."), params={...})`),
    so it reads in the language of whoever reads it: the admin's operator, the portal's
    customer, the API's caller. `message` is always plain text, translated when accessed.
    """

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "domain_error"
    title = "Business rule violated"

    def __init__(
        self,
        message: str | Promise,
        *,
        params: Mapping[str, Any] | None = None,
        code: str | None = None,
        field: str | None = None,
        value: Any = None,
        status_code: int | None = None,
        violations: list[dict] | None = None,
    ) -> None:
        text = lazy_format(message, params) if params else message
        super().__init__(text)
        self.message = text
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.field = field
        self.value = value
        # Several field errors at once ([{razao, propriedade, valor}]); wins over `field`.
        self.violations = violations

    @property
    def message(self) -> str:
        # Translated on each read, in the language active then (never stored lazily: a
        # caller may put it in a JSON column or an outbox payload).
        return str(self._message)

    @message.setter
    def message(self, value: str | Promise) -> None:
        self._message = value


class ValidationFailed(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "validation_error"
    title = "Invalid request"


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    title = "Not found"


class Forbidden(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "forbidden"
    title = "Forbidden"


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    title = "Conflict"


def problem(
    status_code: int, *, code: str, title: str, detail: str, violations: list[dict] | None = None
) -> dict:
    body = {
        # A code that is already an absolute URI is the type itself: BACEN's API Pix names
        # its own (https://pix.bcb.gov.br/api/v2/error/PixNaoEncontrado, ...).
        "type": code if "://" in code else PROBLEM_BASE + code,
        "title": title,
        "status": status_code,
        "detail": detail,
        "correlationId": current_request_id() or None,
    }
    if violations:
        # BACEN's Violacao has string properties, none required: an unknown property or
        # value is left out, never null.
        body["violacoes"] = [
            {key: value for key, value in item.items() if value is not None} for item in violations
        ]
    return body


def _violations(detail: Any, prefix: str = "") -> list[dict]:
    """Flatten DRF's nested error detail into BACEN's `violacoes` list."""
    out: list[dict] = []
    if isinstance(detail, dict):
        for name, sub in detail.items():
            path = name if not prefix else f"{prefix}.{name}"
            if name == "non_field_errors":
                path = prefix
            out.extend(_violations(sub, path))
    elif isinstance(detail, list):
        for index, sub in enumerate(detail):
            if isinstance(sub, (dict, list)):
                out.extend(_violations(sub, f"{prefix}[{index}]"))
            else:
                out.extend(_violations(sub, prefix))
    else:
        out.append({"razao": str(detail), "propriedade": prefix or None, "valor": None})
    return out


_TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable entity",
    429: "Too many requests",
}


def client_input_error(exc: Exception) -> exceptions.APIException | None:
    """What Django or Python raise on a client's body, as the 400/413 it is (None otherwise).

    Django raises RequestDataTooBig and TooManyFieldsSent/TooManyFilesSent from
    `request.body`, `request.POST` and the multipart parser; a RecursionError can only come
    from a body nested deeper than the parser's limit (apps.core.parsers). Each was a 500.
    """
    if isinstance(exc, RequestDataTooBig):
        return too_large()
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return exceptions.ParseError("The request has too many fields or files.")
    if isinstance(exc, RecursionError):
        return exceptions.ParseError("The request body nests too deeply.")
    if isinstance(exc, PayloadTooLarge):
        return exc
    return None


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: everything a client can cause becomes one problem+json."""
    if isinstance(exc, DomainError):
        violations = getattr(exc, "violations", None) or None
        if violations is None and exc.field:
            violations = [
                {
                    "razao": exc.message,
                    "propriedade": exc.field,
                    "valor": None if exc.value is None else str(exc.value),
                }
            ]
        body = problem(
            exc.status_code,
            code=exc.code,
            title=exc.title,
            detail=exc.message,
            violations=violations,
        )
        return Response(body, status=exc.status_code, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    else:
        exc = client_input_error(exc) or exc

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: let it surface (500) and be logged
    status_code = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        code = "validation_error"
        violations = _violations(exc.detail)
        detail = "The request has invalid fields."
        if violations and len(violations) == 1:
            detail = violations[0]["razao"]
    elif getattr(exc, "field", None):  # apps.core.parsers.BodyRejected naming a property
        code = exc.default_code
        detail = str(exc.detail)
        violations = [{"razao": detail, "propriedade": exc.field, "valor": None}]
    else:
        code = getattr(exc, "default_code", "error")
        violations = None
        detail = str(getattr(exc, "detail", exc))
    if status_code in (401, 403):
        from apps.core.audit import record_permission_denied

        request = context.get("request")
        if request is not None:
            record_permission_denied(request, reason=detail)
    body = problem(
        status_code,
        code=code,
        title=_TITLES.get(status_code, "Error"),
        detail=detail,
        violations=violations,
    )
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(status_code: int, *, code: str, detail: str) -> JsonResponse:
    """The same shape for errors raised outside DRF (404 routes, bad CSRF, 500s on /api/)."""
    body = problem(status_code, code=code, title=_TITLES.get(status_code, "Error"), detail=detail)
    return JsonResponse(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)
