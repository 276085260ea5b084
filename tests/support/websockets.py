"""Driving the ASGI websockets in tests: channels' WebsocketCommunicator (without daphne), a
scenario run in a thread of its own (run), and a signed-in user's session cookie."""

from __future__ import annotations

import asyncio
import sys
import threading
import types
from pathlib import Path

import channels
from django.conf import settings as django_settings
from django.test import Client


def _channels_websocket_communicator():
    """channels' own WebsocketCommunicator.

    `channels/testing/__init__.py` also imports ChannelsLiveServerTestCase, which needs
    daphne; we do not install daphne (uvicorn serves ASGI here). Without it, register the
    `channels.testing` package without running its __init__ and import the communicator
    module itself, which needs nothing but asgiref.
    """
    try:
        from channels.testing import WebsocketCommunicator
    except ModuleNotFoundError as exc:
        if exc.name != "daphne":
            raise
        package = types.ModuleType("channels.testing")
        package.__path__ = [str(Path(channels.__file__).parent / "testing")]
        sys.modules["channels.testing"] = package
        from channels.testing.websocket import WebsocketCommunicator

        package.WebsocketCommunicator = WebsocketCommunicator
    return WebsocketCommunicator


WebsocketCommunicator = _channels_websocket_communicator()


def run(coroutine_function) -> None:
    """`asyncio.run(coroutine_function())` in a thread of its own, re-raising its errors.

    Not in this thread: once a browser test of the same session has started Playwright's
    sync API, an event loop is running here, and asyncio.run refuses to start another.
    """
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine_function())
        except BaseException as exc:  # handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if thread.is_alive():
        raise TimeoutError("the websocket scenario did not finish in 60 s")
    if errors:
        raise errors[0]


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def communicator_for(path: str, cookie: bytes | None = None):
    """A communicator on our ASGI application at `path`, as a portal page opens it."""
    from athena.asgi import application

    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, path, headers=headers)


def use_memory_channel_layer(settings):
    """Generator body of a websocket suite's autouse fixture: an in-memory channel layer and
    no Celery kick after each commit (the tests drain the outbox themselves)."""
    from asgiref.sync import sync_to_async
    from django.db import connections

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False
    yield
    # sync_to_async ran database work in asgiref's worker thread: close its connection so
    # the test database can be flushed and, at the end, dropped.
    run(sync_to_async(connections.close_all))
