"""The project's ASGI application served by uvicorn in a thread of the test process, for
browser tests that need websockets (pytest-django's live_server speaks WSGI only)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from asgiref.sync import sync_to_async
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connection, connections


class _ThreadedUvicorn(uvicorn.Server):
    """uvicorn in a thread: remembers its event loop so tests can schedule work on it."""

    loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets=None):
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)


class AsgiServer:
    def __init__(self, server: _ThreadedUvicorn, url: str) -> None:
        self.server, self.url = server, url

    def run_sync(self, fn, timeout: float = 10):
        """Run `fn` in a worker thread of the server's loop, as an ASGI request's code runs."""
        return self.run_async(sync_to_async(fn)(), timeout)

    def run_async(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self.server.loop).result(timeout)


@contextmanager
def serve_asgi() -> Iterator[AsgiServer]:
    """`athena.asgi.application` (plus static files) on a free port of 127.0.0.1, with the
    test's settings and database; stopped (its loop's tasks cancelled) on the way out."""
    from athena.asgi import application

    # Under ASGI each request's code runs in its own thread with its own connection; with
    # persistent connections those would outlive the test and keep the test database busy.
    # CONN_MAX_AGE 0 (as ASGI deployments use) closes them at the end of each request.
    db_settings = connection.settings_dict
    saved_max_age = db_settings.get("CONN_MAX_AGE")
    db_settings["CONN_MAX_AGE"] = 0

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        ASGIStaticFilesHandler(application),
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = _ThreadedUvicorn(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    asgi = AsgiServer(server, f"http://127.0.0.1:{port}")
    try:
        yield asgi
    finally:
        try:
            asgi.run_sync(connections.close_all)  # the worker thread's connection
        finally:
            server.should_exit = True
            thread.join(15)
            sock.close()
            db_settings["CONN_MAX_AGE"] = saved_max_age
