"""ws/compliance/queue/: compliance officers receive new alerts live; nobody else connects."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from apps.core import roles
from apps.monitoring.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED
from tests.support.monitoring import funded_account, officer, only_rules, staff_with_role, transfer
from tests.support.websockets import (
    communicator_for,
    run,
    session_cookie,
    use_memory_channel_layer,
)

pytestmark = pytest.mark.django_db(transaction=True)

WS_PATH = "/ws/compliance/queue/"
TIMEOUT = 5


@pytest.fixture(autouse=True)
def memory_layer(settings):
    yield from use_memory_channel_layer(settings)


def communicator(cookie: bytes | None = None):
    return communicator_for(WS_PATH, cookie)


def test_only_compliance_staff_may_connect():
    customer = funded_account(0).customer.user
    operator = staff_with_role(roles.OPERATOR)

    async def scenario():
        connected, code = await communicator().connect(timeout=TIMEOUT)
        assert (connected, code) == (False, CLOSE_UNAUTHENTICATED)
        for user in (customer, operator):
            ws = communicator(await sync_to_async(session_cookie)(user))
            connected, code = await ws.connect(timeout=TIMEOUT)
            assert (connected, code) == (False, CLOSE_FORBIDDEN)

    run(scenario)


def test_an_officer_receives_a_new_alert_after_it_commits():
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    cookie = session_cookie(officer())

    def seed_pattern():
        from apps.monitoring.services import monitoring_evaluate_customer

        for cents in (910_000, 920_000, 930_000):
            transfer(payer, payee, cents)
        return monitoring_evaluate_customer(customer_id=payer.customer_id)

    def reevaluate():
        from apps.monitoring.services import monitoring_evaluate_customer

        return monitoring_evaluate_customer(customer_id=payer.customer_id)

    async def scenario():
        ws = communicator(cookie)
        assert (await ws.connect(timeout=TIMEOUT))[0]
        (alert,) = await sync_to_async(seed_pattern)()
        event = await ws.receive_json_from(timeout=TIMEOUT)
        assert event["type"] == "alert.created"
        assert event["alert_id"] == alert.pk and event["rule"] == "structuring"
        assert event["customer"] == payer.customer.full_name
        # A re-evaluation (another message, the batch) opens nothing and announces nothing.
        await sync_to_async(reevaluate)()
        assert await ws.receive_nothing(timeout=0.5)
        await ws.disconnect()

    run(scenario)
