"""Proof that the system talks to the real servers CI provides: PostgreSQL, RabbitMQ, Redis.

Where a server's URL is not set (a newcomer's machine) only its test is skipped, with the
reason in pytest's summary.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from athena.celery import app as celery_app
from athena.channel_layers import redis_layer
from tests.support.processes import subprocess_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_queries_run_on_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_database()")
        version, database = cursor.fetchone()
    assert version.startswith("PostgreSQL")
    assert database == connection.settings_dict["NAME"]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_celery_round_trip_through_rabbitmq_with_a_real_worker(rabbitmq_url, settings):
    from apps.core.tasks import ping

    queue = f"athena-test-{uuid.uuid4().hex[:8]}"
    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = rabbitmq_url
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "athena",
            "worker",
            "-Q",
            queue,
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=subprocess_env(CELERY_BROKER_URL=rabbitmq_url, CELERY_TASK_ALWAYS_EAGER="false"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        nonce = uuid.uuid4().hex
        result = ping.apply_async(args=[nonce], queue=queue)
        answer = result.get(timeout=60)
        assert answer["nonce"] == nonce
        assert celery_app.connection_for_write().transport.driver_type == "amqp"
    finally:
        celery_app.conf.task_always_eager = True
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.mark.integration
def test_channel_layer_message_through_redis(redis_url, settings):
    from channels.layers import get_channel_layer
    from channels_redis.core import RedisChannelLayer

    settings.CHANNEL_LAYERS = {
        "default": redis_layer(redis_url, f"athena-test-{uuid.uuid4().hex[:6]}")
    }
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)

    async def round_trip():
        group = "balance.test"
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        await layer.group_send(group, {"type": "balance.changed", "amount": "12.34"})
        return await asyncio.wait_for(layer.receive(channel), timeout=10)

    # A fresh thread with its own event loop: browser tests leave one on the main thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        message = pool.submit(asyncio.run, round_trip()).result(timeout=20)
    assert message == {"type": "balance.changed", "amount": "12.34"}


@pytest.mark.integration
def test_django_cache_is_redis_when_configured(redis_url):
    import redis
    from django.conf import settings
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    key = f"athena-test-{uuid.uuid4().hex}"
    cache.set(key, "through-django", 30)
    assert settings.CACHES["default"]["LOCATION"].startswith(redis_url.rsplit("/", 1)[0])
    raw = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])  # this process's db
    assert any(k.decode().endswith(key) for k in raw.scan_iter(match=f"*{key}"))
    assert cache.get(key) == "through-django"


@pytest.mark.integration
def test_a_socket_waiting_longer_than_redis_blocks_still_gets_its_message(redis_url, settings):
    """channels_redis blocks 5 s per BZPOPMIN and redis-py 8 reads with a 5 s timeout by
    default: a quiet page's socket died within seconds ("Timeout reading from"). With the
    settings' layer it waits through several blocks and gets what comes next."""
    from channels.layers import get_channel_layer

    settings.CHANNEL_LAYERS = {
        "default": redis_layer(redis_url, f"athena-test-{uuid.uuid4().hex[:6]}")
    }
    layer = get_channel_layer()

    async def quiet_then_message():
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(11)  # two blocks and more, nothing sent
        assert not waiting.done(), waiting.exception() if waiting.done() else None
        await layer.send(channel, {"type": "balance.changed", "amount": "1.00"})
        return await asyncio.wait_for(waiting, timeout=10)

    with ThreadPoolExecutor(max_workers=1) as pool:
        message = pool.submit(asyncio.run, quiet_then_message()).result(timeout=40)
    assert message == {"type": "balance.changed", "amount": "1.00"}
