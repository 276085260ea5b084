"""A customer opens an account in a real browser: sign-up with a CPF, email verification,
sign-in, TOTP activation, and a second sign-in that asks for the authenticator code."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Page, expect
from validate_docbr import CPF

from apps.accounts.models import Customer

pytestmark = [
    pytest.mark.browser,
    # serialized_rollback reloads what migrations wrote (role groups, seeded rows) before the
    # test, in case an earlier transactional test flushed the database.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

EMAIL = "joana.ribeiro@example.com"
PASSWORD = "Amber-Kettle-Orchard-73"
FULL_NAME = "Joana Ribeiro"


def totp_code(secret: str) -> str:
    """The code an authenticator app shows now, by allauth's own HOTP function.

    allauth accepts only the current period (MFA_TOTP_TOLERANCE = 0), so when the period is
    about to roll over, wait for the next one rather than submit a code about to expire.
    """
    period = mfa_settings.TOTP_PERIOD
    remaining = period - (time.time() % period)
    if remaining < 4:
        time.sleep(remaining + 0.5)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


def h1(page: Page):
    return page.get_by_role("heading", level=1)


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    expect(h1(page)).to_have_text("Entre na Athena Pay")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Entrar").click()


def test_customer_signs_up_verifies_email_enables_totp_and_signs_in_with_code(
    page: Page, live_server, locmem_email
):
    base = live_server.url
    cpf = CPF().generate(mask=True)

    # 1. Sign up with a CPF. The page is in Brazilian Portuguese.
    page.goto(f"{base}/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "pt-br")
    expect(h1(page)).to_have_text("Abra sua conta")
    # A repeated-digit CPF is refused with a message next to the field.
    page.get_by_label("Nome completo").fill(FULL_NAME)
    page.get_by_label("CPF ou CNPJ").fill("111.111.111-11")
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_label("Senha (novamente)").fill(PASSWORD)
    page.get_by_role("button", name="Criar conta").click()
    expect(page.locator("#id_tax_id_error")).to_have_text(
        "Este CPF não é válido: os dígitos não podem ser todos iguais."
    )
    expect(page.get_by_label("CPF ou CNPJ")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Nome completo").fill(FULL_NAME)
    page.get_by_label("CPF ou CNPJ").fill(cpf)
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_label("Senha (novamente)").fill(PASSWORD)
    page.get_by_role("button", name="Criar conta").click()

    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(h1(page)).to_have_text("Verifique seu endereço de e-mail")
    customer = Customer.objects.get(user__email=EMAIL)
    assert customer.kind == Customer.Kind.PERSON
    assert customer.tax_id == re.sub(r"\D", "", cpf)

    # 2. Signing in before verifying the email does not get into the portal.
    sign_in(page, base)
    expect(h1(page)).to_have_text("Verifique seu endereço de e-mail")
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))

    # 3. Follow the link from the verification email and confirm.
    assert len(locmem_email) >= 1
    message = locmem_email[0]
    assert message.to == [EMAIL]
    assert "Olá da Athena Pay!" in message.body  # sent in the language of the sign-up
    assert FULL_NAME in message.body
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    page.goto(link)
    expect(h1(page)).to_have_text("Confirmar endereço de e-mail")
    expect(page.get_by_text(EMAIL).first).to_be_visible()
    page.get_by_role("button", name="Confirmar").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("status")).to_contain_text(f"Você confirmou {EMAIL}")

    # 4. Sign in: the portal home greets the customer by name.
    sign_in(page, base)
    expect(page).to_have_url(f"{base}/")
    expect(page.get_by_role("status")).to_contain_text(f"Conectado com sucesso como {FULL_NAME}")
    expect(h1(page)).to_have_text(f"Olá, {FULL_NAME}")
    expect(page.get_by_text("A autenticação de dois fatores está desativada.")).to_be_visible()

    # 5. Turn on TOTP with the secret shown on the page.
    page.get_by_role("link", name="Ativar autenticação de dois fatores").click()
    expect(h1(page)).to_have_text("Autenticação de dois fatores")
    page.get_by_role("link", name="Ativar", exact=True).click()
    # allauth asks for the password again before a security change.
    expect(h1(page)).to_have_text("Confirmar acesso")
    page.get_by_label("Senha", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Confirmar").click()
    expect(h1(page)).to_have_text("Ativar aplicativo autenticador")
    expect(page.locator("img.qr")).to_be_visible()
    secret = page.get_by_label("Segredo do autenticador").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Código do autenticador").fill(totp_code(secret))
    page.get_by_role("button", name="Ativar").click()

    expect(h1(page)).to_have_text("Códigos de recuperação")
    codes = page.get_by_label("Códigos não utilizados").input_value().split()
    assert len(codes) == 10

    page.get_by_role("link", name="Início").click()
    expect(page.get_by_text("A autenticação de dois fatores está ativada.")).to_be_visible()

    # 6. Sign out.
    page.get_by_role("button", name="Sair").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("status")).to_contain_text("Você saiu.")

    # 7. Sign in again: the password is not enough, the authenticator code is asked for.
    sign_in(page, base)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(h1(page)).to_have_text("Autenticação de dois fatores")
    page.get_by_label("Código").fill("000000" if totp_code(secret) != "000000" else "111111")
    page.get_by_role("button", name="Entrar").click()
    expect(page.locator("#id_code_error")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))

    page.get_by_label("Código").fill(totp_code(secret))
    page.get_by_role("button", name="Entrar").click()

    expect(page).to_have_url(f"{base}/")
    expect(h1(page)).to_have_text(f"Olá, {FULL_NAME}")


def test_language_switch_to_english_and_back(page: Page, live_server):
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    expect(h1(page)).to_have_text("Entre na Athena Pay")
    expect(page.get_by_role("button", name="Português")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("button", name="English").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(h1(page)).to_have_text("Sign in to Athena Pay")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("link", name="Open an account").first.click()
    expect(h1(page)).to_have_text("Open your account")
    expect(page.get_by_label("CPF or CNPJ")).to_be_visible()

    page.get_by_role("button", name="Português").click()
    expect(h1(page)).to_have_text("Abra sua conta")
