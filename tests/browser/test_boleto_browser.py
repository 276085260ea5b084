"""The portal's boleto pages in a real browser (Debian's Chromium, live_server over WSGI).

1. Maria pastes the linha of a boleto another bank registered against her CPF, with the
   dots and spaces it has on paper, sees the beneficiary and the amount, confirms and gets
   the receipt; her balance drops once.
2. Ana issues a boleto and sees its linha on the detail page, with the copy button the
   external script reveals (no inline script: the CSP allows none).

Pages are driven by element ids, names and test ids rather than by their texts: the texts
are translated (pt-BR first).
"""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from apps.accounts.models import Account
from apps.boleto.codecs.codes import format_linha, linha_from_barcode
from apps.boleto.models import Boleto, BoletoPayment
from apps.core.fsm import apply_transition
from apps.core.timezones import brasilia_today
from apps.simulators.cip.simulator import register_third_party_boleto
from tests.factories.customers import new_cnpj
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
    settings.OUTBOX_KICK_ON_COMMIT = False


def customer_with_account(full_name: str, email: str, amount_cents: int) -> Account:
    """A signed-up customer: verified e-mail (allauth), active, one funded account."""
    user = UserFactory(email=email, full_name=full_name)
    customer = CustomerFactory(user=user, full_name=full_name)
    apply_transition(customer, "activate", reason="KYC approved")
    # Verified after the activation, or the onboarding screening opens an account of its own.
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return funded_account(amount_cents, customer=customer)


def sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()
    expect(page).to_have_url(f"{base_url}/")


def test_maria_pastes_a_linha_with_dots_and_spaces_confirms_and_gets_the_receipt(
    page: Page, live_server
):
    maria = customer_with_account("Maria Souza Santos", "maria@example.com", 100_000)
    title = register_third_party_boleto(
        bank_code="341",
        beneficiary_name="Escola Aprender Ltda",
        beneficiary_tax_id=new_cnpj(),
        payer_name=maria.customer.full_name,
        payer_tax_id=maria.customer.tax_id,
        amount_cents=32_150,
        due_date=brasilia_today() + dt.timedelta(days=10),
    )
    linha = format_linha(linha_from_barcode(title.barcode))
    assert "." in linha and " " in linha
    base = live_server.url

    sign_in(page, base, "maria@example.com")
    page.locator('.site-nav a[href="/boletos/"]').click()
    expect(page).to_have_url(f"{base}/boletos/")
    page.locator("#id_code").fill(f"  {linha} ")
    page.locator("form.boleto-pay button[type=submit]").click()

    # The confirmation: what CIP says; nothing has moved yet.
    expect(page.get_by_test_id("beneficiary")).to_have_text("Escola Aprender Ltda")
    expect(page.get_by_test_id("amount")).to_have_text("R$ 321,50")
    expect(page.get_by_test_id("linha")).to_have_text(linha)
    assert balance_of(maria.pk) == (100_000, 100_000)
    page.locator("form.boleto-confirm button[type=submit]").click()

    payment = BoletoPayment.objects.get()
    expect(page.get_by_test_id("payment-id")).to_have_text(str(payment.public_id))
    expect(page.get_by_test_id("amount")).to_have_text("R$ 321,50")
    expect(page.locator('[data-testid="state"].pix-state--paid')).to_have_count(1)
    assert payment.state == BoletoPayment.State.PAID
    assert balance_of(maria.pk) == (67_850, 67_850)

    # Back to the confirmation and a reload: nothing is paid twice.
    page.go_back()
    page.reload()
    expect(page.get_by_test_id("payment-id")).to_have_text(str(payment.public_id))
    assert BoletoPayment.objects.count() == 1
    assert balance_of(maria.pk) == (67_850, 67_850)


def test_ana_issues_a_boleto_and_sees_its_linha(page: Page, live_server):
    customer_with_account("Ana Paula Ferreira", "ana@example.com", 0)
    base = live_server.url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)

    sign_in(page, base, "ana@example.com")
    page.goto(f"{base}/boletos/issue/")
    page.locator("#id_payer_name").fill("João Pereira Lima")
    page.locator("#id_payer_tax_id").fill("529.982.247-25")
    page.locator("#id_amount").fill("1.250,00")
    page.locator("#id_due_date").fill((brasilia_today() + dt.timedelta(days=15)).isoformat())
    page.locator("#id_fine_percent").fill("2,00")
    page.locator("#id_interest_monthly_percent").fill("1,00")
    page.locator("#id_seu_numero").fill("NF-77")
    page.locator("form.boleto-issue button[type=submit]").click()

    expect(page.get_by_test_id("linha")).to_be_visible()
    boleto = Boleto.objects.get()
    expect(page).to_have_url(f"{base}/boletos/issued/{boleto.public_id}/")
    expect(page.get_by_test_id("linha")).to_have_value(format_linha(boleto.linha))
    expect(page.get_by_test_id("amount")).to_have_text("R$ 1.250,00")

    copy = page.locator('[data-copy-target="boleto-linha"]')
    expect(copy).to_be_visible()  # shown by the external script: the page can copy
    copy.click()
    expect(page.locator("#boleto-copy-status")).not_to_be_empty()
    assert page.evaluate("navigator.clipboard.readText()") == format_linha(boleto.linha)
