"""Customer sign-up through allauth with CustomerSignupForm (CPF / CNPJ), by the test client."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from validate_docbr import CPF

from apps.accounts.models import Customer
from apps.core import roles
from apps.core.models import User
from tests.factories.users import CustomerFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Quiet-Harbour-Lantern-58"
ALNUM_CNPJ = "12.ABC.345/01DE-35"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth keeps rate-limit counters (sign-ups per IP, emails per address) in the cache."""
    cache.clear()
    yield
    cache.clear()


def formatted_cpf() -> str:
    return CPF().generate(mask=True)


def signup_data(**overrides) -> dict:
    data = {
        "full_name": "Maria  da Silva ",
        "tax_id": formatted_cpf(),
        "email": "maria@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def signup(client, **overrides):
    return client.post(reverse("account_signup"), signup_data(**overrides))


def verification_link(message) -> str:
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def test_signup_page_is_in_portuguese_by_default(client):
    response = client.get(reverse("account_signup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="pt-br">' in html
    assert "Abra sua conta" in html
    assert "CPF ou CNPJ" in html
    assert "Nome completo" in html


def test_valid_cpf_creates_user_customer_and_unverified_email(client):
    cpf = formatted_cpf()
    response = signup(client, tax_id=cpf)

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get(email="maria@example.com")
    assert user.full_name == "Maria da Silva"
    assert user.groups.filter(name=roles.CUSTOMER).exists()
    customer = Customer.objects.get(user=user)
    assert customer.kind == Customer.Kind.PERSON
    assert customer.full_name == "Maria da Silva"
    assert customer.tax_id == re.sub(r"\D", "", cpf)
    assert customer.state == Customer.State.PENDING
    address = EmailAddress.objects.get(user=user)
    assert address.email == "maria@example.com"
    assert address.primary
    assert not address.verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["maria@example.com"]
    assert mail.outbox[0].subject.startswith("[Athena Pay]")
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    # Not signed in: verification is mandatory.
    assert "_auth_user_id" not in client.session


def test_alphanumeric_cnpj_creates_a_company(client):
    response = signup(client, full_name="Padaria Pão Quente Ltda", tax_id=ALNUM_CNPJ.lower())

    assert response.status_code == 302
    customer = Customer.objects.get(user__email="maria@example.com")
    assert customer.kind == Customer.Kind.COMPANY
    assert customer.tax_id == "12ABC34501DE35"
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("tax_id", ["111.111.111-11", "00000000000"])
def test_repeated_digit_cpf_is_rejected(client, tax_id):
    response = signup(client, tax_id=tax_id)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error("tax_id", code="invalid")
    assert "os dígitos não podem ser todos iguais" in response.content.decode()
    assert not User.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize("tax_id", ["123.456.789-00", "12.ABC.345/01DE-36", "123", "abc"])
def test_invalid_document_is_rejected(client, tax_id):
    response = signup(client, tax_id=tax_id)

    assert response.status_code == 200
    assert response.context["form"].has_error("tax_id", code="invalid")
    assert "Informe um CPF (11 dígitos) ou CNPJ (14 caracteres) válido" in (
        response.content.decode()
    )
    assert not User.objects.exists()


def test_duplicate_cpf_is_rejected(client):
    existing = CustomerFactory()
    digits = existing.tax_id
    punctuated = f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"

    response = signup(client, tax_id=punctuated, email="other@example.com")

    assert response.status_code == 200
    assert response.context["form"].has_error("tax_id", code="taken")
    assert "Este CPF ou CNPJ já está cadastrado" in response.content.decode()
    assert not User.objects.filter(email="other@example.com").exists()
    assert Customer.objects.count() == 1
    assert not mail.outbox


def test_duplicate_found_only_at_save_time_leaves_no_user_behind(client, monkeypatch):
    """A concurrent sign-up with the same document passes clean() and fails in the service."""
    existing = CustomerFactory()
    monkeypatch.setattr("apps.accounts.forms.customer_tax_id_taken", lambda tax_id: False)

    response = signup(client, tax_id=existing.tax_id, email="racer@example.com")

    assert response.status_code == 200
    assert "Este CPF ou CNPJ já está cadastrado" in response.content.decode()
    assert not User.objects.filter(email="racer@example.com").exists()
    assert not EmailAddress.objects.filter(email="racer@example.com").exists()
    assert not mail.outbox


def test_full_name_is_required(client):
    response = signup(client, full_name="  ")

    assert response.status_code == 200
    assert response.context["form"].has_error("full_name")
    assert not User.objects.exists()


def test_login_before_verification_does_not_give_access(client):
    signup(client)
    mail.outbox.clear()

    response = client.post(
        reverse("account_login"), {"login": "maria@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    home = client.get(reverse("portal:home"))
    assert home.status_code == 302
    assert home.url.startswith(reverse("account_login"))


def test_after_verification_the_customer_signs_in_and_is_greeted(client):
    signup(client)
    link = verification_link(mail.outbox[0])
    path = "/" + link.split("/", 3)[3]

    confirm_page = client.get(path)
    assert confirm_page.status_code == 200
    assert "maria@example.com" in confirm_page.content.decode()
    confirmed = client.post(path)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="maria@example.com").verified

    response = client.post(
        reverse("account_login"),
        {"login": "maria@example.com", "password": PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("portal:home")
    html = response.content.decode()
    assert "Olá, Maria da Silva" in html
    assert reverse("mfa_index") in html
    assert "***." in html  # the CPF is shown masked, never whole
