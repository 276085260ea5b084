"""The portal's TED pages in a real browser (Debian's Chromium, live_server over WSGI).

Maria (KYC level 1) opens TED from the navigation, finds Nubank by typing its code, fills in
the destination and an amount written the Brazilian way, sees on the confirmation the fee,
the total and that it goes now, confirms and sees it settled; her balance drops once. On a
390x844 phone screen no TED page scrolls sideways.

The clock is frozen (ticking) inside the TED window on a business day after today, so the
session cookie the frozen server sets has not expired for the browser's real clock. Pages
are driven by element ids, names and test ids rather than by their texts (pt-BR first).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from apps.accounts.models import Account, Customer
from apps.core.documents import synthetic_cpf
from apps.core.fsm import apply_transition
from apps.core.timezones import BRASILIA
from apps.simulators.str.simulator import register_bank_account
from apps.wire.models import Wire
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import CustomerFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "secret-pass-123"  # UserFactory's
IN_WINDOW = dt.datetime(2026, 12, 9, 10, 0, tzinfo=BRASILIA)  # a Wednesday, 10:00
HOLDER_CPF = synthetic_cpf(5150, salt=21)


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False


@pytest.fixture
def in_window():
    with time_machine.travel(IN_WINDOW, tick=True):
        yield


def customer_with_account(full_name: str, email: str, amount_cents: int) -> Account:
    """A signed-up customer at KYC level 1: verified e-mail, active, one funded account."""
    user = UserFactory(email=email, full_name=full_name)
    customer = CustomerFactory(user=user, full_name=full_name)
    apply_transition(customer, "activate", reason="KYC approved")
    Customer.objects.filter(pk=customer.pk).update(kyc_level=1)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return funded_account(amount_cents, customer=Customer.objects.get(pk=customer.pk))


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page).to_have_url(f"{base_url}/")


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px viewport"


def test_maria_sends_a_ted_through_the_two_steps_and_sees_it_settled(
    page: Page, live_server, in_window
):
    maria = customer_with_account("Maria Souza Santos", "maria@example.com", 500_000)
    register_bank_account(
        ispb="18236120",
        branch="0001",
        number="123456",
        holder_name="Joao Carlos Pereira",
        holder_tax_id=HOLDER_CPF,
    )
    base = live_server.url
    sign_in(page, base, "maria@example.com")
    page.locator('.site-nav a[href="/ted/"]').click()
    expect(page).to_have_url(f"{base}/ted/")

    bank = page.locator("#id_bank")
    # htmx binds the field when the page has loaded: typing before that sends nothing (seen
    # on a busy machine).
    page.wait_for_load_state("load")
    bank.fill("260")
    # htmx narrows the list as she types; the option names the bank.
    expect(page.locator("#ted-banks option[value^='260 - ']")).to_have_count(1)
    bank.fill("260 - NU PAGAMENTOS - IP")
    page.locator("#id_branch").fill("0001")
    page.locator("#id_account_number").fill("123456")
    page.locator("#id_holder_name").fill("Joao Carlos Pereira")
    page.locator("#id_holder_tax_id").fill(
        f"{HOLDER_CPF[:3]}.{HOLDER_CPF[3:6]}.{HOLDER_CPF[6:9]}-{HOLDER_CPF[9:]}"
    )
    page.locator("#id_amount").fill("1.250,00")
    page.locator("form.ted-send button[type=submit]").click()

    # The confirmation: everything read-only, the fee, the total and "now".
    expect(page.get_by_test_id("amount")).to_have_text("R$ 1.250,00")
    expect(page.get_by_test_id("fee")).to_have_text("R$ 5,00")
    expect(page.get_by_test_id("total")).to_have_text("R$ 1.255,00")
    expect(page.get_by_test_id("when")).to_have_text("agora")
    expect(page.get_by_test_id("holder-document")).to_have_text(
        f"***.{HOLDER_CPF[3:6]}.{HOLDER_CPF[6:9]}-**"
    )
    expect(page.locator("form.ted-confirm input[name=amount]")).to_have_count(0)
    assert balance_of(maria.pk) == (500_000, 500_000)
    page.locator("form.ted-confirm button[type=submit]").click()

    expect(page.locator('[data-testid="state"].pix-state--settled')).to_have_count(1)
    wire = Wire.objects.get()
    expect(page).to_have_url(f"{base}/ted/{wire.public_id}/")
    expect(page.get_by_test_id("str-control-number")).to_have_text(wire.str_control_number)
    assert wire.state == Wire.State.SETTLED
    assert balance_of(maria.pk) == (500_000 - 125_500, 500_000 - 125_500)

    # Back to the confirmation and a reload: nothing is sent twice.
    page.go_back()
    page.reload()
    expect(page.locator('[data-testid="state"].pix-state--settled')).to_have_count(1)
    assert Wire.objects.count() == 1
    assert balance_of(maria.pk) == (500_000 - 125_500, 500_000 - 125_500)


def test_no_ted_page_scrolls_sideways_on_a_phone(page: Page, live_server, in_window):
    customer_with_account("Maria Souza Santos", "maria@example.com", 500_000)
    register_bank_account(
        ispb="18236120",
        branch="0001",
        number="123456",
        holder_name="Joao Carlos Pereira",
        holder_tax_id=HOLDER_CPF,
    )
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    sign_in(page, base, "maria@example.com")
    page.goto(f"{base}/ted/")
    no_sideways_scroll(page)
    page.locator("#id_bank").fill("260")
    page.locator("#id_branch").fill("1")
    page.locator("#id_account_number").fill("123456")
    page.locator("#id_holder_name").fill("Joao Carlos Pereira")
    page.locator("#id_holder_tax_id").fill(HOLDER_CPF)
    page.locator("#id_amount").fill("99,90")
    page.locator("#id_note").fill("uma observação longa " * 6)
    page.locator("form.ted-send button[type=submit]").click()
    expect(page.get_by_test_id("when")).to_have_text("agora")
    no_sideways_scroll(page)
    page.locator("#id_save_favourite").check()
    page.locator("#id_nickname").fill("Joao Nubank")
    page.locator("form.ted-confirm button[type=submit]").click()
    expect(page.get_by_test_id("state")).to_be_visible()
    no_sideways_scroll(page)
    for path in ("/ted/sent/", "/ted/favourites/"):
        page.goto(f"{base}{path}")
        no_sideways_scroll(page)
