"""Idempotency-Key for write endpoints.

A write endpoint decorated with `@idempotent` runs inside one transaction that first inserts
an `IdempotencyRecord` for (caller, key). PostgreSQL's unique index does the serializing: a
concurrent duplicate's INSERT waits on the in-flight row until the first request commits,
then finds the conflict and replays the stored response. If the first request fails with a
server error its transaction rolls back, the record disappears, and the waiter runs instead.
Client errors (4xx) are stored and replayed like successes, as a payment API should: the
same key never gets two different answers. The same key with another body is a 422.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import wraps

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response

from apps.core.errors import DomainError, ValidationFailed
from apps.core.models import IdempotencyRecord
from apps.core.transactions import kept_writes

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{1,255}$")
_STORED_HEADERS = ("Location",)


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with a different request"


def request_fingerprint(method: str, path: str, body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def caller_scope(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return "anonymous"


def _claim(scope: str, key: str, fingerprint: str) -> bool:
    """Insert the record; False when (scope, key) already exists (after waiting for it)."""
    with connection.cursor() as cursor:
        # bandit B608: the table name is our model's; every value is a bound parameter.
        cursor.execute(
            f"""
            INSERT INTO {IdempotencyRecord._meta.db_table}
                (scope, key, fingerprint, status_code, response_body, response_headers,
                 created_at)
            VALUES (%s, %s, %s, 0, NULL, '{{}}'::jsonb, %s)
            ON CONFLICT (scope, key) DO NOTHING
            RETURNING id
            """,  # nosec B608
            [scope, key, fingerprint, timezone.now()],
        )
        return cursor.fetchone() is not None


def _replay(record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was already used with a different request."),
            field=HEADER,
        )
    headers = dict(record.response_headers or {})
    headers[REPLAY_HEADER] = "true"
    return Response(record.response_body, status=record.status_code, headers=headers)


def idempotent(handler):
    """Decorate a DRF view method (post/put/patch) that moves money or creates resources."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER, "")
        if not key:
            raise ValidationFailed(
                _("The %(header)s header is required."), params={"header": HEADER}, field=HEADER
            )
        if not _KEY_PATTERN.match(key):
            raise ValidationFailed(
                _("%(header)s must be 1-255 characters of letters, digits, '-', '_', '.', ':'."),
                params={"header": HEADER},
                field=HEADER,
                value=key[:40],
            )
        scope = caller_scope(request)
        fingerprint = request_fingerprint(request.method, request.path, request.data)
        with transaction.atomic():
            if not _claim(scope, key, fingerprint):
                record = IdempotencyRecord.objects.get(scope=scope, key=key)
                return _replay(record, fingerprint)
            # A refused request rolls back to the savepoint; what it asked to keep (the
            # evidence of the refusal) is written after, and commits with the record.
            with kept_writes():
                try:
                    with transaction.atomic():
                        response = handler(view, request, *args, **kwargs)
                except Exception as exc:
                    response = view.handle_exception(exc)  # re-raises what is not a client error
                    if response.status_code >= 500:
                        raise
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            headers = {h: response[h] for h in _STORED_HEADERS if response.has_header(h)}
            IdempotencyRecord.objects.filter(scope=scope, key=key).update(
                status_code=response.status_code,
                response_body=response.data,
                response_headers=headers,
            )
            return response

    return wrapper


def purge_expired(*, older_than) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=older_than).delete()
    return deleted
