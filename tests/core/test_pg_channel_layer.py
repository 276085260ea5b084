"""The channel layer on PostgreSQL (apps/core/pg_channel_layer.py), on real connections.

The consumers' side runs on an event loop in a thread of its own (`LoopThread`), as
uvicorn's does; senders are another process (manage.py with the settings' own layer), sync
code in threads with no loop (`async_to_sync`: a new loop per call, as in the Celery worker)
and threads with loops of their own. Each test names its own NOTIFY channel (prefix).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from apps.core import pg_channel_layer
from apps.core.pg_channel_layer import RESTART_MESSAGE, PostgresChannelLayer
from tests.support.processes import subprocess_env

pytestmark = pytest.mark.django_db  # the layer connects to the test database

ROOT = Path(__file__).resolve().parents[2]
GROUP = "live-test"
WAIT = 10  # seconds an expected event may take (the machine may be busy)


class LoopThread:
    """An event loop running in a thread of its own, where the receivers live."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        # As asyncio.run does at the end: the layer's listener is cancelled and closes its
        # connection (the test database is dropped at the end of the session).
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.close()

    def call(self, coroutine, timeout: float = WAIT):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(WAIT)


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def layer(prefix) -> PostgresChannelLayer:
    return PostgresChannelLayer(prefix=prefix)


@pytest.fixture
def home():
    loop_thread = LoopThread()
    yield loop_thread
    loop_thread.close()


def join(home: LoopThread, layer: PostgresChannelLayer, group: str = GROUP) -> str:
    """A consumer's channel in `group`, on the home loop (returns once LISTENing)."""

    async def add() -> str:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        return channel

    return home.call(add())


def receive(home: LoopThread, layer: PostgresChannelLayer, channel: str, timeout=WAIT):
    return home.call(asyncio.wait_for(layer.receive(channel), timeout), timeout + 2)


def receives_nothing(home: LoopThread, layer: PostgresChannelLayer, channel: str) -> bool:
    try:
        receive(home, layer, channel, timeout=0.5)
    except TimeoutError:
        return True
    return False


def event(n: int, **extra) -> dict:
    return {"type": "test.event", "n": n, **extra}


def send_from_sync_code(layer: PostgresChannelLayer, group: str, message: dict) -> None:
    """`async_to_sync(layer.group_send)` as the Celery worker calls it, in a thread with no
    loop (here a browser test of the session may have left Playwright's loop running)."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            async_to_sync(layer.group_send)(group, message)
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if errors:
        raise errors[0]


def test_events_sent_from_another_process_arrive(home, prefix, layer):
    """manage.py in a fresh process without REDIS_URL takes this layer from the settings,
    sends two group events in a row from sync code (a new event loop each) and one to a
    consumer's own channel; all three arrive here."""
    channel = join(home, layer)
    code = (
        "import os\n"
        "from asgiref.sync import async_to_sync\n"
        "from channels.layers import get_channel_layer\n"
        "layer = get_channel_layer()\n"
        "print(type(layer).__name__, layer.notify_channel)\n"
        f"async_to_sync(layer.group_send)({GROUP!r}, {{'type': 'test.event', 'n': 1}})\n"
        f"async_to_sync(layer.group_send)({GROUP!r}, {{'type': 'test.event', 'n': 2}})\n"
        "async_to_sync(layer.send)(os.environ['TARGET'], {'type': 'test.event', 'n': 3})\n"
    )
    env = subprocess_env(CHANNEL_PREFIX=prefix, TARGET=channel)
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"PostgresChannelLayer {prefix}_channel_layer" in done.stdout
    assert [receive(home, layer, channel)["n"] for _ in range(3)] == [1, 2, 3]


def test_sync_senders_in_a_row_and_at_once_all_arrive(home, layer):
    """`async_to_sync` makes a new loop per call: sends in a row, and from three threads at
    once, each with loops of its own (channels_postgres failed the latter)."""
    channel = join(home, layer)
    send_from_sync_code(layer, GROUP, event(1))
    send_from_sync_code(layer, GROUP, event(2))
    assert [receive(home, layer, channel)["n"] for _ in range(2)] == [1, 2]

    errors: list[BaseException] = []

    def sender(base: int) -> None:
        try:
            for n in range(base, base + 4):
                async_to_sync(layer.group_send)(GROUP, event(n))
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(base,)) for base in (10, 20, 30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    received = sorted(receive(home, layer, channel)["n"] for _ in range(12))
    assert received == [10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33]


def test_a_thread_with_its_own_loop_reaches_the_home_and_its_own_consumers_once(home, layer):
    """A loop that has consumers of its own delivers to them directly and to the others
    through PostgreSQL; its own never get the event twice."""
    channel = join(home, layer)

    async def other_loop() -> list[int]:
        mine = await layer.new_channel()
        await layer.group_add(GROUP, mine)
        await layer.group_send(GROUP, event(7))
        got = [(await asyncio.wait_for(layer.receive(mine), WAIT))["n"]]
        with contextlib.suppress(TimeoutError):  # a second copy would show here
            got.append((await asyncio.wait_for(layer.receive(mine), 0.5))["n"])
        await layer.close()
        return got

    other = LoopThread()
    try:
        assert other.call(other_loop(), WAIT + 5) == [7]
    finally:
        other.close()
    assert receive(home, layer, channel) == event(7)
    assert receives_nothing(home, layer, channel)


def test_group_discard_stops_delivery(home, layer):
    stays, leaves = join(home, layer), join(home, layer)
    home.call(layer.group_discard(GROUP, leaves))

    send_from_sync_code(layer, GROUP, event(1))

    assert receive(home, layer, stays)["n"] == 1
    assert receives_nothing(home, layer, leaves)


def test_other_groups_and_other_prefixes_hear_nothing(home, prefix, layer):
    channel = join(home, layer)
    stranger = PostgresChannelLayer(prefix=f"{prefix}x")  # another deployment, same database

    send_from_sync_code(stranger, GROUP, event(1))
    send_from_sync_code(layer, "another-group", event(2))
    send_from_sync_code(layer, GROUP, event(3))

    assert receive(home, layer, channel)["n"] == 3
    assert receives_nothing(home, layer, channel)


def test_an_oversized_event_is_logged_not_raised_and_reaches_its_own_loop_only(home, layer, caplog):
    """PostgreSQL refuses NOTIFY payloads of 8000 bytes or more."""
    channel = join(home, layer)
    big = event(1, blob="x" * 9_000)

    with caplog.at_level(logging.WARNING, logger="apps.core.pg_channel_layer"):
        send_from_sync_code(layer, GROUP, big)  # from another loop: not delivered
    assert "over the NOTIFY limit" in caplog.text
    assert receives_nothing(home, layer, channel)

    home.call(layer.group_send(GROUP, big))  # on the consumers' own loop: delivered there
    assert receive(home, layer, channel) == big
    send_from_sync_code(layer, GROUP, event(2))  # and the layer still works
    assert receive(home, layer, channel)["n"] == 2


def test_malformed_notifications_are_ignored_and_the_listener_lives_on(home, layer):
    """Anyone with the database can NOTIFY on the layer's channel."""
    channel = join(home, layer)
    # Its own connection: a NOTIFY in the test's transaction would never be delivered.
    with psycopg.connect(autocommit=True, **layer.connection_params("test")) as conn:
        for payload in ("not json", '{"g": "no spaces allowed", "m": {"type": "x"}}', "[]"):
            conn.execute("SELECT pg_notify(%s, %s)", [layer.notify_channel, payload])

    send_from_sync_code(layer, GROUP, event(1))
    assert receive(home, layer, channel)["n"] == 1


def test_the_listener_reconnects_when_the_database_drops_it(home, layer):
    """A database restart ends the LISTEN connection: the layer connects again and, since
    events sent meanwhile are gone, asks its sockets to reconnect (the portal's script then
    reloads the balances)."""
    channel = join(home, layer)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = 'athena-live-listen'"
        )
        assert cursor.fetchone()[0] == 1

    assert receive(home, layer, channel) == RESTART_MESSAGE
    # The restart message is sent once the LISTEN is back in place.
    send_from_sync_code(layer, GROUP, event(2))
    assert receive(home, layer, channel)["n"] == 2


def test_connection_parameters_come_from_the_database_settings(monkeypatch):
    databases = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "test_somewhere",
            "USER": "app",
            "PASSWORD": "",
            "HOST": "/run/pg sockets",
            "PORT": "",
            "OPTIONS": {"pool": {"max_size": 4}, "connect_timeout": 3, "sslmode": "prefer"},
        }
    }
    monkeypatch.setattr(pg_channel_layer, "settings", SimpleNamespace(DATABASES=databases))
    params = PostgresChannelLayer().connection_params("notify")
    assert params == {
        "dbname": "test_somewhere",
        "user": "app",
        "host": "/run/pg sockets",
        "connect_timeout": 3,
        "sslmode": "prefer",
        "application_name": "athena-live-notify",
    }


def test_a_prefix_that_cannot_name_a_notify_channel_is_refused():
    with pytest.raises(ImproperlyConfigured):
        PostgresChannelLayer(prefix="athena; DROP TABLE x")
