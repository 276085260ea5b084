"""The portal's loan pages in a real browser (Debian's Chromium, live_server over WSGI).

Maria (KYC level 2: an approved verification that declared her birth date) opens the loans
from the navigation, simulates R$ 5.000,00 in 6 installments and sees the schedule, applies
with those terms (prefilled) as a strong applicant (60 years old, 12 years in her job, her
own home, R$ 25.000,00 a month, a funded account), sees the decision with its reasons,
accepts the CCB, contracts, sees the money in her account and the running schedule. On a
390x844 phone screen no loan page scrolls sideways.

The clock is the real one (no date is asserted). Pages are driven by element ids, names and
test ids; the texts asserted are computed in pt-BR (the browser's language), so they hold
before and after the new strings are translated.
"""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.utils import translation
from django.utils.text import capfirst
from playwright.sync_api import Page, expect

from apps.accounts.models import Account
from apps.core.money import format_brl
from apps.loans import selectors
from apps.loans.models import Loan
from tests.factories.ledger import balance_of
from tests.support.loans import borrower

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "secret-pass-123"  # UserFactory's


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False


def strong_applicant(full_name: str, amount_cents: int) -> Account:
    """A borrower (tests.support.loans) who can sign in: a verified e-mail."""
    customer, account = borrower(
        balance_cents=amount_cents, name=full_name, birth=dt.date(1966, 5, 1)
    )
    user = customer.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return account


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


def in_pt_br(read):
    """What `read()` says in pt-BR, the browser's language (labels are read when called)."""
    with translation.override("pt-br"):
        return read()


def test_maria_simulates_applies_and_contracts_a_loan(page: Page, live_server):
    maria = strong_applicant("Maria Souza Santos", 3_000_000)
    base = live_server.url
    sign_in(page, base, maria.customer.user.email)
    page.locator('.site-nav a[href="/loans/"]').click()
    expect(page).to_have_url(f"{base}/loans/")

    # Simulate: the schedule at the reference rate.
    page.get_by_test_id("simulate").click()
    page.locator("#id_amount").fill("5.000,00")
    page.locator("#id_installments").fill("6")
    page.locator("#id_system").select_option("PRICE")
    page.locator("#id_due_day").fill("10")
    page.locator("form.loans-simulate button[type=submit]").click()
    expect(page.get_by_test_id("principal")).to_have_text("R$ 5.000,00")
    expect(page.locator('[data-testid="schedule"] tbody tr')).to_have_count(6)
    expect(page.get_by_test_id("released")).to_contain_text("R$ 4.")
    expect(page.get_by_test_id("cet")).to_contain_text("%")

    # Apply with these terms: they come prefilled; she declares the rest.
    page.get_by_test_id("apply-with-terms").click()
    expect(page.locator("#id_amount")).to_have_value("5000,00")
    expect(page.locator("#id_installments")).to_have_value("6")
    page.locator("#id_purpose").select_option("electronics")
    page.locator("#id_declared_income").fill("25.000,00")
    page.locator("#id_employment_years").fill("12")
    page.locator("#id_housing").select_option("own")
    page.locator("form.loans-apply button[type=submit]").click()

    # The decision and why.
    expect(page.get_by_test_id("decision")).to_be_visible()
    loan = Loan.objects.get()
    assert loan.state == Loan.State.APPROVED, (loan.refusal, loan.score, loan.reasons)
    expect(page).to_have_url(f"{base}/loans/{loan.public_id}/")
    expect(page.get_by_test_id("state")).to_have_text(capfirst(in_pt_br(loan.get_state_display)))
    expect(page.get_by_test_id("score")).to_have_text(str(loan.score))
    reasons = in_pt_br(lambda: selectors.reason_texts(loan.reasons))
    assert reasons
    expect(page.locator('[data-testid="reasons"] li')).to_have_text(reasons)
    expect(page.get_by_test_id("released")).to_have_text(format_brl(loan.released_cents))
    expect(page.locator('[data-testid="offer-schedule"] tbody tr')).to_have_count(6)

    # Contract: the CCB accepted, the money lands, the schedule runs.
    page.locator("#id_accept_ccb").check()
    page.get_by_test_id("contract").click()
    expect(page.locator('[data-testid="schedule"] tbody tr')).to_have_count(6)
    loan.refresh_from_db()
    assert loan.state == Loan.State.ACTIVE
    expect(page.get_by_test_id("state")).to_have_text(capfirst(in_pt_br(loan.get_state_display)))
    expect(page.locator(".messages")).to_contain_text(format_brl(loan.released_cents))
    expect(page.get_by_test_id("pay")).to_be_visible()
    expect(page.get_by_test_id("payoff")).to_be_visible()
    assert balance_of(maria.pk)[0] == 3_000_000 + loan.released_cents

    # On a 390x844 phone screen no loan page scrolls sideways (wide tables scroll inside).
    page.set_viewport_size({"width": 390, "height": 844})
    simulation = "simulate/?amount=5000&installments=48&system=SAC&due_day=10"
    for path in ("", simulation, "apply/", "model/", f"{loan.public_id}/"):
        page.goto(f"{base}/loans/{path}")
        no_sideways_scroll(page)
