"""The portal on a phone (Debian's Chromium at 390x844, live_server over WSGI).

1. Every customer page, with something on it (tests.support.portal_demo: a customer at KYC
   level 2 with statement lines, Pix keys, a Pix received, a card with purchases, a loan, an
   issued boleto and one to pay, a privacy request), the sign-in pages and the steps of the
   payment flows (transfer, Pix and boleto: form, confirmation, receipt): none is wider than
   the screen, axe-core finds nothing serious or critical, the header's, tabs' and forms'
   buttons and links are at least 44x44 px, and a masked document sits on one line. The home
   page and the Pix send form also fit 360 px.
2. The compact menu: folded on a phone, opened and closed with the keyboard (Enter, Tab into
   it, Escape back to its button, Space), never folded on a wide screen nor without
   JavaScript; the section tabs scroll inside their strip with the current one in view.

Every page is checked and the failures are reported together, each naming its page. One
browser context for the lot, no sleeps: the walk is the slow part, not the checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from allauth.account.models import EmailAddress
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from apps.kyc.models import KycRequest
from tests.factories.customers import person
from tests.factories.ledger import funded_account
from tests.support.english import english_words
from tests.support.portal_demo import PASSWORD, portal_demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
TOUCH_PX = 44

# axe rules allowed to report serious or critical violations, each with its reason. Empty:
# add a rule here only with a written reason a reviewer accepts.
AXE_ALLOWED: dict[str, str] = {}

# What must be at least 44x44 px: the header's links and buttons, the section tabs, the
# account settings' side navigation, and every button of the page (forms' submit buttons,
# links styled as buttons). Links inside a sentence or a help text are exempt (WCAG 2.5.8).
TOUCH_TARGETS = """(px) => {
  const selector = [
    ".site-header a", ".site-header button", ".pix-nav a", ".side-nav a",
    "main button", "main .button", "main input[type=submit]",
  ].join(", ");
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === "hidden") {
      continue;  // not shown (a folded menu, a hidden copy button)
    }
    if (el.closest(".visually-hidden, .skip-link")) {
      continue;
    }
    if (r.width < px - 0.5 || r.height < px - 0.5) {
      const name = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim();
      const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
      small.push(`${el.tagName.toLowerCase()} "${name.slice(0, 30)}" ${size}`);
    }
  }
  return small;
}"""

# A masked document (***.456.789-**, class "doc") on more than one line reads as two numbers.
BROKEN_DOCUMENTS = """() => {
  const broken = [];
  for (const el of document.querySelectorAll(".doc")) {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    if (tops.size > 1) {
      broken.push(el.textContent.trim());
    }
  }
  return broken;
}"""


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False
    settings.PIX_SPI_LATENCY_MS = "0,0"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE}


@dataclass
class PhoneAudit:
    """Checks the page on screen and remembers what failed, named after the page."""

    page: Page
    axe: Axe = field(default_factory=Axe)
    failures: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def check(self, name: str, *, accessibility: bool = True) -> None:
        page = self.page
        self.checked.append(name)
        width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > viewport:
            self.failures.append(f"{name} ({page.url}): {width}px wide in a {viewport}px screen")
        english = english_words(page.inner_text("body"))
        if english:
            self.failures.append(f"{name}: English words on a pt-BR page: {english}")
        if not accessibility:
            return
        small = page.evaluate(TOUCH_TARGETS, TOUCH_PX)
        if small:
            self.failures.append(f"{name}: touch targets under {TOUCH_PX}px: {small}")
        broken = page.evaluate(BROKEN_DOCUMENTS)
        if broken:
            self.failures.append(f"{name}: masked documents broken over lines: {broken}")
        results = self.axe.run(page)
        for violation in results.response["violations"]:
            if violation["impact"] not in ("serious", "critical"):
                continue
            if violation["id"] in AXE_ALLOWED:
                continue
            targets = [node["target"] for node in violation["nodes"]][:3]
            self.failures.append(
                f"{name}: axe {violation['id']} ({violation['impact']}): "
                f"{violation['help']} at {targets}"
            )

    def visit(self, name: str, url: str, **kwargs) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, f"{name} ({url}) answered {response}"
        self.check(name, **kwargs)


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(f"{base}/")


def test_every_customer_page_fits_a_phone_and_passes_axe(page: Page, live_server):
    demo = portal_demo()
    base = live_server.url
    audit = PhoneAudit(page)

    # Before signing in.
    audit.visit("sign-in", f"{base}/accounts/login/")
    audit.visit("sign-up", f"{base}/accounts/signup/")
    audit.visit("password reset", f"{base}/accounts/password/reset/")
    sign_in(page, base, demo.email)
    audit.check("home after sign-in")  # with the "signed in" message

    account = demo.account
    audit.visit("home", f"{base}/")
    audit.visit("statement", f"{base}/statement/{account.pk}/")
    audit.visit("statement filtered", f"{base}/statement/{account.pk}/?kind=pix_in")

    # The book transfer: form, confirmation, receipt.
    audit.visit("transfer", f"{base}/transfer/")
    page.locator("#id_destination_number").fill(demo.payee_account_number)
    page.locator("#id_amount").fill("12,34")
    page.locator("#id_description").fill("Almoço de domingo com a família toda")
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/transfer/[0-9a-f-]+/confirm/$"))
    audit.check("transfer confirmation")
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/transfer/[0-9a-f-]+/receipt/$"))
    audit.check("transfer receipt")

    # Pix: home, send by key through the confirmation and the receipt, receive with a QR.
    audit.visit("pix home", f"{base}/pix/")
    audit.visit("pix send", f"{base}/pix/send/")
    key = demo.payee_key
    page.locator("#id_key").fill(f"{key[:3]}.{key[3:6]}.{key[6:9]}-{key[9:]}")
    page.locator("#id_amount").fill("45,67")
    page.locator("form.pix-send button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/pix/send/[0-9a-f-]+/confirm/$"))
    audit.check("pix confirmation")
    page.locator("main form.form button[type=submit]").last.click()
    expect(page).to_have_url(re.compile(r"/pix/send/[0-9a-f-]+/receipt/$"))
    audit.check("pix receipt")
    audit.visit("pix receive", f"{base}/pix/receive/")
    page.locator("#id_amount").fill("12,34")
    page.locator("#id_description").fill("Pizza")
    page.locator("main form.form button[type=submit]").first.click()
    expect(page.get_by_test_id("qr")).to_be_visible()
    audit.check("pix QR code")
    audit.visit("pix keys", f"{base}/pix/keys/")
    audit.visit("pix limits", f"{base}/pix/limits/")
    audit.visit("pix history", f"{base}/pix/history/")
    audit.visit("pix received detail", f"{base}/pix/history/{demo.received.pk}/")
    audit.visit("pix API access", f"{base}/pix/api/")

    # Boletos: pay one through the confirmation, the DDA, issue, the issued one.
    audit.visit("boleto pay", f"{base}/boletos/")
    page.locator("#id_code").fill(demo.linha_to_pay)
    page.locator("form.boleto-pay button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/boletos/pay/[0-9a-f-]+/confirm/$"))
    audit.check("boleto confirmation")
    page.locator("form.boleto-confirm button[type=submit]").click()
    expect(page.get_by_test_id("payment-id")).to_be_visible()
    audit.check("boleto receipt")
    audit.visit("boleto DDA", f"{base}/boletos/dda/")
    audit.visit("boleto payments", f"{base}/boletos/payments/")
    audit.visit("boleto issue", f"{base}/boletos/issue/")
    audit.visit("boletos issued", f"{base}/boletos/issued/")
    audit.visit("boleto issued detail", f"{base}/boletos/issued/{demo.issued.public_id}/")

    # TED (sending is tests/browser/test_ted_browser.py's: it needs the TED window).
    audit.visit("ted send", f"{base}/ted/")
    audit.visit("ted list", f"{base}/ted/sent/")
    audit.visit("ted favourites", f"{base}/ted/favourites/")

    card = demo.card.public_id
    audit.visit("cards", f"{base}/cards/")
    audit.visit("card new", f"{base}/cards/new/")
    audit.visit("card detail", f"{base}/cards/{card}/")
    audit.visit("card purchases", f"{base}/cards/{card}/purchases/")
    audit.visit("card controls", f"{base}/cards/{card}/controls/")

    audit.visit("loans", f"{base}/loans/")
    audit.visit(
        "loan simulation",
        f"{base}/loans/simulate/?amount=5000&installments=48&system=SAC&due_day=10",
    )
    audit.visit("loan application", f"{base}/loans/apply/")
    audit.visit("loan contract", f"{base}/loans/{demo.loan.public_id}/")
    audit.visit("credit model", f"{base}/loans/model/")

    verification = KycRequest.objects.get(customer=account.customer)
    audit.visit("verification", f"{base}/verification/")
    audit.visit("verification request", f"{base}/verification/{verification.pk}/")
    audit.visit("privacy", f"{base}/privacy/")

    audit.visit("security (MFA)", f"{base}/accounts/2fa/")
    audit.visit("authenticator app", f"{base}/accounts/2fa/totp/activate/")
    audit.visit("e-mail addresses", f"{base}/accounts/email/")
    audit.visit("password change", f"{base}/accounts/password/change/")

    # The smallest phones we support.
    page.set_viewport_size(SMALL_PHONE)
    audit.visit("home at 360px", f"{base}/", accessibility=False)
    audit.visit("pix send at 360px", f"{base}/pix/send/", accessibility=False)

    assert not audit.failures, "\n".join(audit.failures)
    assert len(audit.checked) >= 45


def test_the_compact_menu_works_with_the_keyboard_and_the_tabs_scroll_in_their_strip(
    page: Page, live_server, browser, browser_context_args
):
    customer = person("Maria Souza Santos")
    funded_account(10_000, customer=customer)
    user = customer.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    base = live_server.url
    sign_in(page, base, user.email)

    toggle = page.locator("[data-nav-toggle]")
    menu = page.locator("#site-nav")
    pix_link = page.locator('.site-nav a[href="/pix/"]')
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "site-nav")
    expect(pix_link).to_be_hidden()
    # One row: the brand and the button.
    assert page.locator(".site-header").bounding_box()["height"] < 2 * TOUCH_PX + 24

    # From the top of the page: the skip link, the brand, then the menu button.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(pix_link).to_be_visible()
    expect(menu.locator(".lang-switch button").first).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator('.site-nav a[href="/"]')).to_be_focused()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    expect(pix_link).to_be_hidden()
    page.keyboard.press(" ")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    pix_link.click()
    expect(page).to_have_url(f"{base}/pix/")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # a new page starts folded

    # The Pix tabs: one row that scrolls inside its strip, the current tab in view, the page
    # no wider than the screen.
    page.goto(f"{base}/pix/history/")
    strip = page.locator(".pix-nav ul")
    tabs = strip.locator("a")
    row_height = tabs.first.bounding_box()["height"]
    assert strip.bounding_box()["height"] < 1.5 * row_height, "the Pix tabs wrap"
    assert strip.evaluate("(el) => el.scrollWidth > el.clientWidth")
    box, current = strip.bounding_box(), page.locator('.pix-nav a[aria-current="page"]')
    shown = current.bounding_box()
    assert box["x"] <= shown["x"] and shown["x"] + shown["width"] <= box["x"] + box["width"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # A wide screen has no menu button: the navigation shows.
    page.set_viewport_size(DESKTOP)
    expect(toggle).to_be_hidden()
    expect(pix_link).to_be_visible()
    page.keyboard.press("Escape")  # nothing to close, nothing moves
    expect(pix_link).to_be_visible()

    # Without JavaScript every link stays reachable on a phone, and there is no dead button.
    context = browser.new_context(**{**browser_context_args, "java_script_enabled": False})
    plain = context.new_page()
    sign_in(plain, base, user.email)
    expect(plain.locator("[data-nav-toggle]")).to_be_hidden()
    expect(plain.locator('.site-nav a[href="/pix/"]')).to_be_visible()
    expect(plain.locator(".lang-switch")).to_be_visible()
    assert plain.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
