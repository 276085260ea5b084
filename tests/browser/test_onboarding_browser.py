"""Acceptance (issue #10): a customer who signs up in the portal and confirms the e-mail has an
active payment account at KYC level 0 and can receive and send a Pix within the level's
limits.

Everything the customer does goes through the pages (Debian's Chromium, live_server); the
outside world is driven the way an operator would: the SPI simulator delivers a Pix from
another PSP (`manage.py simulate_inbound_pix`), and other PSPs' keys are seeded in the
DICT simulator (`manage.py seed_dict`'s seeding). Pix internals are not imported: their
modules are moving, the commands and the pages stay.
"""

from __future__ import annotations

import importlib
import re

import pytest
from django.core.management import call_command, get_commands
from playwright.sync_api import Page, expect
from stdnum import luhn
from validate_docbr import CPF

from apps.accounts.models import Account, Customer
from tests.factories.ledger import balance_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EMAIL = "lucas.almeida@example.com"
PASSWORD = "Copper-Lantern-Meadow-41"
FULL_NAME = "Lucas Almeida Rocha"


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def key_at_another_psp() -> str:
    """A CPF key of another PSP's customer, seeded in the DICT simulator by the same code
    as `manage.py seed_dict` (found through the command, wherever its app lives)."""
    app = get_commands()["seed_dict"]
    seed = importlib.import_module(f"{app}.management.commands.seed_dict")
    result = seed.seed_directory(participants_count=1, owners_per_participant=1, seed=4101)
    return next(key for _ispb, key_type, key in result.keys if key_type in ("CPF", "CNPJ"))


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page).to_have_url(f"{base}/")


def send_pix(page: Page, base: str, *, key: str, amount: str, confirm: bool = True) -> None:
    page.goto(f"{base}/pix/send/")
    page.locator("#id_key").fill(key)
    page.locator("#id_amount").fill(amount)
    page.locator("form.pix-send button[type=submit]").click()
    if not confirm:  # the first step refuses what the confirmation would
        return
    expect(page.get_by_test_id("amount")).to_contain_text(amount)  # the confirmation, as text
    page.locator("form.form button[type=submit]").last.click()


def test_a_new_customer_gets_an_account_receives_and_sends_a_pix_within_level_0(
    page: Page, live_server, locmem_email
):
    base = live_server.url
    cpf = CPF().generate(mask=True)

    # 1. Sign up in the portal.
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Nome completo").fill(FULL_NAME)
    page.get_by_label("CPF ou CNPJ").fill(cpf)
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_label("Senha (novamente)").fill(PASSWORD)
    page.get_by_role("button", name="Criar conta").click()
    expect(h1(page)).to_have_text("Verifique seu endereço de e-mail")
    customer = Customer.objects.get(user__email=EMAIL)
    # Screened once the registration committed, but the e-mail is not confirmed yet.
    assert customer.state == Customer.State.PENDING
    assert not Account.objects.filter(customer=customer).exists()

    # 2. Confirm the e-mail with the link sent.
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", locmem_email[0].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirmar").click()
    expect(page.get_by_role("status")).to_contain_text(f"Você confirmou {EMAIL}")

    # 3. Active at KYC level 0, with one payment account: branch 0001, a Luhn check digit.
    customer.refresh_from_db()
    assert customer.state == Customer.State.ACTIVE
    assert customer.kyc_level == 0
    account = Account.objects.get(customer=customer)
    assert account.state == Account.State.ACTIVE
    assert account.branch == "0001"
    assert re.fullmatch(r"\d{9}", account.number) and luhn.is_valid(account.number)

    sign_in(page, base)
    expect(h1(page)).to_have_text(f"Olá, {FULL_NAME}")
    expect(page.get_by_text(f"Agência 0001 · Conta {account.number}")).to_be_visible()
    expect(page.locator(f'[data-balance-for="{account.pk}"]')).to_have_text("R$ 0,00")

    # 4. Another PSP's customer pays R$ 1.000,00 in (the SPI simulator delivers it).
    call_command("simulate_inbound_pix", "--to", EMAIL, "--amount", "1000.00")
    assert balance_of(account.pk) == (100_000, 100_000)
    page.goto(f"{base}/pix/")
    expect(page.get_by_test_id(f"pix-balance-{account.pk}")).to_have_text("R$ 1.000,00")

    # 5. Send R$ 120,00 to a key at another PSP, within level 0's R$ 500,00 a day.
    key = key_at_another_psp()
    send_pix(page, base, key=key, amount="120,00")
    expect(page.get_by_test_id("end-to-end-id")).to_have_text(re.compile(r"^E\d{8}"))
    expect(page.get_by_test_id("amount")).to_have_text("R$ 120,00")
    assert balance_of(account.pk)[1] == 88_000
    page.goto(f"{base}/pix/")
    expect(page.get_by_test_id(f"pix-balance-{account.pk}")).to_have_text("R$ 880,00")

    # 6. Past the level's daily limit (120 + 400 > 500), the Pix is refused on the first
    # step, naming what is left today, and nothing moves.
    send_pix(page, base, key=key, amount="400,00", confirm=False)
    expect(page.get_by_role("alert")).to_contain_text("500,00")
    expect(page.get_by_role("alert")).to_contain_text("380,00")
    assert balance_of(account.pk)[1] == 88_000
    page.goto(f"{base}/pix/")
    expect(page.get_by_test_id(f"pix-balance-{account.pk}")).to_have_text("R$ 880,00")
