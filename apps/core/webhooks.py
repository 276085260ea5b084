"""Webhook deliveries to integrators: signed POSTs, delivered at least once.

Any domain (Pix now, boleto later) calls `webhook_enqueue` inside the transaction of the
event it reports; the `WebhookDelivery` row commits or rolls back with the event, and a
Celery task is kicked after commit. Beat (`deliver_due_webhooks_task`, every 15 s) picks up
whatever is due: kicks lost with a broker outage, and retries.

Each attempt POSTs the JSON payload with these headers (docs/pix-webhooks.md)::

    Content-Type: application/json
    User-Agent: AthenaPay-Webhooks/1.0
    X-Athena-Event-Id: <delivery id, the same on every retry: deduplicate on it>
    X-Athena-Timestamp: <unix seconds of this attempt>
    X-Athena-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

A 2xx answer delivers it. Anything else (3xx included: redirects are not followed), a
timeout or a network error is a failed attempt: it is recorded as a `WebhookAttempt` and the
next one is due after `WEBHOOK_BACKOFF_BASE_SECONDS * 2**(n-1)` seconds (times a jitter
factor in [0.8, 1.0], capped at WEBHOOK_BACKOFF_MAX_SECONDS); after WEBHOOK_MAX_ATTEMPTS
attempts the delivery is `failed`.

Claiming: an attempt is claimed in a short transaction (`SELECT ... FOR UPDATE SKIP LOCKED`
on due pending rows) that counts it, writes its `WebhookAttempt` row and pushes
`next_attempt_at` past the POST's longest duration (a lease); the POST runs with no
transaction open, and its outcome is written in a second one. A worker that dies mid-POST
leaves an attempt row saying so, and the delivery becomes due again when the lease ends.

SSRF: URLs must be https, except with DEBUG or ATHENA_TESTING. Unless
WEBHOOK_ALLOW_PRIVATE_URLS (on for DEBUG and tests only), a URL whose host resolves to a
loopback, private, link-local, reserved or otherwise non-public address is refused when it
is configured (`check_webhook_url`), and every connection is checked again against the
address actually connected to, so a DNS answer changed after the check (rebinding) cannot
reach the internal network either. Proxies from the environment and .netrc are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from apps.core.errors import ValidationFailed
from apps.core.models import WebhookAttempt, WebhookDelivery

logger = logging.getLogger(__name__)

USER_AGENT = "AthenaPay-Webhooks/1.0"
EVENT_ID_HEADER = "X-Athena-Event-Id"
TIMESTAMP_HEADER = "X-Athena-Timestamp"
SIGNATURE_HEADER = "X-Athena-Signature"
SIGNATURE_PREFIX = "sha256="
#: How far a receiver should accept X-Athena-Timestamp from its own clock (replays).
SIGNATURE_TOLERANCE_SECONDS = 300
RESPONSE_BODY_LIMIT = 2048  # bytes of the receiver's answer kept on the attempt
URL_MAX_LENGTH = 500  # WebhookDelivery.url / PixWebhook.url
#: Written on an attempt when it is claimed; replaced by its outcome. Left in place, it tells
#: that the worker stopped during the POST.
INTERRUPTED = "no outcome recorded: the worker stopped during the attempt"


class WebhookUrlRefused(ValidationFailed):
    code = "webhook_url_refused"
    title = "Webhook URL refused"


# --- Signing ------------------------------------------------------------------------------


def new_webhook_secret() -> str:
    """A fresh HMAC key (256 bits, URL-safe text) for one integrator's webhook."""
    return secrets.token_urlsafe(32)


def encode_payload(payload: Any) -> bytes:
    """The exact bytes POSTed (and signed): compact JSON, UTF-8, keys sorted (so the bytes do
    not depend on how the payload was stored: jsonb reorders keys)."""
    return json.dumps(
        payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False, sort_keys=True
    ).encode()


def sign_payload(*, secret: str, timestamp: str, body: bytes) -> str:
    """The X-Athena-Signature value: "sha256=" + hex HMAC-SHA256(secret, timestamp "." body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_signature(
    *,
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    tolerance_seconds: int = SIGNATURE_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What an integrator runs on each POST received (standard library only: copy it).

    `body` is the raw request body, before any JSON parsing; `timestamp` and `signature`
    are the X-Athena-Timestamp and X-Athena-Signature headers. A stale timestamp is refused
    so that a captured request cannot be replayed later."""
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_seconds:
        return False
    if not isinstance(signature, str) or not isinstance(body, bytes):
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + mac.hexdigest(), signature)


# --- URL policy (SSRF) --------------------------------------------------------------------


def _http_allowed() -> bool:
    return bool(settings.DEBUG or getattr(settings, "TESTING", False))


def _private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_URLS", False))


def is_public_address(address: str) -> bool:
    """True for an address on the public internet; False for loopback, private (RFC 1918,
    ULA), link-local (cloud metadata at 169.254.169.254), CGNAT, multicast, reserved and
    unspecified ones, IPv4-mapped IPv6 included."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return [info[4][0] for info in infos]


def check_webhook_url(url: Any, *, field: str = "url", resolve: bool = True) -> str:
    """The URL if webhooks may be POSTed to it, else WebhookUrlRefused on `field`.

    An absolute http(s) URL, no credentials, no fragment; https unless DEBUG/testing; with
    `resolve` and without WEBHOOK_ALLOW_PRIVATE_URLS, a host that resolves to public
    addresses only."""

    def refuse(reason: str) -> WebhookUrlRefused:
        shown = url[:URL_MAX_LENGTH] if isinstance(url, str) else None
        return WebhookUrlRefused(reason, field=field, value=shown)

    if not isinstance(url, str) or not url.strip():
        raise refuse("The webhook URL is required.")
    if len(url) > URL_MAX_LENGTH:
        raise refuse(f"The webhook URL must have at most {URL_MAX_LENGTH} characters.")
    if any(ch.isspace() or ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in url):
        raise refuse("The webhook URL must not contain spaces or control characters.")
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no database or socket takes them
        raise refuse("The webhook URL is not valid text.") from None
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise refuse("The webhook URL is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise refuse("The webhook URL must be an absolute https:// URL.")
    if scheme == "http" and not _http_allowed():
        raise refuse("The webhook URL must use https.")
    if parts.username is not None or parts.password is not None:
        raise refuse("The webhook URL must not carry credentials.")
    if parts.fragment:
        raise refuse("The webhook URL must not have a fragment (#...).")
    if resolve and not _private_allowed():
        addresses = _resolve(host, port or (443 if scheme == "https" else 80))
        if not addresses:
            raise refuse("The webhook URL's host cannot be resolved.")
        if not all(is_public_address(address) for address in addresses):
            raise refuse("The webhook URL must reach a public internet address.")
    return url


class _PublicPeerMixin:
    """Refuses a connection whose peer is not a public address (checked after connecting,
    on the address really reached, so DNS rebinding cannot slip past the URL check)."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        try:
            peer = sock.getpeername()[0]
        except OSError:
            peer = ""
        if not is_public_address(peer):
            sock.close()
            raise NewConnectionError(self, f"refused: {peer or 'unknown'} is not a public address")
        return sock


class _PublicHTTPConnection(_PublicPeerMixin, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicPeerMixin, HTTPSConnection):
    pass


class _PublicHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class _PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _PublicHTTPConnectionPool,
            "https": _PublicHTTPSConnectionPool,
        }


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxies from the environment, no .netrc credentials
    if not _private_allowed():
        adapter = _PublicOnlyAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


# --- Backoff ------------------------------------------------------------------------------


def retry_delay(attempt: int, *, rng: random.Random | None = None) -> timedelta:
    """How long after failed attempt number `attempt` (1, 2, ...) the next one is due:
    base * 2**(attempt-1), capped, times a jitter factor in [0.8, 1.0] so that deliveries
    failing together do not retry together. Never longer than the cap, and it grows with
    each attempt until it reaches the cap (2 * 0.8 > 1)."""
    base = max(int(settings.WEBHOOK_BACKOFF_BASE_SECONDS), 1)
    cap = max(int(settings.WEBHOOK_BACKOFF_MAX_SECONDS), base)
    exponent = min(max(attempt, 1) - 1, 40)  # 2**40 * base is far past any cap
    raw = min(base * (2**exponent), cap)
    factor = (rng or random).uniform(0.8, 1.0)
    return timedelta(seconds=raw * factor)


def _lease() -> timedelta:
    # Connect and read timeouts, plus room for a slow answer: after this a claimed attempt
    # that recorded nothing is considered lost and the delivery is due again.
    return timedelta(seconds=float(settings.WEBHOOK_TIMEOUT_SECONDS) * 4 + 60)


# --- Enqueue ------------------------------------------------------------------------------


def webhook_enqueue(
    *,
    source: str,
    source_id: str | int,
    event_key: str,
    url: str,
    secret: str,
    payload: dict,
) -> WebhookDelivery:
    """Record one notification of `event_key` to `url`, in the caller's transaction.

    Idempotent on (source, source_id, event_key): the same event enqueued again (an outbox
    message delivered twice) returns the existing delivery, unchanged. A new one is handed
    to a worker after the caller's transaction commits."""
    check_webhook_url(url, resolve=False)
    if not event_key or len(event_key) > 120:
        raise ValidationFailed(_("The event key must have 1 to 120 characters."), field="event_key")
    encode_payload(payload)  # refuses what JSON cannot carry before anything is written
    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.get_or_create(
            source=source,
            source_id=str(source_id),
            event_key=event_key,
            defaults={
                "url": url,
                "secret": secret,
                "payload": json.loads(encode_payload(payload)),
                "next_attempt_at": timezone.now(),
            },
        )
    if created:
        delivery_id = delivery.pk
        transaction.on_commit(lambda: kick_delivery(delivery_id))
    return delivery


def kick_delivery(delivery_id: int) -> None:
    """Ask a worker for an attempt now (call it after commit). A lost kick only delays the
    delivery until beat's next run."""
    if not getattr(settings, "WEBHOOK_KICK_ON_COMMIT", True):
        return
    from apps.core.tasks import deliver_webhook_task

    try:
        deliver_webhook_task.delay(delivery_id)
    except Exception:  # a broker outage must not fail the committed event; beat delivers
        logger.warning("webhook kick failed; beat will deliver", exc_info=True)


def webhook_retarget(*, source: str, source_id: str | int, url: str, secret: str) -> int:
    """Point the pending deliveries of one subscription at its new URL and secret (the
    integrator changed the webhook: retries must go where, and be signed as, it now says)."""
    check_webhook_url(url, resolve=False)
    deliveries = list(
        WebhookDelivery.objects.select_for_update()
        .filter(source=source, source_id=str(source_id), state=WebhookDelivery.State.PENDING)
        .order_by("pk")
    )
    for delivery in deliveries:
        delivery.url, delivery.secret = url, secret
    WebhookDelivery.objects.bulk_update(deliveries, ["url", "secret"])
    return len(deliveries)


def webhook_cancel_pending(*, source: str, source_id: str | int, reason: str) -> int:
    """Give up the pending deliveries of a subscription that no longer exists."""
    deliveries = list(
        WebhookDelivery.objects.select_for_update()
        .filter(source=source, source_id=str(source_id), state=WebhookDelivery.State.PENDING)
        .order_by("pk")
    )
    for delivery in deliveries:
        delivery.state = WebhookDelivery.State.FAILED
        delivery.last_error = reason[:2000]
    WebhookDelivery.objects.bulk_update(deliveries, ["state", "last_error"])
    return len(deliveries)


# --- Deliver ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    delivery_id: int
    attempt_id: int
    number: int
    url: str
    secret: str
    payload: Any


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    response_body: str
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _claim(*, now: datetime, limit: int, delivery_id: int | None = None) -> list[_Claim]:
    with transaction.atomic():
        due = WebhookDelivery.objects.select_for_update(skip_locked=True).filter(
            state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
        )
        if delivery_id is not None:
            due = due.filter(pk=delivery_id)
        deliveries = list(due.order_by("next_attempt_at", "pk")[:limit])
        if not deliveries:
            return []
        lease_end = now + _lease()
        attempts = []
        for delivery in deliveries:
            delivery.attempts += 1
            delivery.next_attempt_at = lease_end
            attempts.append(
                WebhookAttempt(
                    delivery=delivery,
                    number=delivery.attempts,
                    started_at=now,
                    error=INTERRUPTED,
                )
            )
        WebhookDelivery.objects.bulk_update(deliveries, ["attempts", "next_attempt_at"])
        WebhookAttempt.objects.bulk_create(attempts)
    return [
        _Claim(
            delivery_id=delivery.pk,
            attempt_id=attempt.pk,
            number=attempt.number,
            url=delivery.url,
            secret=delivery.secret or "",
            payload=delivery.payload,
        )
        for delivery, attempt in zip(deliveries, attempts, strict=True)
    ]


def _post(claim: _Claim) -> _Outcome:
    """One POST; touches no database (it runs in worker threads)."""
    body = encode_payload(claim.payload)
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: str(claim.delivery_id),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign_payload(secret=claim.secret, timestamp=timestamp, body=body),
    }
    timeout = float(settings.WEBHOOK_TIMEOUT_SECONDS)
    started = time.monotonic()
    status_code, answer, error = None, "", ""
    try:
        check_webhook_url(claim.url, resolve=False)  # the policy may have tightened
        with _session() as session:
            response = session.post(
                claim.url,
                data=body,
                headers=headers,
                timeout=(timeout, timeout),
                allow_redirects=False,
                stream=True,
            )
            try:
                status_code = response.status_code
                raw = response.raw.read(RESPONSE_BODY_LIMIT, decode_content=True) or b""
                answer = raw.decode("utf-8", errors="replace")
            finally:
                response.close()
    except WebhookUrlRefused as exc:
        error = f"URL refused: {exc.message}"
    except Exception as exc:
        # requests' errors, and urllib3's own (ReadTimeoutError, ProtocolError) raised while
        # reading the raw stream: whatever a receiver does is a failed attempt, recorded,
        # never a crashed worker.
        error = f"{type(exc).__name__}: {exc}"
    if status_code is not None and not error and not (200 <= status_code < 300):
        error = f"HTTP {status_code}"
    return _Outcome(
        status_code=status_code,
        response_body=answer.replace("\x00", "")[:RESPONSE_BODY_LIMIT],
        error=error.replace("\x00", "")[:2000],
        duration_ms=max(int((time.monotonic() - started) * 1000), 0),
    )


def _record(claim: _Claim, outcome: _Outcome, *, now: datetime | None = None) -> WebhookDelivery:
    now = now or timezone.now()
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=claim.delivery_id)
        WebhookAttempt.objects.filter(pk=claim.attempt_id).update(
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            response_body=outcome.response_body,
            error="" if outcome.delivered else outcome.error,
        )
        if delivery.state != WebhookDelivery.State.PENDING:
            return delivery  # delivered by a parallel attempt, or cancelled meanwhile
        if outcome.delivered:
            delivery.state = WebhookDelivery.State.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
        else:
            delivery.last_error = outcome.error
            if delivery.attempts >= int(settings.WEBHOOK_MAX_ATTEMPTS):
                delivery.state = WebhookDelivery.State.FAILED
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.save(update_fields=["state", "delivered_at", "last_error", "next_attempt_at"])
    if delivery.state == WebhookDelivery.State.FAILED:
        logger.warning(
            "webhook delivery failed for good",
            extra={"delivery_id": delivery.pk, "source": delivery.source},
        )
    return delivery


def webhook_deliver(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Make one attempt at a delivery if it is pending and due (else None: not due yet,
    finished, or being attempted by another worker right now)."""
    claims = _claim(now=now or timezone.now(), limit=1, delivery_id=delivery_id)
    if not claims:
        return None
    return _record(claims[0], _post(claims[0]), now=now)


def deliver_due_webhooks(*, now: datetime | None = None, limit: int | None = None) -> int:
    """One beat run: claim up to WEBHOOK_BATCH_SIZE due deliveries and POST them, several at
    once (one slow receiver does not hold the others up). Returns how many were attempted."""
    limit = limit or int(settings.WEBHOOK_BATCH_SIZE)
    claims = _claim(now=now or timezone.now(), limit=limit)
    if not claims:
        return 0
    workers = max(1, min(int(settings.WEBHOOK_CONCURRENCY), len(claims)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
        outcomes = list(pool.map(_post, claims))
    for claim, outcome in zip(claims, outcomes, strict=True):
        _record(claim, outcome, now=now)
    return len(claims)
