"""The reader's language (apps.core.i18n): messages translated when read, the language a
customer chose remembered on the user (at sign-up and in the language switch)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from validate_docbr import CPF

from apps.accounts.models import Customer
from apps.core.errors import Conflict
from apps.core.fsm import InvalidTransition, apply_transition
from apps.core.i18n import in_language_of, lazy_format, supported_language, user_language
from apps.core.models import User
from tests.factories.customers import person
from tests.factories.users import UserFactory

PASSWORD = "Quiet-Harbour-Lantern-58"


# --- Messages translated when read ---------------------------------------------------------


def test_a_lazy_message_with_parameters_reads_in_the_language_active_when_read():
    message = lazy_format(_("The hold is already %(state)s."), {"state": _("released")})
    with translation.override("pt-br"):
        portuguese = str(message)
    with translation.override("en"):
        english = str(message)
    assert english == "The hold is already released."
    assert portuguese.startswith("O bloqueio já está") and "released" not in portuguese


def test_a_domain_error_is_raised_once_and_read_in_each_readers_language():
    with translation.override("en"):  # raised in one language...
        error = Conflict(_("The hold is already %(state)s."), params={"state": _("released")})
    with translation.override("pt-br"):  # ...read in another
        assert error.message.startswith("O bloqueio já está")
        assert str(error) == error.message
    with translation.override("en"):
        assert error.message == "The hold is already released."
    assert isinstance(error.message, str)  # plain text for JSON columns and payloads


@pytest.mark.django_db
def test_an_impossible_transition_names_the_model_and_state_never_codes():
    customer = person()
    apply_transition(customer, "activate", by="test")
    apply_transition(customer, "block", by="test", reason="fraud suspicion")
    with pytest.raises(InvalidTransition) as caught:
        apply_transition(customer, "block", by="test")
    with translation.override("en"):
        assert caught.value.message == "Not possible while the customer is “blocked”."
    with translation.override("pt-br"):
        text = caught.value.message
    assert text.startswith("Não é possível") and "cliente" in text and "blocked" not in text
    assert caught.value.value == "block"  # the transition's name stays for the API


# --- The customer's language ----------------------------------------------------------------


def test_language_codes_are_matched_to_the_projects():
    assert supported_language("pt-BR") == "pt-br"
    assert supported_language("pt_BR") == "pt-br"
    assert supported_language("en-us") == "en"
    assert supported_language("de") is None
    assert supported_language("") is None


@pytest.mark.django_db
def test_a_user_reads_the_stored_language_or_the_default():
    user = UserFactory()
    assert user_language(user) == "pt-br"
    user.language = "en"
    assert user_language(user) == "en"
    with in_language_of(user):
        assert translation.get_language() == "en"
    user.language = "xx"  # unknown: the default
    assert user_language(user) == "pt-br"


@pytest.mark.django_db
def test_the_language_switch_remembers_the_choice_on_a_signed_in_user(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    user.refresh_from_db()
    assert user.language == "en"
    client.post(reverse("set_language"), {"language": "klingon", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"  # an unknown language changes nothing


@pytest.mark.django_db
def test_the_language_switch_works_signed_out_too(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"


@pytest.fixture
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize(("cookie", "stored"), [(None, "pt-br"), ("en", "en")])
def test_sign_up_stores_the_language_it_was_made_in(client, _fresh_rate_limits, cookie, stored):
    if cookie:
        client.cookies["django_language"] = cookie
    email = f"signup-{stored}@example.com"
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Maria da Silva",
            "tax_id": CPF().generate(mask=True),
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email=email)
    assert user.language == stored
    assert Customer.objects.filter(user=user).exists()
    # The address confirmation is written in that language.
    assert mail.outbox, "no confirmation e-mail"
    subject = mail.outbox[-1].subject
    if stored == "en":
        assert "Please Confirm Your Email Address" in subject
    else:
        assert "confirme seu endereço de e-mail" in subject
