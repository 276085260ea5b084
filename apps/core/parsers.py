"""The API's one JSON parser: what a client sends is a 400/413 here, never a 500 later.

DRF's JSONParser reads any body, of any size and depth, into Python objects: a body of
100.000 brackets raised RecursionError inside the views, a 10 MB body went on to the views
and NUL characters or lone surrogates went on to PostgreSQL (DataError). This parser refuses,
before any view sees the data:

- a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (Django's own limit for form bodies): 413;
- a body that is not UTF-8 or not JSON: 400;
- nesting deeper than API_JSON_MAX_DEPTH (BACEN's deepest payloads nest 4 levels): 400;
- a key or string holding NUL or a lone surrogate (PostgreSQL text cannot store them): 400,
  naming the offending property ("infoAdicionais[0].valor").

`apps.core.errors.api_exception_handler` renders these as problem+json; the API Pix views
turn `BodyRejected` into their BACEN error type with `field` as the violation's property.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser

DEFAULT_MAX_DEPTH = 32
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class BodyRejected(exceptions.ParseError):
    """A body DRF could parse that the API refuses; `field` names the property (or None)."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


def max_body_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440


def max_depth() -> int:
    return getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH)


def too_large() -> PayloadTooLarge:
    limit = max_body_bytes()
    return PayloadTooLarge(_("The request body is larger than %(limit)d bytes.") % {"limit": limit})


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def check_parsed(data: Any, *, limit: int | None = None) -> None:
    """Walks the parsed body without recursion: depth, then storable strings."""
    limit = max_depth() if limit is None else limit
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                raise BodyRejected(
                    _("Text must be valid UTF-8 without NUL characters."), field=path or None
                )
        elif isinstance(value, (dict, list)):
            if depth >= limit:
                raise BodyRejected(
                    _("The JSON body nests deeper than %(limit)d levels.") % {"limit": limit}
                )
            if isinstance(value, dict):
                for key, item in value.items():
                    sub = _join(path, key)
                    if _UNSTORABLE.search(key):
                        raise BodyRejected(
                            _("Text must be valid UTF-8 without NUL characters."),
                            field=path or None,
                        )
                    stack.append((item, sub, depth + 1))
            else:
                for index, item in enumerate(value):
                    stack.append((item, _join(path, index), depth + 1))


def read_limited(stream, request) -> bytes:
    """The whole body, or 413 when it declares or turns out larger than the limit."""
    limit = max_body_bytes()
    declared = (request.META.get("CONTENT_LENGTH") or "").strip() if request else ""
    if declared.isdigit() and int(declared) > limit:
        raise too_large()
    raw = stream.read(limit + 1) if stream is not None else b""
    if len(raw) > limit:
        raise too_large()
    return raw


class SafeJSONParser(JSONParser):
    """DRF's JSONParser with a size limit, a depth limit and storable strings only."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        request = parser_context.get("request")
        raw = read_limited(stream, request)
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise BodyRejected(_("The body is not valid UTF-8.")) from None
        try:
            data = json.loads(text, parse_constant=self._refuse_constant)
        except RecursionError:
            raise BodyRejected(_("The JSON body nests too deeply.")) from None
        except ValueError as exc:
            message = _("JSON parse error - %(error)s") % {"error": exc}
            raise exceptions.ParseError(message) from None
        check_parsed(data)
        return data

    @staticmethod
    def _refuse_constant(name: str):
        # NaN and Infinity are not JSON (RFC 8259); DRF's strict mode refuses them too.
        raise ValueError(f"{name} is not valid JSON")


class SafeFormParser(FormParser):
    """DRF's FormParser with the same size limit and storable strings as SafeJSONParser
    (the field count is Django's DATA_UPLOAD_MAX_NUMBER_FIELDS, raised by QueryDict)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        raw = read_limited(stream, parser_context.get("request"))
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        data = QueryDict(raw, encoding=encoding)
        check_parsed(dict(data.lists()))
        return data
