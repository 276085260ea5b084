"""Request ids for JSON logs: set by the middleware, read by a logging filter.

`RequestIdMiddleware` binds the request's id to a context variable for the duration of the
request; `RequestIdFilter`, attached to the stdout handler in settings.LOGGING, copies it onto
every record that handler formats, so each JSON line carries `request_id` (null outside a
request). A record that already carries a `request_id` (passed through `extra=`) keeps it.
"""

from __future__ import annotations

import logging
import re
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


# --- personal data out of the logs ---------------------------------------------------------
#
# One filter, attached to every handler in settings.LOGGING (and to the gunicorn/uvicorn
# logging files), masks what identifies a person wherever it hides in a log line: the
# message, its arguments, the `extra=` fields (the access log's `path`), and a traceback.
# Paths and query strings carry keys and documents (`/api/pix/v2/webhook/<cpf>`,
# `?cpf=...`), so the patterns also match their URL-encoded forms. A CPF/CNPJ is masked as
# BACEN's DICT shows it (middle digits), an e-mail as `a***@d***.com`, a phone as
# `+5511*****4321`. Only digit runs that validate as a CPF or CNPJ are taken for documents,
# so ids, amounts and account numbers stay readable.

_TAX_ID_LIKE = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:\d{3}\.\d{3}\.\d{3}-\d{2}"
    r"|[0-9A-Za-z]{2}\.[0-9A-Za-z]{3}\.[0-9A-Za-z]{3}/[0-9A-Za-z]{4}-\d{2}"
    r"|\d{3}(?:\.|%2E)\d{3}(?:\.|%2E)\d{3}-\d{2}"
    r"|\d{11}"
    r"|[0-9A-Za-z]{14})"
    r"(?![0-9A-Za-z])",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._+-]+)(?:@|%40)([A-Za-z0-9-]+)((?:\.[A-Za-z0-9-]+)+)",
    re.IGNORECASE,
)
# A phone key (+55 and 10-11 digits), literal or URL-encoded (%2B), or as a query string
# decodes it (a space where the plus was).
_PHONE = re.compile(r"(\+|%2B|(?<=[=/ ]) )(55\d\d)(\d{4,5})(\d{4})(?!\d)", re.IGNORECASE)
_MASKED = "***"


def _mask_tax_id_match(match: re.Match) -> str:
    from apps.core.documents import mask_tax_id, tax_id_kind

    text = match.group(0).replace("%2E", ".").replace("%2e", ".")
    return mask_tax_id(text) if tax_id_kind(text) else match.group(0)


def _mask_email_match(match: re.Match) -> str:
    local, domain, tld = match.group(1), match.group(2), match.group(3)
    return f"{local[:1]}{_MASKED}@{domain[:1]}{_MASKED}{tld[tld.rfind('.') :]}"


def _mask_phone_match(match: re.Match) -> str:
    plus, country_and_area, middle, last = match.groups()
    return f"{plus}{country_and_area}{'*' * len(middle)}{last}"


def mask_personal_data(text: str) -> str:
    """`text` with every CPF/CNPJ, e-mail and phone key masked; the rest untouched."""
    if not text or not isinstance(text, str):
        return text
    text = _EMAIL.sub(_mask_email_match, text)
    text = _PHONE.sub(_mask_phone_match, text)
    return _TAX_ID_LIKE.sub(_mask_tax_id_match, text)


def _mask_value(value: object, depth: int = 0) -> object:
    if isinstance(value, str):
        return mask_personal_data(value)
    if depth > 5:
        return value
    if isinstance(value, dict):
        return {k: _mask_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask_value(v, depth + 1) for v in value)
    return value


# What every LogRecord has: anything else on a record came through `extra=`.
_RECORD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", (), None)).keys() | {"message", "asctime"}
)


class PersonalDataFilter(logging.Filter):
    """Masks documents, e-mails and phone keys in whatever a record will print."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_personal_data_masked", False):
            return True  # a record passes each handler: mask it once
        if not isinstance(record.msg, dict):
            try:
                message = record.getMessage()
            except Exception:  # a broken format string is logging's problem, not ours
                message = str(record.msg)
            record.msg, record.args = mask_personal_data(message), ()
        else:
            record.msg = _mask_value(record.msg)
        for name, value in list(vars(record).items()):
            if name in _RECORD_ATTRIBUTES or name.startswith("_") or value is None:
                continue
            if isinstance(value, str | dict | list | tuple):
                setattr(record, name, _mask_value(value))
            elif not isinstance(value, bool | int | float):
                # An object a formatter would print through str()/repr(): Django's request
                # log passes the request, whose repr is the full path with its query string.
                setattr(record, name, mask_personal_data(str(value)))
        if record.exc_info:
            # Tracebacks quote SQL parameters and locals: printed once here, masked, and
            # kept as text so no formatter prints the raw exception again.
            record.exc_text = mask_personal_data(
                logging.Formatter().formatException(record.exc_info)
            )
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        record._personal_data_masked = True
        return True
