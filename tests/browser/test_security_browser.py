"""Content-Security-Policy in a real browser, and a passkey (WebAuthn) from end to end.

1. The portal's pages (sign-in, dashboard, security, adding a passkey), the admin's login
   and index: Chromium reports no CSP violation and no script error on any of them.
2. A customer adds a passkey on the security page and signs in with it alone, through a
   virtual authenticator (Chrome DevTools Protocol `WebAuthn.addVirtualAuthenticator`).
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from playwright.sync_api import Page, expect

from apps.core.fsm import apply_transition
from apps.core.models import AuditEvent
from tests.factories.ledger import funded_account
from tests.factories.users import CustomerFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "secret-pass-123"  # UserFactory's


class ConsoleWatch:
    """Console messages and uncaught errors of a page, CSP reports among them."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", lambda msg: self.messages.append(f"{msg.type}: {msg.text}"))
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))

    def violations(self) -> list[str]:
        return [
            m
            for m in self.messages
            if "Content Security Policy" in m
            or "Content-Security-Policy" in m
            or m.startswith("pageerror")
        ]


def customer(email: str):
    user = UserFactory(email=email, full_name="Maria Souza Santos")
    person = CustomerFactory(user=user, full_name="Maria Souza Santos")
    apply_transition(person, "activate", reason="KYC approved")
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    funded_account(10_000, customer=person)
    return user


def sign_in_with_password(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entrar", exact=True).click()
    expect(page).to_have_url(f"{base}/")


def test_portal_and_admin_pages_raise_no_csp_violation(page: Page, live_server):
    base = live_server.url
    watch = ConsoleWatch(page)
    customer("maria@example.com")

    page.goto(f"{base}/accounts/login/")
    expect(page.get_by_role("button", name="Usar uma chave de acesso")).to_be_visible()
    sign_in_with_password(page, base, "maria@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Olá, Maria Souza Santos")
    for path in (
        "/accounts/2fa/",
        "/accounts/2fa/webauthn/add/",
        "/pix/",
        "/verification/",
        "/privacy/",
    ):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("load")
    # htmx still works under the policy: the dashboard's cards reload on its event.
    page.goto(f"{base}/")
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true"):
        page.evaluate("htmx.trigger(document.body, 'balances-stale')")

    staff = UserFactory(is_staff=True, is_superuser=True, username="ops")
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.locator("#id_username").fill(staff.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    expect(page).to_have_url(f"{base}/admin/")

    assert watch.violations() == [], watch.messages


def test_a_customer_adds_a_passkey_and_signs_in_with_it(page: Page, live_server):
    base = live_server.url
    watch = ConsoleWatch(page)
    user = customer("ana@example.com")
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    sign_in_with_password(page, base, "ana@example.com")
    page.goto(f"{base}/accounts/2fa/")
    expect(page.get_by_text("Chaves de segurança")).to_be_visible()
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    if "/reauthenticate/" in page.url:  # allauth asks for the password again first
        page.get_by_label("Senha", exact=True).fill(PASSWORD)
        page.locator("form button[type=submit]").last.click()
        expect(page).to_have_url(f"{base}/accounts/2fa/webauthn/add/")
    page.locator("#id_passwordless").check()
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    key = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().is_passwordless
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.MFA_CHANGED, actor=user, detail__type="webauthn"
    ).exists()

    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.get_by_role("button", name="Usar uma chave de acesso").click()
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Olá, Maria Souza Santos")
    assert watch.violations() == [], watch.messages
