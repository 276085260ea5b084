"""Webhook deliveries (apps/core/webhooks.py) against a real HTTP server in a thread:
signatures, retries with growing backoff, attempts, exhaustion, redirects, timeouts, the
after-commit kick, concurrent workers and the SSRF guard."""

from __future__ import annotations

import json
import random
import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connections, transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.core import webhooks
from apps.core.models import WebhookAttempt, WebhookDelivery
from apps.core.webhooks import (
    WebhookUrlRefused,
    check_webhook_url,
    deliver_due_webhooks,
    encode_payload,
    retry_delay,
    sign_payload,
    verify_signature,
    webhook_cancel_pending,
    webhook_deliver,
    webhook_enqueue,
    webhook_retarget,
)
from tests.support.webhook_receiver import running_receiver, start_receiver

SECRET = "s3cr3t-for-tests"
PAYLOAD = {"pix": [{"endToEndId": "E00000000202601011200abcdefghijk", "valor": "12.34"}]}


@pytest.fixture
def receiver():
    with running_receiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _webhook_settings(settings):
    settings.WEBHOOK_KICK_ON_COMMIT = False  # the tests drive attempts themselves
    settings.WEBHOOK_BACKOFF_BASE_SECONDS = 30
    settings.WEBHOOK_BACKOFF_MAX_SECONDS = 3600
    settings.WEBHOOK_MAX_ATTEMPTS = 8
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    return settings


def enqueue(url: str, event_key: str = "E1", payload=None, source_id: str = "1"):
    return webhook_enqueue(
        source="test",
        source_id=source_id,
        event_key=event_key,
        url=url,
        secret=SECRET,
        payload=PAYLOAD if payload is None else payload,
    )


def run_until_settled(delivery: WebhookDelivery, *, max_runs: int = 20) -> WebhookDelivery:
    """Beat runs, each at the moment the delivery is next due (time travel, no sleeping)."""
    for _ in range(max_runs):
        delivery.refresh_from_db()
        if delivery.state != WebhookDelivery.State.PENDING:
            return delivery
        assert deliver_due_webhooks(now=delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    return delivery


@pytest.mark.django_db
def test_fails_three_times_then_delivered_with_growing_backoff(receiver):
    receiver.statuses = [500, 503, 404, 200]
    delivery = enqueue(receiver.url + "/hook")
    due_times = []
    for _ in range(4):
        delivery.refresh_from_db()
        due_times.append(delivery.next_attempt_at)
        assert deliver_due_webhooks(now=delivery.next_attempt_at) == 1

    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.DELIVERED
    assert delivery.attempts == 4 and delivery.delivered_at is not None
    assert delivery.last_error == ""
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.number for a in attempts] == [1, 2, 3, 4]
    assert [a.status_code for a in attempts] == [500, 503, 404, 200]
    assert [a.error for a in attempts] == ["HTTP 500", "HTTP 503", "HTTP 404", ""]
    assert all(json.loads(a.response_body)["received"] is True for a in attempts)
    # The wait after failure n is 30 s * 2**(n-1) times a jitter in [0.8, 1.0]: it grows.
    waits = [(b - a).total_seconds() for a, b in zip(due_times, due_times[1:], strict=False)]
    assert 24 <= waits[0] <= 30 and 48 <= waits[1] <= 60 and 96 <= waits[2] <= 120
    assert waits[0] < waits[1] < waits[2]

    requests = receiver.wait_for(4)
    assert len(requests) == 4
    body = encode_payload(PAYLOAD)
    for request in requests:
        assert request.path == "/hook"
        assert request.body == body
        assert request.headers["Content-Type"] == "application/json"
        assert request.headers["User-Agent"] == webhooks.USER_AGENT
        assert request.headers["X-Athena-Event-Id"] == str(delivery.pk)
        assert verify_signature(
            secret=SECRET,
            body=request.body,
            timestamp=request.headers["X-Athena-Timestamp"],
            signature=request.headers["X-Athena-Signature"],
        )
        assert not verify_signature(
            secret="another-secret",
            body=request.body,
            timestamp=request.headers["X-Athena-Timestamp"],
            signature=request.headers["X-Athena-Signature"],
        )
    # Nothing is due any more, however late beat runs.
    assert deliver_due_webhooks(now=timezone.now() + timedelta(days=30)) == 0


@pytest.mark.django_db
def test_beat_runs_the_due_deliveries_every_15_seconds(receiver):
    from apps.core.tasks import deliver_due_webhooks_task
    from athena.celery import app

    entry = app.conf.beat_schedule["deliver-due-webhooks"]
    assert entry == {"task": "apps.core.tasks.deliver_due_webhooks_task", "schedule": 15.0}
    deliveries = [enqueue(receiver.url, event_key=f"beat{n}") for n in range(3)]

    deliver_due_webhooks_task.delay()  # eager under ATHENA_TESTING

    assert {d.state for d in WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries])} == {
        "delivered"
    }
    assert len(receiver.wait_for(3)) == 3


@pytest.mark.django_db
def test_attempts_run_out_and_the_delivery_fails(receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.statuses = [500]
    delivery = run_until_settled(enqueue(receiver.url))

    assert delivery.state == WebhookDelivery.State.FAILED
    assert delivery.attempts == 3 and delivery.delivered_at is None
    assert delivery.last_error == "HTTP 500"
    assert list(delivery.tries.values_list("status_code", flat=True)) == [500, 500, 500]
    assert deliver_due_webhooks(now=timezone.now() + timedelta(days=30)) == 0
    assert len(receiver.requests) == 3


@pytest.mark.django_db
def test_redirects_are_not_followed(receiver):
    target = start_receiver()
    try:
        receiver.redirect_to = target.url + "/elsewhere"
        delivery = enqueue(receiver.url + "/hook")
        webhook_deliver(delivery.pk)

        delivery.refresh_from_db()
        attempt = delivery.tries.get()
        assert attempt.status_code == 302 and attempt.error == "HTTP 302"
        assert delivery.state == WebhookDelivery.State.PENDING and delivery.attempts == 1
        assert target.requests == []
    finally:
        target.server.shutdown()
        target.server.server_close()


@pytest.mark.django_db
def test_a_slow_receiver_is_a_timed_out_attempt(receiver, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    receiver.delay_seconds = 1.5
    delivery = enqueue(receiver.url)

    webhook_deliver(delivery.pk)

    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None
    assert "timed out" in attempt.error.lower()
    assert attempt.duration_ms < 1500
    delivery.refresh_from_db()
    assert delivery.state == WebhookDelivery.State.PENDING
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=20)


@pytest.mark.django_db
def test_a_closed_port_is_a_failed_attempt():
    server = start_receiver()
    url = server.url
    server.server.shutdown()
    server.server.server_close()
    delivery = enqueue(url)

    webhook_deliver(delivery.pk)

    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and "ConnectionError" in attempt.error
    delivery.refresh_from_db()
    assert delivery.last_error == attempt.error


@pytest.mark.django_db
def test_enqueue_is_idempotent_per_event(receiver):
    first = enqueue(receiver.url, event_key="E1")
    again = enqueue(receiver.url + "/other", event_key="E1", payload={"other": True})
    other = enqueue(receiver.url, event_key="E2")

    assert again.pk == first.pk
    again.refresh_from_db()
    assert again.url == receiver.url and again.payload == PAYLOAD  # the first one stands
    assert other.pk != first.pk
    assert WebhookDelivery.objects.filter(source="test").count() == 2
    assert first.secret == SECRET
    assert first.next_attempt_at <= timezone.now()


@pytest.mark.django_db
def test_a_delivery_is_not_attempted_before_it_is_due(receiver):
    receiver.statuses = [500, 200]
    delivery = enqueue(receiver.url)
    webhook_deliver(delivery.pk)
    delivery.refresh_from_db()

    assert webhook_deliver(delivery.pk) is None  # the retry is not due yet
    assert deliver_due_webhooks() == 0
    assert len(receiver.requests) == 1

    assert webhook_deliver(delivery.pk, now=delivery.next_attempt_at).state == "delivered"


@pytest.mark.django_db
def test_a_worker_lost_mid_attempt_leaves_a_trace_and_the_lease_expires(receiver):
    delivery = enqueue(receiver.url)
    now = timezone.now()
    (claim,) = webhooks._claim(now=now, limit=10)  # claimed, then the worker "dies"

    lost = WebhookAttempt.objects.get(pk=claim.attempt_id)
    assert lost.number == 1 and lost.error == webhooks.INTERRUPTED
    assert deliver_due_webhooks(now=now + timedelta(seconds=30)) == 0  # still leased

    assert deliver_due_webhooks(now=now + timedelta(minutes=10)) == 1
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 2
    assert list(delivery.tries.values_list("number", "status_code")) == [(1, None), (2, 200)]


@pytest.mark.django_db
def test_retarget_and_cancel_pending(receiver):
    old = enqueue("http://127.0.0.1:9/old", event_key="A", source_id="7")
    done = enqueue(receiver.url, event_key="B", source_id="7")
    webhook_deliver(done.pk)

    assert webhook_retarget(source="test", source_id="7", url=receiver.url, secret="new") == 1
    old.refresh_from_db()
    assert old.url == receiver.url and old.secret == "new"
    webhook_deliver(old.pk)
    request = receiver.wait_for(2)[-1]
    assert verify_signature(
        secret="new",
        body=request.body,
        timestamp=request.headers["X-Athena-Timestamp"],
        signature=request.headers["X-Athena-Signature"],
    )

    receiver.statuses = [500]
    pending = enqueue(receiver.url, event_key="C", source_id="7")
    assert webhook_cancel_pending(source="test", source_id="7", reason="webhook removed") == 1
    pending.refresh_from_db()
    assert pending.state == "failed" and pending.last_error == "webhook removed"
    assert WebhookDelivery.objects.get(pk=done.pk).state == "delivered"


@pytest.mark.django_db(transaction=True)
def test_kicked_after_commit_and_never_for_a_rollback(receiver, settings):
    settings.WEBHOOK_KICK_ON_COMMIT = True  # eager Celery in tests: the kick POSTs at once

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(receiver.url, event_key="rolled-back")
        raise RuntimeError("the event's transaction fails")
    assert not WebhookDelivery.objects.filter(event_key="rolled-back").exists()
    assert receiver.requests == []

    with transaction.atomic():
        delivery = enqueue(receiver.url, event_key="committed")
        assert receiver.requests == []  # nothing leaves before commit
    (request,) = receiver.wait_for(1)
    assert request.headers["X-Athena-Event-Id"] == str(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_attempt_one_delivery_twice(receiver):
    receiver.delay_seconds = 0.05
    ids = [enqueue(receiver.url, event_key=f"E{n}").pk for n in range(12)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                deliver_due_webhooks(limit=3)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    deliver_due_webhooks()  # whatever the workers' batches did not reach

    assert WebhookDelivery.objects.filter(pk__in=ids, state="delivered").count() == 12
    assert WebhookAttempt.objects.filter(delivery_id__in=ids).count() == 12
    event_ids = [r.headers["X-Athena-Event-Id"] for r in receiver.requests]
    assert sorted(event_ids) == sorted(str(pk) for pk in ids)


# --- SSRF guard ---------------------------------------------------------------------------


@pytest.fixture
def production_policy(settings):
    settings.DEBUG = False
    settings.TESTING = False
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    return settings


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8/hook",  # plain http
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://172.16.5.4/hook",
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[fd00::1]/hook",
        "https://user:password@8.8.8.8/hook",
        "https://8.8.8.8/hook#fragment",
        "ftp://8.8.8.8/hook",
        "https:///nohost",
        "https://8.8.8.8:99999/hook",
        "https://[not-an-ip/hook",
        "https://8.8.8.8/a b",
        "https://8.8.8.8/" + "a" * 500,
        "",
        "hook",
    ],
)
def test_production_refuses_unsafe_urls(production_policy, url):
    with pytest.raises(WebhookUrlRefused) as refused:
        check_webhook_url(url, field="webhookUrl")
    assert refused.value.field == "webhookUrl"


def test_production_accepts_a_public_https_url(production_policy):
    assert (
        check_webhook_url("https://8.8.8.8:8443/api/webhook") == "https://8.8.8.8:8443/api/webhook"
    )


def test_tests_and_debug_accept_local_http(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert check_webhook_url("http://127.0.0.1:8000/hook") == "http://127.0.0.1:8000/hook"
    settings.DEBUG, settings.TESTING = False, False
    with pytest.raises(WebhookUrlRefused, match="https"):
        check_webhook_url("http://127.0.0.1:8000/hook")


@pytest.mark.django_db
def test_the_connection_itself_refuses_private_peers(receiver, settings):
    """A URL that passed the check (or whose DNS answer changed since) still cannot reach a
    private address: the guard looks at the peer actually connected to."""
    delivery = enqueue(receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False  # http stays allowed: ATHENA_TESTING

    webhook_deliver(delivery.pk)

    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and "not a public address" in attempt.error
    assert receiver.requests == []


# --- Properties ---------------------------------------------------------------------------


def test_the_documented_example_signature():
    """docs/pix-webhooks.md gives this value to integrators checking their code."""
    expected = "sha256=bcf50b786e2651dcce02a08fef9b1e2c16d1067ff98602de3b2e06fe5c9b551f"
    assert sign_payload(secret="s3cr3t", timestamp="1764000000", body=b'{"pix":[]}') == expected
    assert expected in (django_settings.BASE_DIR / "docs" / "pix-webhooks.md").read_text()


@hypothesis_settings(max_examples=200)
@given(attempt=st.integers(min_value=1, max_value=60), seed=st.integers())
def test_retry_delay_is_bounded_jittered_and_grows(attempt, seed):
    base = django_settings.WEBHOOK_BACKOFF_BASE_SECONDS
    cap = django_settings.WEBHOOK_BACKOFF_MAX_SECONDS
    raw = min(base * 2 ** (attempt - 1), cap)
    delay = retry_delay(attempt, rng=random.Random(seed)).total_seconds()
    assert 0.8 * raw - 1e-6 <= delay <= raw + 1e-6 <= cap + 1e-6
    next_raw = min(base * 2**attempt, cap)
    if next_raw < cap:  # below the cap, the shortest next wait beats the longest one now
        assert 0.8 * next_raw > raw


@given(
    secret=st.text(min_size=1, max_size=64),
    body=st.binary(max_size=2048),
    timestamp=st.integers(min_value=1_600_000_000, max_value=2_000_000_000),
    flip=st.integers(min_value=0, max_value=10_000),
)
def test_signatures_verify_and_any_change_breaks_them(secret, body, timestamp, flip):
    stamp = str(timestamp)
    signature = sign_payload(secret=secret, timestamp=stamp, body=body)
    assert signature.startswith("sha256=") and len(signature) == 7 + 64
    assert verify_signature(
        secret=secret, body=body, timestamp=stamp, signature=signature, now=timestamp
    )
    if body:
        index = flip % len(body)
        tampered = body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]
        assert not verify_signature(
            secret=secret, body=tampered, timestamp=stamp, signature=signature, now=timestamp
        )
    # Another timestamp signs something else; an old one is a replay.
    assert not verify_signature(
        secret=secret, body=body, timestamp=str(timestamp + 1), signature=signature, now=timestamp
    )
    assert not verify_signature(
        secret=secret, body=body, timestamp=stamp, signature=signature, now=timestamp + 301
    )
    assert not verify_signature(
        secret=secret, body=body, timestamp="soon", signature=signature, now=timestamp
    )
