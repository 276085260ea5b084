"""A channels layer on PostgreSQL LISTEN/NOTIFY, for running without Redis (`make run`).

Why it exists: channels' in-memory layer lives inside one process, so the Celery worker's
pushes (the outbox handlers calling `apps.core.live.push_to_group`) never reached the
websockets that uvicorn serves. With `REDIS_URL` set, settings use channels_redis; without
it, this layer, on the database the project already has.

Why not the channels_postgres package (1.1.4, evaluated against our PostgreSQL 16): our
senders are sync code calling `async_to_sync(layer.group_send)`, and asgiref runs each such
call on a new event loop that it closes afterwards. The package keeps one process-global
psycopg `AsyncConnectionPool` (and a module-level `asyncio.Lock`) tied to the first loop.
Two sends in a row worked, but measured:
  - a sender process whose connections the server dropped (as a database restart does)
    failed its next 4 sends with `AdminShutdown`, then every send waited 30 s and failed
    with `PoolTimeout`, for good: the pool's reconnecting workers ran on the first, closed
    loop. In the Celery worker that stalls the outbox 30 s per message until a restart;
  - three threads of one process sending at once: `RuntimeError: <asyncio.locks.Lock ...>
    is bound to a different event loop`;
  - a receiver whose LISTEN connection dropped lost its listener task ("Task exception was
    never retrieved") and never received again.
It also needs a second `DATABASES` alias, its own tables, triggers and migrations, and a
`CONFIG` holding a whole database settings dict (without `TIME_ZONE` the layer silently
fails to build and `get_channel_layer()` returns None).

How this one works:
  - Group membership and delivery to consumers stay in the process that serves them: one
    channels `InMemoryChannelLayer` per event loop ("home"), used only from that loop.
  - `group_send` delivers to the home of the calling loop at once, and NOTIFYs the JSON
    event on one PostgreSQL channel named from the `prefix` setting; every home LISTENs
    there (one connection per loop that has consumers: one in uvicorn) and delivers what
    other loops and processes sent to its own members.
  - Each send opens a short connection of its own: nothing is shared between loops, so any
    process, thread or loop may send. The Celery worker never LISTENs.
  - Connection parameters are read from `settings.DATABASES["default"]` when connecting,
    so the embedded server's socket and the test database's name are the ones in use.
  - PostgreSQL refuses NOTIFY payloads of 8000 bytes or more: a larger event (or one that is
    not JSON) reaches the sender's own loop only, and is logged.
  - When the LISTEN connection drops (a database restart), the home reconnects with
    backoff; events sent meanwhile are lost, so it then closes its websockets (code 1012)
    and the pages reconnect and read their balances afresh, as they do after any drop.
Every process receives every group event and keeps those for its own members: fine for the
portal's few events per payment; production runs Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg
from channels.exceptions import ChannelFull
from channels.layers import BaseChannelLayer, InMemoryChannelLayer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from psycopg import sql

logger = logging.getLogger(__name__)

# PostgreSQL: "the payload string must be shorter than 8000 bytes" (default configuration).
MAX_PAYLOAD_BYTES = 7999
# Keys of a Django database's OPTIONS that are Django's own, not libpq connection parameters.
DJANGO_ONLY_OPTIONS = frozenset({"pool", "isolation_level", "server_side_binding", "assume_role"})
PREFIX_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")  # quoted as an identifier
# The message that ends a websocket consumer, as if its client had left; 1012 is "service
# restart", after which the portal's script reconnects and reloads what it shows.
RESTART_MESSAGE = {"type": "websocket.disconnect", "code": 1012}


def _require_dict(message: Any) -> None:
    if not isinstance(message, dict):
        raise TypeError("A channel layer message is a dict.")


@dataclass(eq=False)
class _Home:
    """The consumers of one event loop: their channels and groups, and the listener."""

    loop: asyncio.AbstractEventLoop
    token: str
    local: InMemoryChannelLayer
    listening: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None


class PostgresChannelLayer(BaseChannelLayer):
    """Channels layer: in-process delivery per event loop, fan-out by LISTEN/NOTIFY.

    CONFIG: `prefix` (names the NOTIFY channel, so deployments sharing a database stay
    apart), `database` (the alias to connect as, "default"), `expiry`, `group_expiry`,
    `capacity`, `channel_capacity` (as the in-memory layer's), `listen_timeout` (seconds
    a `group_add` waits for the LISTEN to be in place), `reconnect_max` (the longest wait
    between reconnection attempts).
    """

    extensions = ["groups", "flush"]

    def __init__(
        self,
        prefix: str = "athena",
        database: str = "default",
        expiry: int = 60,
        group_expiry: int = 86400,
        capacity: int = 100,
        channel_capacity: dict | None = None,
        listen_timeout: float = 5.0,
        reconnect_max: float = 10.0,
    ) -> None:
        super().__init__(expiry=expiry, capacity=capacity, channel_capacity=channel_capacity)
        if not PREFIX_PATTERN.match(prefix):
            raise ImproperlyConfigured(
                "The PostgreSQL channel layer's prefix must be 1-40 letters, digits, _, . or -."
            )
        self.prefix = prefix
        self.notify_channel = f"{prefix}_channel_layer"
        self.database = database
        self.group_expiry = group_expiry
        self.listen_timeout = listen_timeout
        self.reconnect_max = reconnect_max
        self._local_options = {
            "expiry": expiry,
            "group_expiry": group_expiry,
            "capacity": capacity,
            "channel_capacity": channel_capacity,
        }
        self._homes: dict[asyncio.AbstractEventLoop, _Home] = {}
        self._homes_lock = threading.Lock()  # homes are looked up from several threads

    # --- Connections ----------------------------------------------------------------

    def connection_params(self, purpose: str) -> dict[str, Any]:
        """libpq parameters of the configured database, read now (not at import)."""
        db = settings.DATABASES[self.database]
        params = {
            key: value
            for key, value in (db.get("OPTIONS") or {}).items()
            if key not in DJANGO_ONLY_OPTIONS
        }
        for key, name in (("NAME", "dbname"), ("USER", "user"), ("PASSWORD", "password")):
            if db.get(key):
                params[name] = db[key]
        if db.get("HOST"):
            params["host"] = db["HOST"]
        if db.get("PORT"):
            params["port"] = str(db["PORT"])
        params.setdefault("connect_timeout", 5)
        # Operators (and tests) can tell the layer's sessions apart in pg_stat_activity.
        params.setdefault("application_name", f"athena-live-{purpose}")
        return params

    async def _connect(self, purpose: str) -> psycopg.AsyncConnection:
        return await psycopg.AsyncConnection.connect(
            autocommit=True, **self.connection_params(purpose)
        )

    # --- Homes (one per event loop with consumers) ---------------------------------

    def _home(self, *, create: bool) -> _Home | None:
        loop = asyncio.get_running_loop()
        with self._homes_lock:
            for old in [old for old in self._homes if old.is_closed()]:
                del self._homes[old]
            home = self._homes.get(loop)
            if home is None and create:
                home = _Home(
                    loop=loop,
                    token=f"pg{uuid.uuid4().hex[:12]}",
                    local=InMemoryChannelLayer(**self._local_options),
                )
                self._homes[loop] = home
        if home is not None and (home.task is None or home.task.done()):
            home.task = loop.create_task(self._listen(home), name="pg-channel-layer-listen")
        return home

    def _is_home_channel(self, home: _Home, channel: str) -> bool:
        return self.non_local_name(channel).endswith(f".{home.token}!")

    async def _wait_listening(self, home: _Home) -> None:
        try:
            await asyncio.wait_for(home.listening.wait(), self.listen_timeout)
        except TimeoutError:
            logger.warning(
                "live layer: not listening yet; events from other processes may be missed",
                extra={"notify_channel": self.notify_channel},
            )

    # --- The listener ----------------------------------------------------------------

    async def _listen(self, home: _Home) -> None:
        """LISTEN for the home's whole life, reconnecting with backoff; cancelled (and its
        connection closed) when the loop shuts down."""
        delay, had_connection = 0.5, False
        while True:
            try:
                conn = await self._connect("listen")
            except (psycopg.Error, OSError):
                logger.warning(
                    "live layer: cannot reach the database; retrying in %.1f s",
                    delay,
                    extra={"notify_channel": self.notify_channel},
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.reconnect_max)
                continue
            try:
                await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.notify_channel)))
                home.listening.set()
                if had_connection:
                    await self._after_gap(home)
                had_connection, delay = True, 0.5
                while True:
                    # A silent network can hide a dead connection: probe it when idle.
                    async for notify in conn.notifies(timeout=30):
                        await self._deliver(home, notify.payload)
                    await conn.execute("SELECT 1")
            except (psycopg.Error, OSError):
                logger.warning(
                    "live layer: LISTEN connection lost; reconnecting",
                    extra={"notify_channel": self.notify_channel},
                )
            finally:
                home.listening.clear()
                await conn.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_max)

    async def _deliver(self, home: _Home, payload: str) -> None:
        try:
            event = json.loads(payload)
            message = event["m"]
        except (ValueError, KeyError, TypeError):
            logger.warning("live layer: unreadable notification ignored")
            return
        if event.get("o") == home.token:
            return  # sent from this loop, which delivered it already
        try:
            if "g" in event:
                await home.local.group_send(event["g"], message)
            elif "c" in event and self._is_home_channel(home, event["c"]):
                await home.local.send(event["c"], message)
        except ChannelFull:
            logger.warning("live layer: channel full; event dropped")
        except (TypeError, AssertionError):
            # A malformed name or message (anyone with the database can NOTIFY): dropped,
            # and the listener lives on.
            logger.warning("live layer: invalid notification ignored")

    async def _after_gap(self, home: _Home) -> None:
        """Events sent while the LISTEN was down are gone: end this loop's sockets, so the
        pages reconnect and read their state afresh."""
        channels = {channel for members in home.local.groups.values() for channel in members}
        for channel in channels:
            with contextlib.suppress(ChannelFull):  # not being read: it expires on its own
                await home.local.send(channel, dict(RESTART_MESSAGE))
        if channels:
            logger.info("live layer: listening again; %d sockets asked to reconnect", len(channels))

    # --- Fan-out ---------------------------------------------------------------------

    async def _notify(self, event: dict[str, Any]) -> None:
        try:
            payload = json.dumps(event, separators=(",", ":"))
        except (TypeError, ValueError):
            logger.warning(
                "live layer: event is not JSON; not sent to other processes",
                extra={"event": event["m"].get("type")},
            )
            return
        size = len(payload.encode())
        if size > MAX_PAYLOAD_BYTES:
            logger.warning(
                "live layer: event of %d bytes is over the NOTIFY limit; not sent to other "
                "processes",
                size,
                extra={"event": event["m"].get("type")},
            )
            return
        conn = await self._connect("notify")
        try:
            await conn.execute("SELECT pg_notify(%s, %s)", (self.notify_channel, payload))
        finally:
            await conn.close()

    # --- Channel layer API -----------------------------------------------------------

    async def new_channel(self, prefix: str = "specific.") -> str:
        home = self._home(create=True)
        return f"{prefix}.{home.token}!{secrets.token_hex(8)}"

    async def receive(self, channel: str) -> dict:
        self.require_valid_channel_name(channel)
        return await self._home(create=True).local.receive(channel)

    async def send(self, channel: str, message: dict) -> None:
        _require_dict(message)
        self.require_valid_channel_name(channel)
        home = self._home(create=False)
        if "!" in channel and (home is None or not self._is_home_channel(home, channel)):
            await self._notify({"c": channel, "m": message})  # a consumer elsewhere
            return
        await self._home(create=True).local.send(channel, message)

    async def group_add(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        home = self._home(create=True)
        await home.local.group_add(group, channel)
        await self._wait_listening(home)

    async def group_discard(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        home = self._home(create=False)
        if home is not None:
            await home.local.group_discard(group, channel)

    async def group_send(self, group: str, message: dict) -> None:
        _require_dict(message)
        self.require_valid_group_name(group)
        home = self._home(create=False)
        if home is not None:
            await home.local.group_send(group, message)
        await self._notify({"o": home.token if home else None, "g": group, "m": message})

    async def flush(self) -> None:
        home = self._home(create=False)
        if home is not None:
            await home.local.flush()

    async def close(self) -> None:
        """Stop this loop's listener (closing its connection)."""
        loop = asyncio.get_running_loop()
        with self._homes_lock:
            home = self._homes.pop(loop, None)
        if home is not None and home.task is not None:
            home.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await home.task
