"""The balances websocket: session-authenticated, one group per user, formatted amounts.

Each test drives the real ASGI application (athena.asgi) with channels'
WebsocketCommunicator inside `asyncio.run` (in a thread, see `run`), on the in-memory
channel layer. Database work
runs in sync_to_async (the event loop thread must not touch the database), and the outbox
is drained there too, so the handler's `async_to_sync(group_send)` lands on this loop.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from apps.accounts import services
from apps.accounts.consumers import CLOSE_UNAUTHENTICATED
from apps.core.outbox import drain_all
from athena.asgi import application
from tests.factories.ledger import funded_account
from tests.support.websockets import (
    WebsocketCommunicator,
    communicator_for,
    run,
    session_cookie,
    use_memory_channel_layer,
)

pytestmark = pytest.mark.django_db(transaction=True)

WS_PATH = "/ws/balances/"
TIMEOUT = 5


@pytest.fixture(autouse=True)
def memory_layer(settings):
    yield from use_memory_channel_layer(settings)


def communicator(cookie: bytes | None = None):
    return communicator_for(WS_PATH, cookie)


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

        from apps.accounts.selectors import balance_group

        ws = communicator(cookie)
        assert (await ws.connect(timeout=TIMEOUT))[0]
        layer = get_channel_layer()
        group = balance_group(account.customer.user_id)
        assert len(layer.groups.get(group, {})) == 1
        await ws.disconnect()
        assert len(layer.groups.get(group, {})) == 0

    run(scenario)
