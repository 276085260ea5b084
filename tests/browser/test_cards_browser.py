"""The portal's card pages in a real browser (Debian's Chromium, live_server over WSGI).

Maria (KYC level 1, an authenticator app on) signs in with her password and a code, opens
"Cartões" from the navigation, gets a virtual card, asks to see its data, types a second
code (allauth.mfa's reauthentication: the first code is spent) and sees the number, the
expiry and the CVV2; she hides them and blocks the card. On a 390x844 phone screen no card
page scrolls sideways.

The clock ticks from now; it moves 31 seconds ahead before the second code (a TOTP code is
good once per 30-second step). Pages are driven by element ids, names and test ids rather
than by their texts (pt-BR first).
"""

from __future__ import annotations

import time

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from playwright.sync_api import Page, expect

from apps.accounts.models import Account, Customer
from apps.cards import services
from apps.cards.models import Card
from apps.cards.services.issuing import decrypt_pan
from apps.core.fsm import apply_transition
from tests.factories.ledger import funded_account
from tests.factories.users import CustomerFactory, UserFactory
from tests.support.cards import purchase

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "secret-pass-123"  # UserFactory's


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False


@pytest.fixture
def clock():
    with time_machine.travel(time.time(), tick=True) as traveller:
        yield traveller


def customer_with_account(full_name: str, email: str, amount_cents: int) -> tuple[Account, str]:
    """A signed-up customer at KYC level 1 with an authenticator app: the TOTP secret."""
    user = UserFactory(email=email, full_name=full_name)
    customer = CustomerFactory(user=user, full_name=full_name)
    apply_transition(customer, "activate", reason="KYC approved")
    Customer.objects.filter(pk=customer.pk).update(kyc_level=1)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    account = funded_account(amount_cents, customer=Customer.objects.get(pk=customer.pk))
    return account, secret


def code(secret: str) -> str:
    """The current TOTP code, never one about to expire: allauth accepts the current
    30-second step only, and the browser needs a moment to send it."""
    if time.time() % 30 > 26:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in(page: Page, base: str, email: str, secret: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entrar", exact=True).click()
    page.locator("input[name=code]").fill(code(secret))
    page.locator("form button[type=submit]").last.click()
    expect(page).to_have_url(f"{base}/")


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px viewport"


def test_maria_gets_a_virtual_card_sees_its_data_after_a_second_code_and_blocks_it(
    page: Page, live_server, clock
):
    _account, secret = customer_with_account("Maria Souza Santos", "maria@example.com", 50_000)
    base = live_server.url
    sign_in(page, base, "maria@example.com", secret)

    page.locator('.site-nav a[href="/cards/"]').click()
    expect(page).to_have_url(f"{base}/cards/")
    page.get_by_test_id("new-card").click()
    expect(page.locator("#id_kind_0")).to_be_checked()  # virtual first
    page.locator("form.cards-issue button[type=submit]").click()

    card = Card.objects.get()
    expect(page).to_have_url(f"{base}/cards/{card.public_id}/")
    expect(page.get_by_test_id("masked-pan")).to_have_text(card.masked_pan)
    expect(page.locator('[data-testid="state"].pix-state--active')).to_have_count(1)
    pan = decrypt_pan(card)
    assert pan not in page.content()

    # The data asks a fresh second factor; the sign-in's code is spent, so a new step's.
    clock.shift(31)
    page.get_by_test_id("reveal").click()
    expect(page).to_have_url(
        f"{base}/accounts/2fa/reauthenticate/?next=%2Fcards%2F{card.public_id}%2Freveal%2F"
    )
    assert pan not in page.content()
    page.locator("input[name=code]").fill(code(secret))
    page.locator("form button[type=submit]").last.click()

    grouped = " ".join(pan[i : i + 4] for i in range(0, 16, 4))
    expect(page.get_by_test_id("pan")).to_have_text(grouped)
    expect(page.get_by_test_id("expiry")).to_have_text(f"{card.expiry[2:]}/{card.expiry[:2]}")
    cvv2 = services.IssuedCard(card=card, pan=pan, expiry=card.expiry).cvv2
    expect(page.get_by_test_id("cvv2")).to_have_text(cvv2)

    page.get_by_test_id("hide").click()
    expect(page).to_have_url(f"{base}/cards/{card.public_id}/")
    assert pan not in page.content()
    page.get_by_test_id("block").click()
    expect(page.locator('[data-testid="state"].pix-state--blocked')).to_have_count(1)
    card.refresh_from_db()
    assert card.state == Card.State.BLOCKED

    # Back to the data page: nothing was kept (no-store), the detail shows no PAN.
    page.go_back()
    assert pan not in page.content() or "/reveal/" in page.url


def test_no_card_page_scrolls_sideways_on_a_phone(page: Page, live_server, clock):
    account, secret = customer_with_account("Maria Souza Santos", "maria@example.com", 50_000)
    issued = services.card_issue(customer=account.customer, account_id=account.pk, kind="virtual")
    services.authorize(purchase(issued, 1_234, merchant_name="SUPERMERCADO BOM PRECO LTDA"))
    services.authorize(purchase(issued, 90_000, mcc="5732"))
    card = issued.card
    page.set_viewport_size({"width": 390, "height": 844})
    base = live_server.url
    sign_in(page, base, "maria@example.com", secret)
    for path in (
        "/cards/",
        "/cards/new/",
        f"/cards/{card.public_id}/",
        f"/cards/{card.public_id}/controls/",
        f"/cards/{card.public_id}/pin/",
        f"/cards/{card.public_id}/purchases/",
        f"/cards/{card.public_id}/report/",
    ):
        page.goto(f"{base}{path}")
        no_sideways_scroll(page)

    # The controls' errors, and the data page.
    page.goto(f"{base}/cards/{card.public_id}/controls/")
    page.locator("#id_per_purchase_limit").fill("12,345")
    page.locator("form.cards-controls button[type=submit]").click()
    expect(page.locator(".form-errors")).to_be_visible()
    no_sideways_scroll(page)
    page.goto(f"{base}/cards/{card.public_id}/")
    clock.shift(31)
    page.get_by_test_id("reveal").click()
    page.locator("input[name=code]").fill(code(secret))
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("cvv2")).to_be_visible()
    no_sideways_scroll(page)
