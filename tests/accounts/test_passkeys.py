"""Passkeys (WebAuthn, allauth's MFA) beside TOTP: the settings, the sign-in page's passkey
button, the security page's offer and the add page, in pt-BR. The full ceremony runs in
Chromium with a virtual authenticator: tests/browser/test_security_browser.py."""

from __future__ import annotations

import json

import pytest
from allauth.mfa import app_settings as mfa_settings
from django.conf import settings
from django.urls import reverse

from tests.factories.users import CustomerFactory


def test_webauthn_is_offered_beside_totp():
    assert {"totp", "recovery_codes", "webauthn"} <= set(settings.MFA_SUPPORTED_TYPES)
    assert mfa_settings.PASSKEY_LOGIN_ENABLED
    assert not mfa_settings.PASSKEY_SIGNUP_ENABLED  # sign-up stays email + password
    # The origin check is skipped only in development and tests (http://localhost).
    assert mfa_settings.WEBAUTHN_ALLOW_INSECURE_ORIGIN is (settings.DEBUG or settings.TESTING)


@pytest.mark.django_db
def test_the_sign_in_page_offers_a_passkey(client):
    html = client.get(reverse("account_login")).content.decode()
    assert 'id="passkey_login"' in html and "Usar uma chave de acesso" in html
    assert f'<form id="mfa_login" action="{reverse("mfa_login_webauthn")}"' in html
    assert "mfa/js/webauthn.js" in html


@pytest.mark.django_db
def test_the_passkey_sign_in_starts_a_ceremony_without_a_user(client):
    response = client.get(reverse("mfa_login_webauthn"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    options = response.json()["request_options"]["publicKey"]
    assert options["challenge"]
    assert options["userVerification"] == "required"  # a passkey alone must verify the person
    assert options.get("allowCredentials", []) == []  # discoverable credentials


@pytest.mark.django_db
def test_the_security_page_offers_security_keys_in_portuguese(client):
    client.force_login(CustomerFactory().user)
    html = client.get(reverse("mfa_index")).content.decode()
    assert "Chaves de segurança" in html
    assert reverse("mfa_add_webauthn") in html
    home = client.get(reverse("portal:home")).content.decode()
    assert "chave de acesso" in home


@pytest.mark.django_db
def test_the_add_page_asks_the_browser_for_a_credential(client):
    client.force_login(CustomerFactory().user)
    # Adding a key asks for the password again first (allauth's reauthentication).
    add_url = reverse("mfa_add_webauthn")
    again = client.post(
        f"{reverse('account_reauthenticate')}?next={add_url}", {"password": "secret-pass-123"}
    )
    assert again.status_code == 302 and again["Location"] == add_url

    html = client.get(add_url).content.decode()

    assert 'id="mfa_webauthn_add"' in html
    assert 'name="passwordless"' in html  # the key may sign in alone (a passkey)
    data = html.split('<script id="js_data" type="application/json">')[1].split("</script>")[0]
    creation = json.loads(data)["creation_options"]["publicKey"]
    assert creation["rp"]["id"] == "testserver"
    assert creation["challenge"]
