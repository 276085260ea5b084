"""The balances websocket: session-authenticated, one group per user, formatted amounts.

Each test drives the real ASGI application (athena.asgi) with channels'
WebsocketCommunicator inside `asyncio.run` (in a thread, see `run`), on the in-memory
channel layer. Database work
runs in sync_to_async (the event loop thread must not touch the database), and the outbox
is drained there too, so the handler's `async_to_sync(group_send)` lands on this loop.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import types
from pathlib import Path

import channels
import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client

from apps.accounts import services
from apps.accounts.consumers import CLOSE_UNAUTHENTICATED
from apps.core.outbox import drain_all
from athena.asgi import application
from tests.factories.ledger import funded_account


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

pytestmark = pytest.mark.django_db(transaction=True)

WS_PATH = "/ws/balances/"
TIMEOUT = 5


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


@pytest.fixture(autouse=True)
def memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # The outbox is drained by the tests, not by a Celery kick after each commit.
    settings.OUTBOX_KICK_ON_COMMIT = False
    yield
    # sync_to_async ran database work in asgiref's worker thread: close its connection so
    # the test database can be flushed and, at the end, dropped.
    run(sync_to_async(connections.close_all))


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


def communicator(cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [(b"host", b"localhost"), (b"origin", b"http://localhost")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, WS_PATH, headers=headers)


async def deposit_and_drain(account_id: int, amount_cents: int) -> None:
    def work():
        services.deposit(account_id=account_id, amount_cents=amount_cents, description="Pix in")
        drain_all()

    await sync_to_async(work)()


def test_anonymous_sockets_are_refused():
    async def scenario():
        ws = communicator()
        connected, code = await ws.connect(timeout=TIMEOUT)
        assert not connected
        assert code == CLOSE_UNAUTHENTICATED

    run(scenario)


def test_a_socket_from_another_site_is_refused():
    account = funded_account(0)
    cookie = session_cookie(account.customer.user)

    async def scenario():
        ws = WebsocketCommunicator(
            application,
            WS_PATH,
            headers=[(b"origin", b"https://evil.example"), (b"cookie", cookie)],
        )
        connected, _ = await ws.connect(timeout=TIMEOUT)
        assert not connected

    run(scenario)


def test_the_owner_receives_formatted_balance_changes_and_nobody_else_does():
    maria = funded_account(100_000)
    joao = funded_account(0)
    run(sync_to_async(drain_all))  # the funding's notification goes out before anyone listens
    maria_cookie = session_cookie(maria.customer.user)
    joao_cookie = session_cookie(joao.customer.user)

    async def scenario():
        maria_ws, joao_ws = communicator(maria_cookie), communicator(joao_cookie)
        assert (await maria_ws.connect(timeout=TIMEOUT))[0]
        assert (await joao_ws.connect(timeout=TIMEOUT))[0]

        await deposit_and_drain(joao.pk, 123_456)

        event = await joao_ws.receive_json_from(timeout=TIMEOUT)
        assert event["type"] == "balance.changed"
        assert event["account_id"] == joao.pk
        assert event["balance"] == 123_456
        assert event["available_balance"] == 123_456
        assert event["balance_display"] == "R$ 1.234,56"
        assert event["available_balance_display"] == "R$ 1.234,56"
        assert event["kind"] == "deposit"
        assert isinstance(event["entry_id"], int)
        assert await maria_ws.receive_nothing(timeout=0.5)  # not Maria's account

        await deposit_and_drain(maria.pk, 5)

        event = await maria_ws.receive_json_from(timeout=TIMEOUT)
        assert event["account_id"] == maria.pk
        assert event["balance_display"] == "R$ 1.000,05"
        assert await joao_ws.receive_nothing(timeout=0.5)

        # Whatever the browser sends is ignored; the socket stays up.
        await maria_ws.send_to(text_data="not json")
        await maria_ws.send_json_to({"type": "balance.changed", "account_id": joao.pk})
        assert await maria_ws.receive_nothing(timeout=0.3)

        await maria_ws.disconnect()
        await joao_ws.disconnect()

    run(scenario)


def test_a_disconnected_socket_leaves_its_group():
    account = funded_account(0)
    cookie = session_cookie(account.customer.user)

    async def scenario():
        from channels.layers import get_channel_layer

        from apps.accounts.handlers import balance_group

        ws = communicator(cookie)
        assert (await ws.connect(timeout=TIMEOUT))[0]
        layer = get_channel_layer()
        group = balance_group(account.customer.user_id)
        assert len(layer.groups.get(group, {})) == 1
        await ws.disconnect()
        assert len(layer.groups.get(group, {})) == 0

    run(scenario)
