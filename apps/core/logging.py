"""Request ids for JSON logs: set by the middleware, read by a logging filter.

`RequestIdMiddleware` binds the request's id to a context variable for the duration of the
request; `RequestIdFilter`, attached to the stdout handler in settings.LOGGING, copies it onto
every record that handler formats, so each JSON line carries `request_id` (null outside a
request). A record that already carries a `request_id` (passed through `extra=`) keeps it.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar, Token

_request_id: ContextVar[str] = ContextVar("request_id", default="")


def current_request_id() -> str:
    return _request_id.get()


def bind_request_id(value: str) -> Token[str]:
    return _request_id.set(value)


def unbind_request_id(token: Token[str]) -> None:
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = _request_id.get() or None
        return True
