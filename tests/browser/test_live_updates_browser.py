"""Live updates across processes, as `make run` and production run them (issue #16).

João's home page is open in Chromium, served by the project's ASGI application (uvicorn in
a thread of this process). Maria sends him a book transfer and a Pix through the real
services; the outbox is relayed by ANOTHER process, as the Celery worker does it
(`drain_outbox_task` in `manage.py shell`, with the settings' own channel layer), so the
push must cross processes: in-memory delivery cannot pass. Both layers: PostgreSQL
(no REDIS_URL, the `make run` default) and Redis (when REDIS_URL is set).
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from apps.accounts import services
from apps.accounts.models import Account
from apps.core.fsm import apply_transition
from apps.pix.keys.services import key_register
from apps.pix.transfers.services.send import pix_send
from athena.channel_layers import postgres_layer, redis_layer
from tests.factories.customers import person
from tests.factories.ledger import funded_account
from tests.factories.users import CustomerFactory, UserFactory
from tests.support.asgi_server import serve_asgi
from tests.support.processes import subprocess_env

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "secret-pass-123"  # UserFactory's
ARRIVES_WITHIN_MS = 10_000

# The Celery worker's drain, in a loop: what `make run`'s worker and beat do between them.
RELAY = """
import time
from apps.core.tasks import drain_outbox_task
drain_outbox_task()
print("relay ready", flush=True)
while True:
    drain_outbox_task()
    time.sleep(0.2)
"""


@pytest.fixture(params=["postgres", "redis"])
def live_layer(request, settings) -> dict[str, str | None]:
    """The channel layer of this process (the web's) and the environment of the relay
    process, which takes the same layer from the settings: one prefix of their own."""
    settings.OUTBOX_KICK_ON_COMMIT = False  # this process never drains: the relay does
    if request.param == "redis":
        redis_url = os.environ.get("REDIS_URL", "")
        if not redis_url:
            pytest.skip("REDIS_URL is not set (Redis not configured)")
        prefix = f"athena-live-test-{uuid.uuid4().hex[:8]}"
        settings.CHANNEL_LAYERS = {"default": redis_layer(redis_url, prefix)}
        return {"REDIS_URL": redis_url, "CHANNEL_PREFIX": prefix}
    prefix = f"live_test_{uuid.uuid4().hex[:8]}"
    settings.CHANNEL_LAYERS = {"default": postgres_layer(prefix)}
    return {"REDIS_URL": None, "CHANNEL_PREFIX": prefix}


@pytest.fixture
def asgi_server(live_layer, transactional_db):
    with serve_asgi() as server:
        yield server


@pytest.fixture
def outbox_relay(live_layer, transactional_db):
    """The relay process, started and ready (Django loaded, a first drain done)."""
    env = subprocess_env(CHANNEL_PREFIX=live_layer["CHANNEL_PREFIX"])
    env.pop("REDIS_URL", None)
    if live_layer["REDIS_URL"]:
        env["REDIS_URL"] = live_layer["REDIS_URL"]
    relay = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", RELAY],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def read() -> None:
        for line in relay.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        while True:
            try:
                line = lines.get(timeout=180)
            except queue.Empty:
                pytest.fail("the outbox relay did not start in 180 s")
            if "relay ready" in line:
                break
            if relay.poll() is not None:
                pytest.fail(f"the outbox relay ended: {''.join(output)}")
        yield relay
        assert relay.poll() is None, f"the outbox relay ended: {''.join(output)}"
    finally:
        relay.terminate()
        try:
            relay.wait(15)
        except subprocess.TimeoutExpired:
            relay.kill()
            relay.wait(15)


def customer_with_account(full_name: str, email: str, amount_cents: int) -> Account:
    """A signed-up customer: verified email (allauth), active, one funded account."""
    user = UserFactory(email=email, full_name=full_name)
    customer = CustomerFactory(user=user, full_name=full_name)
    apply_transition(customer, "activate", reason="KYC approved")
    # Verified after the activation: with the e-mail verified first, the onboarding
    # screening (run at once, outside a test transaction) would activate the customer and
    # open an account of its own.
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return funded_account(amount_cents, customer=customer)


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page).to_have_url(f"{base_url}/")


def test_joaos_open_page_sees_marias_transfer_and_pix_arrive(
    live_layer, asgi_server, outbox_relay, page: Page
):
    joao = customer_with_account("João Pereira Lima", "joao@example.com", 2_500)
    maria = funded_account(50_000, customer=person("Maria Souza Santos"))
    balance = page.locator(f'[data-balance-for="{joao.pk}"]')

    sign_in(page, asgi_server.url, "joao@example.com")
    expect(balance).to_have_text("R$ 25,00")
    expect(page.locator("[data-balance-socket]")).to_have_attribute("data-socket-state", "open")
    page.evaluate("window.__notReloaded = true")

    # A book transfer: committed here, pushed by the relay process.
    services.book_transfer(source_id=maria.pk, destination_id=joao.pk, amount_cents=12_345)
    expect(balance).to_have_text("R$ 148,45", timeout=ARRIVES_WITHIN_MS)
    expect(page.locator(f'[data-available-for="{joao.pk}"]')).to_have_text("R$ 148,45")
    expect(page.locator(".toast").first).to_have_text("Dinheiro recebido")

    # A Pix to João's random key: the balance, and a toast naming the amount and Maria
    # (her masked name only).
    key = key_register(account=joao, key_type="EVP", actor=joao.customer.user)
    pix_send(account=maria, key=key.key, amount_cents=5_000, description="Pizza")
    expect(balance).to_have_text("R$ 198,45", timeout=ARRIVES_WITHIN_MS)
    pix_toast = page.locator(".toast", has_text="R$ 50,00")
    expect(pix_toast).to_contain_text("Maria S. S.", timeout=ARRIVES_WITHIN_MS)
    expect(pix_toast).not_to_contain_text("Souza")
    assert page.evaluate("window.__notReloaded") is True
