"""The dashboard and the book transfer in a real browser.

1. Maria signs in, sees her balance, sends R$ 12,34 to João's account number through the
   confirmation step, gets the receipt and sees her new balance (live_server, WSGI).
2. João's dashboard is open when money arrives: the balance changes on the page without a
   reload. live_server speaks WSGI only (no websockets), so this test serves the project's
   ASGI application (athena.asgi, the one production runs) with uvicorn in a thread of
   this process: same settings, same test database, same in-memory channel layer.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvicorn
from allauth.account.models import EmailAddress
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connection, connections
from playwright.sync_api import Page, expect

from apps.accounts import services
from apps.accounts.models import Account, JournalEntry
from apps.accounts.selectors import balance_group
from apps.core.fsm import apply_transition
from apps.core.outbox import drain_all
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import CustomerFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "secret-pass-123"  # UserFactory's


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False  # the test drains the outbox itself


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


def balance_of_card(page: Page, account: Account):
    return page.locator(f'[data-balance-for="{account.pk}"]')


def test_maria_sends_a_book_transfer_with_confirmation(page: Page, live_server):
    maria = customer_with_account("Maria Souza Santos", "maria@example.com", 10_000)
    joao = customer_with_account("João Pereira Lima", "joao@example.com", 0)
    base = live_server.url

    sign_in(page, base, "maria@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Olá, Maria Souza Santos")
    expect(balance_of_card(page, maria)).to_have_text("R$ 100,00")
    expect(page.locator(f'[data-available-for="{maria.pk}"]')).to_have_text("R$ 100,00")

    page.get_by_role("link", name="Transferir", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transferir para uma conta Athena")
    expect(page.get_by_label("Agência de destino")).to_have_value("0001")
    page.get_by_label("Número da conta de destino").fill(joao.number)
    page.get_by_label("Valor (R$)").fill("12,34")
    page.get_by_label("Descrição (opcional)").fill("Almoço")
    page.get_by_role("button", name="Continuar").click()

    # Step 2: the payee, masked, and the amount; nothing has moved yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirme a transferência")
    expect(page.get_by_test_id("payee")).to_have_text("João L***")
    expect(page.get_by_test_id("amount")).to_have_text("R$ 12,34")
    expect(page.get_by_text("Pereira")).to_have_count(0)
    assert balance_of(maria.pk) == (10_000, 10_000)
    page.get_by_role("button", name="Confirmar transferência").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Transferência realizada")
    entry = JournalEntry.objects.get(kind="book_transfer")
    expect(page.get_by_test_id("amount")).to_have_text("R$ 12,34")
    expect(page.get_by_test_id("payee")).to_have_text("João L***")
    expect(page.get_by_test_id("entry-id")).to_have_text(str(entry.pk))
    assert balance_of(maria.pk) == (8_766, 8_766)
    assert balance_of(joao.pk) == (1_234, 1_234)

    # Back to the confirmation page of a paid transfer: it shows the receipt, pays nothing.
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Transferência realizada")
    page.reload()
    expect(page.get_by_test_id("entry-id")).to_have_text(str(entry.pk))
    assert JournalEntry.objects.filter(kind="book_transfer").count() == 1

    page.get_by_role("link", name="Voltar ao início").click()
    expect(balance_of_card(page, maria)).to_have_text("R$ 87,66")
    activity = page.locator("#recent-activity li").first
    expect(activity).to_contain_text("Almoço")
    expect(activity).to_contain_text("-R$ 12,34")


# --- Live balance over the websocket --------------------------------------------------


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
        """Run `fn` in a worker thread of the server's loop, as an ASGI request's code runs,
        so its `async_to_sync(channel_layer.group_send)` reaches the server's consumers."""
        return self.run_async(sync_to_async(fn)(), timeout)

    def run_async(self, coroutine, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coroutine, self.server.loop).result(timeout)


@pytest.fixture
def asgi_server(transactional_db):
    """`athena.asgi.application` (plus static files) served by uvicorn on a free port."""
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


def test_joaos_dashboard_updates_live_when_money_arrives(asgi_server, page: Page):
    joao = customer_with_account("João Pereira Lima", "joao@example.com", 2_500)
    maria = customer_with_account("Maria Souza Santos", "maria@example.com", 50_000)
    base = asgi_server.url

    sign_in(page, base, "joao@example.com")
    expect(balance_of_card(page, joao)).to_have_text("R$ 25,00")
    section = page.locator("[data-balance-socket]")
    expect(section).to_have_attribute("data-socket-state", "open")
    page.evaluate("window.__notReloaded = true")

    # Money arrives: a deposit (Pix settled through the reserves account), then the outbox
    # handler pushes the new balance to João's group.
    services.deposit(
        account_id=joao.pk, amount_cents=123_456, description="Pix de Maria", kind="pix_in"
    )
    asgi_server.run_sync(drain_all)

    expect(balance_of_card(page, joao)).to_have_text("R$ 1.259,56")
    expect(page.locator(f'[data-available-for="{joao.pk}"]')).to_have_text("R$ 1.259,56")
    expect(page.locator(".toast")).to_have_text("Dinheiro recebido")
    # Rendered from the kind, in the reader's language (never the stored description).
    expect(page.locator("#recent-activity li").first).to_contain_text("Pix recebido")
    expect(page.locator("#recent-activity li").first).to_contain_text("+R$ 1.234,56")
    assert page.evaluate("window.__notReloaded") is True

    expect(page.locator(".toast")).to_have_count(0, timeout=15_000)  # the toast goes away

    # Maria's money moving is none of João's business: nothing arrives on his page. João
    # paying someone updates his balance too, without a "money received" toast.
    services.deposit(account_id=maria.pk, amount_cents=999, description="outra coisa")
    asgi_server.run_sync(drain_all)
    services.book_transfer(source_id=joao.pk, destination_id=maria.pk, amount_cents=5_956)
    asgi_server.run_sync(drain_all)
    expect(balance_of_card(page, joao)).to_have_text("R$ 1.200,00")
    expect(page.locator("#recent-activity li").first).to_contain_text("-R$ 59,56")
    expect(page.get_by_text("R$ 9,99")).to_have_count(0)
    expect(page.locator(".toast")).to_have_count(0)
    assert page.evaluate("window.__notReloaded") is True

    # The connection drops (here: the server ends João's consumer). The page reconnects
    # with backoff and, since events sent meanwhile are gone, reloads the balances.
    page.evaluate(
        """() => {
            const section = document.querySelector("[data-balance-socket]");
            window.__socketStates = [];
            new MutationObserver(() => window.__socketStates.push(section.dataset.socketState))
                .observe(section, {attributes: true, attributeFilter: ["data-socket-state"]});
        }"""
    )
    asgi_server.run_async(
        get_channel_layer().group_send(
            balance_group(joao.customer.user_id), {"type": "websocket.disconnect", "code": 1012}
        )
    )
    services.deposit(account_id=joao.pk, amount_cents=1_000, description="Pix durante a queda")
    asgi_server.run_sync(drain_all)
    page.wait_for_function(
        """() => window.__socketStates.includes("closed")
                 && document.querySelector("[data-balance-socket]").dataset.socketState === "open"
        """,
        timeout=15_000,
    )
    expect(balance_of_card(page, joao)).to_have_text("R$ 1.210,00")
    expect(page.locator("#recent-activity li").first).to_contain_text("+R$ 10,00")
    assert page.evaluate("window.__notReloaded") is True
