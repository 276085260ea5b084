"""The portal shell: pt-BR by default, the English switch, static assets, the home page."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from apps.accounts.views import user_display
from tests.factories.users import CustomerFactory, UserFactory

LOCALE = Path(settings.BASE_DIR) / "locale" / "pt_BR" / "LC_MESSAGES"


def test_static_assets_are_vendored_not_fetched_from_a_cdn():
    for name in ("css/tokens.css", "css/portal.css", "vendor/htmx.min.js"):
        assert finders.find(name), name
    tokens = Path(finders.find("css/tokens.css")).read_text()
    assert "--color-brand:" in tokens
    base = (Path(settings.BASE_DIR) / "templates" / "base.html").read_text()
    assert "https://" not in base and "//cdn" not in base


def test_compiled_catalog_matches_the_po_file():
    """django.mo is committed: it must hold every translation of django.po."""
    po_text = (LOCALE / "django.po").read_text(encoding="utf-8")
    with (LOCALE / "django.mo").open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog

    def join(chunk: str) -> str:
        return "".join(ast.literal_eval(part) for part in re.findall(r'"(?:[^"\\]|\\.)*"', chunk))

    # gettext keys an entry with a context as "context\x04msgid".
    pattern = re.compile(
        r'^(?:msgctxt ((?:".*"\n)+))?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', re.MULTILINE
    )
    entries = {
        (join(ctx) + "\x04" if ctx else "") + join(mid): join(mstr)
        for ctx, mid, mstr in pattern.findall(po_text + "\n")
    }
    entries.pop("", None)  # the header
    assert len(entries) > 50
    assert entries["pix key state\x04cancelled"] == "cancelada"  # gender agrees in pt-BR
    assert entries["pix transfer state\x04cancelled"] == "cancelado"
    for msgid, msgstr in entries.items():
        assert msgstr, f"untranslated: {msgid!r}"
        assert catalog.get(msgid) == msgstr, f"django.mo is stale for {msgid!r}"


@pytest.mark.django_db
def test_pages_default_to_portuguese_and_switch_to_english(client):
    login_url = reverse("account_login")
    page = client.get(login_url).content.decode()
    assert '<html lang="pt-br">' in page
    assert "Entre na Athena Pay" in page
    assert 'aria-pressed="true">Português' in page

    response = client.post(reverse("set_language"), {"language": "en", "next": login_url})
    assert response.status_code == 302
    assert response.url == login_url

    page = client.get(login_url).content.decode()
    assert '<html lang="en">' in page
    assert "Sign in to Athena Pay" in page
    assert "Forgot your password?" in page


@pytest.mark.django_db
def test_home_requires_sign_in(client):
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=/"


@pytest.mark.django_db
def test_home_greets_the_customer_and_links_to_mfa_and_logout(client):
    customer = CustomerFactory(full_name="Ana Beatriz Souza", tax_id="52998224725")
    client.force_login(customer.user)

    response = client.get(reverse("portal:home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Olá, Ana Beatriz Souza" in html
    assert "***.982.247-**" in html
    assert "52998224725" not in html
    assert f'href="{reverse("mfa_index")}"' in html
    assert f'action="{reverse("account_logout")}"' in html
    assert "A autenticação de dois fatores está desativada." in html
    assert 'src="/static/vendor/htmx.min.js"' in html


@pytest.mark.django_db
def test_home_without_a_customer_profile_still_renders(client):
    user = UserFactory(full_name="Operador Interno")
    client.force_login(user)

    html = client.get(reverse("portal:home")).content.decode()

    assert "Olá, Operador Interno" in html
    assert "Não há cadastro de cliente vinculado a este acesso." in html


@pytest.mark.django_db
def test_user_display_is_the_full_name_or_the_email():
    assert user_display(UserFactory(full_name="Carla Dias")) == "Carla Dias"
    assert user_display(UserFactory(full_name="", email="x@example.com")) == "x@example.com"


@pytest.mark.django_db
def test_mfa_pages_use_the_portal_layout(client):
    client.force_login(CustomerFactory().user)

    html = client.get(reverse("mfa_index")).content.decode()

    assert 'class="site-header"' in html
    assert 'class="side-nav"' in html
    assert "Autenticação de dois fatores" in html
    for name in ("account_email", "account_change_password"):
        page = client.get(reverse(name))
        assert page.status_code == 200, name
        assert 'class="side-nav"' in page.content.decode()


@pytest.mark.django_db
def test_password_reset_pages_render_in_the_portal_layout(client, mailoutbox):
    from django.core.cache import cache

    cache.clear()  # allauth's rate limits live in the cache
    user = CustomerFactory().user

    page = client.get(reverse("account_reset_password")).content.decode()
    assert 'class="card card--entrance"' in page
    response = client.post(reverse("account_reset_password"), {"email": user.email})
    assert response.url == reverse("account_reset_password_done")
    assert "Enviamos um e-mail para você" in client.get(response.url).content.decode()

    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mailoutbox[0].body)
    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    assert 'name="password1"' in response.content.decode()

    new_password = "Granite-Meadow-Violin-91"
    response = client.post(
        response.redirect_chain[-1][0],
        {"password1": new_password, "password2": new_password},
        follow=True,
    )
    assert "Sua senha foi alterada." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(new_password)
    cache.clear()


@pytest.mark.django_db
def test_an_invalid_confirmation_link_says_so(client):
    response = client.get("/accounts/confirm-email/not-a-key/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="card card--entrance"' in html
    assert "expirou ou é inválido" in html


def test_cancelled_agrees_in_gender_with_what_was_cancelled():
    from django.utils import translation

    from apps.pix.models import InfractionReport, PixClaim, PixKey, PixTransfer

    with translation.override("pt-br"):
        assert str(PixKey.State.CANCELLED.label) == "cancelada"  # a chave
        assert str(PixClaim.State.CANCELLED.label) == "cancelada"  # a reivindicação
        assert str(PixTransfer.State.CANCELLED.label) == "cancelado"  # o Pix
        assert str(InfractionReport.State.CANCELLED.label) == "cancelada"  # a notificação
    with translation.override("en"):
        assert str(PixKey.State.CANCELLED.label) == "cancelled"
