"""The customer portal's card pages (Django test client, real database and services).

Pages are read in pt-BR (the default language) unless a test asks for English. Every
refusal a customer can cause is a form error on its field (400/422) or a message, never a
500; another customer's card does not exist (404). A virtual card's PAN, expiry and CVV2
appear only in the answer to a reveal made right after a second factor (allauth.mfa's
reauthentication), which no cache may keep.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Customer
from apps.cards import services
from apps.cards.models import Authorization, Card
from apps.core.models import AuditEvent
from tests.factories.customers import person
from tests.factories.ledger import funded_account
from tests.support.cards import cardholder, purchase
from tests.support.cards_portal import PASSWORD, signed_in, totp_code, totp_on

pytestmark = pytest.mark.django_db

LIST = reverse("portal:cards:list")
ISSUE = reverse("portal:cards:issue")
MFA_REAUTH = reverse("mfa_reauthenticate")


def url(name: str, card: Card, *args) -> str:
    return reverse(f"portal:cards:{name}", args=[card.public_id, *args])


def errors_of(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="alert alert--error form-errors".*?</div>', html, re.S)
    assert match, "no form errors on the page"
    return match.group(0)


def grouped(pan: str) -> str:
    return " ".join(pan[i : i + 4] for i in range(0, len(pan), 4))


# --- My cards, a new card ------------------------------------------------------------------


def test_a_customer_issues_a_virtual_card_then_a_physical_one_and_activates_it():
    account, issued = cardholder(50_000)
    client = signed_in(account)
    page = client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert issued.card.masked_pan in html
    assert issued.pan not in html
    expiry = f"{issued.expiry[2:]}/{issued.expiry[:2]}"
    assert f"válido até {expiry}" in html
    assert "Virtual" in html and "Ativo" in html

    assert client.get(ISSUE).status_code == 200
    done = client.post(ISSUE, {"account": account.pk, "kind": "virtual"})
    assert done.status_code == 302
    new = Card.objects.exclude(pk=issued.card.pk).get()
    assert done["Location"] == url("detail", new)
    assert new.state == Card.State.ACTIVE and new.kind == Card.Kind.VIRTUAL
    detail = client.get(done["Location"]).content.decode()
    assert new.masked_pan in detail and "pronto para usar" in detail

    client.post(ISSUE, {"account": account.pk, "kind": "physical"})
    physical = Card.objects.get(kind=Card.Kind.PHYSICAL)
    assert physical.state == Card.State.REQUESTED
    detail = client.get(url("detail", physical)).content.decode()
    assert 'data-testid="activate"' in detail
    assert 'data-testid="reveal"' not in detail  # a physical card's data is on the card
    assert client.post(url("activate", physical)).status_code == 302
    physical.refresh_from_db()
    assert physical.state == Card.State.ACTIVE
    # Activating twice is a message, not a 500.
    again = client.post(url("activate", physical), follow=True)
    assert again.status_code == 200
    assert "Só um cartão que chegou pode ser ativado" in again.content.decode()


def test_below_kyc_level_1_the_page_says_so_and_issuing_is_refused_in_pt_br():
    customer = person("Ana Beatriz Costa")
    account = funded_account(10_000, customer=customer)
    client = signed_in(account)
    page = client.get(ISSUE).content.decode()
    assert 'data-testid="cards-locked"' in page
    refused = client.post(ISSUE, {"account": account.pk, "kind": "virtual"})
    assert refused.status_code == 422
    assert "Cartões exigem verificação de identidade nível 1" in errors_of(refused)
    assert not Card.objects.exists()


def test_the_issue_form_errors_are_on_their_fields_in_pt_br():
    account, _issued = cardholder(0)
    client = signed_in(account)
    refused = client.post(ISSUE, {"account": account.pk, "kind": "golden"})
    assert refused.status_code == 400
    assert "Cartão</a>: Faça uma escolha válida" in errors_of(refused)


# --- Reveal after a fresh second factor ------------------------------------------------------


def test_reveal_without_two_factor_authentication_asks_to_turn_it_on_and_shows_nothing():
    account, issued = cardholder(0)
    client = signed_in(account)
    detail = client.get(url("detail", issued.card)).content.decode()
    assert "ative a autenticação em dois fatores" in detail
    refused = client.post(url("reveal", issued.card))
    assert refused.status_code == 403
    html = refused.content.decode()
    assert 'data-testid="needs-mfa"' in html
    assert issued.pan not in html and 'data-testid="cvv2"' not in html
    assert "no-store" in refused["Cache-Control"]


def test_reveal_asks_a_fresh_second_factor_and_only_then_shows_the_data_uncached():
    account, issued = cardholder(0)
    user = account.customer.user
    secret = totp_on(user)
    client = signed_in(account)
    reveal = url("reveal", issued.card)

    # A GET never reveals (the data answers a POST only).
    assert client.get(reveal).status_code == 405

    # No second factor yet: allauth's MFA reauthentication, the POST kept for later.
    asked = client.post(reveal)
    assert asked.status_code == 302
    assert asked["Location"].startswith(MFA_REAUTH)
    assert f"next={reveal}".replace("/", "%2F") in asked["Location"]
    assert issued.pan not in asked.content.decode()

    # The password again is not a second factor.
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD, "next": reveal})
    again = client.post(reveal)
    assert again.status_code == 302 and again["Location"].startswith(MFA_REAUTH)

    # A wrong code: the form again, nothing revealed.
    wrong = client.post(MFA_REAUTH, {"code": "000000", "next": reveal})
    assert wrong.status_code == 200
    assert issued.pan not in wrong.content.decode()
    assert not AuditEvent.objects.filter(detail__event="card.revealed").exists()

    # The right code: allauth replays the reveal, which answers the data at once.
    shown = client.post(MFA_REAUTH, {"code": totp_code(secret), "next": reveal})
    assert shown.status_code == 200
    html = shown.content.decode()
    assert f'data-testid="pan">{grouped(issued.pan)}<' in html
    assert f'data-testid="cvv2">{issued.cvv2}<' in html
    assert f'data-testid="expiry">{issued.expiry[2:]}/{issued.expiry[:2]}<' in html
    cache_control = shown["Cache-Control"]
    assert "no-store" in cache_control and "private" in cache_control
    assert shown["Pragma"] == "no-cache"

    # Recorded in the audit trail, by BIN + last four only.
    event = AuditEvent.objects.get(detail__event="card.revealed")
    assert event.detail["card"] == issued.card.masked_pan
    assert issued.pan not in str(event.detail)
    # Nothing of it stays in the session.
    session = client.session
    assert issued.pan not in str(dict(session.items()))

    # Within the window a second reveal needs no new code...
    second = client.post(reveal)
    assert second.status_code == 200 and grouped(issued.pan) in second.content.decode()
    # ...after it, the second factor is asked again.
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=121)):
        late = client.post(reveal)
    assert late.status_code == 302 and late["Location"].startswith(MFA_REAUTH)


def test_a_physical_card_or_an_ended_card_is_not_revealed():
    account, issued = cardholder(0, kind="physical")
    client = signed_in(account)
    totp_on(account.customer.user)
    response = client.post(url("reveal", issued.card))
    assert response.status_code == 302 and response["Location"] == url("detail", issued.card)


# --- Block, unblock, lost and stolen -------------------------------------------------------


def test_block_and_unblock():
    account, issued = cardholder(0)
    client = signed_in(account)
    card = issued.card
    assert 'data-testid="block"' in client.get(url("detail", card)).content.decode()
    assert client.post(url("block", card))["Location"] == url("detail", card)
    card.refresh_from_db()
    assert card.state == Card.State.BLOCKED
    page = client.get(url("detail", card)).content.decode()
    assert 'data-testid="unblock"' in page and "Bloqueado" in page
    # Blocking a blocked card is a message, not a 500.
    assert client.post(url("block", card)).status_code == 302
    client.post(url("unblock", card))
    card.refresh_from_db()
    assert card.state == Card.State.ACTIVE


@pytest.mark.parametrize("what", ["lost", "stolen"])
def test_lost_or_stolen_ends_the_card_and_shows_the_replacement(what):
    account, issued = cardholder(0)
    client = signed_in(account)
    card = issued.card
    services.card_controls_update(customer=None, card_id=card.pk, daily_limit=30_000)
    form = client.get(url("report", card))
    assert form.status_code == 200
    assert client.post(url("report", card), {}).status_code == 400
    done = client.post(url("report", card), {"what": what}, follow=True)
    card.refresh_from_db()
    assert card.state == what
    replacement = Card.objects.get(replaces=card)
    assert replacement.state == Card.State.ACTIVE and replacement.daily_limit == 30_000
    assert done.redirect_chain[-1][0] == url("detail", replacement)
    html = done.content.decode()
    assert f"Seu novo cartão é {replacement.masked_pan}" in html
    assert replacement.last4 in html
    old = client.get(url("detail", card)).content.decode()
    assert f'data-testid="replacement">{replacement.masked_pan}<' in old
    assert 'data-testid="block"' not in old and 'data-testid="reveal"' not in old


# --- Controls and PIN ------------------------------------------------------------------------


def test_controls_take_pt_br_amounts_groups_and_switches():
    account, issued = cardholder(0)
    client = signed_in(account)
    card = issued.card
    page = client.get(url("controls", card)).content.decode()
    for group in ("gambling", "crypto", "travel"):
        assert f'value="{group}"' in page
    done = client.post(
        url("controls", card),
        {
            "per_purchase_limit": "1.234,56",
            "daily_limit": "R$ 5.000",
            "blocked_mcc_groups": ["gambling", "crypto"],
            "online_enabled": "on",
            "abroad_enabled": "on",
        },
    )
    assert done.status_code == 302
    card.refresh_from_db()
    assert card.per_purchase_limit == 123_456 and card.daily_limit == 500_000
    assert card.blocked_mcc_groups == ["crypto", "gambling"]
    assert (card.online_enabled, card.contactless_enabled, card.abroad_enabled) == (
        True,
        False,
        True,
    )
    again = client.get(url("controls", card)).content.decode()
    assert 'value="1.234,56"' in again and 'value="5.000,00"' in again
    detail = client.get(url("detail", card)).content.decode()
    assert "R$ 1.234,56" in detail and "Apostas e jogos de azar" in detail

    # Empty limits: none of the card's own.
    client.post(url("controls", card), {"per_purchase_limit": "", "daily_limit": ""})
    card.refresh_from_db()
    assert card.per_purchase_limit is None and card.daily_limit is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"per_purchase_limit": "12,345"}, "Limite por compra (R$)", "Informe um valor como"),
        ({"daily_limit": "abc"}, "Limite diário (R$)", "Informe um valor como"),
        ({"per_purchase_limit": "0"}, "Limite por compra (R$)", "maior que zero"),
        ({"daily_limit": "2.000.000,00"}, "Limite diário (R$)", "no máximo R$ 1.000.000,00"),
        (
            {"per_purchase_limit": "500,00", "daily_limit": "100,00"},
            "Limite diário (R$)",
            "não pode ser menor que o limite por compra",
        ),
        ({"blocked_mcc_groups": ["casino"]}, "Bloquear compras em", "Faça uma escolha válida"),
    ],
)
def test_controls_errors_are_on_their_fields_in_pt_br(data, field, message):
    account, issued = cardholder(0)
    client = signed_in(account)
    refused = client.post(url("controls", issued.card), data)
    assert refused.status_code == 400
    errors = errors_of(refused)
    assert f"{field}</a>: " in errors and message in errors
    issued.card.refresh_from_db()
    assert issued.card.per_purchase_limit is None and issued.card.daily_limit is None


def test_controls_errors_read_in_english_for_an_english_reader():
    account, issued = cardholder(0)
    client = signed_in(account, language="en")
    refused = client.post(
        url("controls", issued.card), {"per_purchase_limit": "500,00", "daily_limit": "100,00"}
    )
    assert "The daily limit cannot be lower than the per-purchase limit." in errors_of(refused)


@pytest.mark.parametrize(
    ("pin", "confirm", "field", "message"),
    [
        ("12a4", "12a4", "Novo PIN", "O PIN tem exatamente quatro dígitos"),
        ("123", "123", "Novo PIN", "O PIN tem exatamente quatro dígitos"),
        ("4826", "4827", "Novo PIN de novo", "Os dois PINs não são iguais"),
        ("1234", "1234", "Novo PIN", "Escolha um PIN que não seja fácil de adivinhar"),
        ("7777", "7777", "Novo PIN", "Escolha um PIN que não seja fácil de adivinhar"),
    ],
)
def test_pin_errors_are_on_their_fields_in_pt_br(pin, confirm, field, message):
    account, issued = cardholder(0)
    client = signed_in(account)
    refused = client.post(url("pin", issued.card), {"pin": pin, "pin_confirm": confirm})
    assert refused.status_code in (400, 422)
    errors = errors_of(refused)
    assert f"{field}</a>: " in errors and message in errors
    assert f'value="{pin}"' not in refused.content.decode()  # never typed back
    issued.card.refresh_from_db()
    assert issued.card.pin_hash == ""


def test_pin_change():
    account, issued = cardholder(0)
    client = signed_in(account)
    page = client.get(url("pin", issued.card))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    done = client.post(url("pin", issued.card), {"pin": "4826", "pin_confirm": "4826"})
    assert done.status_code == 302
    issued.card.refresh_from_db()
    assert issued.card.pin_hash and "4826" not in issued.card.pin_hash


# --- Purchases ------------------------------------------------------------------------------


def test_purchases_show_merchant_mcc_amount_state_and_response_in_brasilia_time():
    account, issued = cardholder(10_000)
    at = dt.datetime(2026, 12, 8, 2, 30, tzinfo=dt.UTC)  # 23:30 on the 7th, BRT
    request = purchase(issued, 1_050)
    with time_machine.travel(at, tick=False):
        services.authorize(request)
    services.authorize(purchase(issued, 20_000, merchant_name="LOJA CARA", mcc="5732"))
    client = signed_in(account)
    html = client.get(url("transactions", issued.card)).content.decode()
    row = Authorization.objects.get(rrn=request.rrn)
    assert f'data-testid="purchase-{row.pk}"' in html
    assert "PADARIA TRES IRMAOS" in html and "Supermercado · MCC 5411" in html
    assert "07/12/2026 23:30" in html
    assert "-R$ 10,50" in html and "Aprovada" in html
    assert "LOJA CARA" in html and "Eletrônicos · MCC 5732" in html
    assert "Recusada: saldo insuficiente" in html
    assert issued.pan not in html
    english = signed_in(account, language="en").get(url("transactions", issued.card))
    assert "Declined: not enough balance" in english.content.decode()


def _flagged(issued) -> Authorization:
    services.authorize(purchase(issued, 1_000))
    row = Authorization.objects.filter(card=issued.card).latest("pk")
    Authorization.objects.filter(pk=row.pk).update(fraud_score=0.6, fraud_reasons=["new_device"])
    return row


def test_a_flagged_purchase_offers_it_was_me_and_others_do_not():
    account, issued = cardholder(10_000)
    flagged = _flagged(issued)
    services.authorize(purchase(issued, 500))
    plain = Authorization.objects.filter(card=issued.card).latest("pk")
    html = signed_in(account).get(url("transactions", issued.card)).content.decode()
    assert f'data-testid="it-was-me-{flagged.pk}"' in html
    assert f'data-testid="it-was-me-{plain.pk}"' not in html


@pytest.mark.skipif(
    importlib.util.find_spec("apps.cards.fraud.feedback") is None,
    reason="apps.cards.fraud.feedback (the fraud helper's authorization_confirm) not written yet",
)
def test_it_was_me_confirms_a_flagged_purchase():
    account, issued = cardholder(10_000)
    flagged = _flagged(issued)
    client = signed_in(account)
    done = client.post(url("it_was_me", issued.card, flagged.pk))
    assert done.status_code == 302 and done["Location"] == url("transactions", issued.card)
    flagged.refresh_from_db()
    assert flagged.customer_confirmed
    html = client.get(url("transactions", issued.card)).content.decode()
    assert f'data-testid="it-was-me-{flagged.pk}"' not in html
    assert 'data-testid="confirmed"' in html


# --- Someone else's card ----------------------------------------------------------------------


def test_another_customers_card_does_not_exist():
    _account, issued = cardholder(10_000)
    mallory, _own = cardholder(0, name="Mallory Nunes Dias")
    client = signed_in(mallory)
    card = issued.card
    services.authorize(purchase(issued, 100))
    row = Authorization.objects.get(card=card)
    for name in ("detail", "controls", "pin", "report", "transactions"):
        assert client.get(url(name, card)).status_code == 404, name
    for name in ("activate", "block", "unblock", "reveal", "controls", "pin", "report"):
        assert client.post(url(name, card)).status_code == 404, name
    assert client.post(url("it_was_me", card, row.pk)).status_code == 404
    # Her own card with someone else's purchase: 404 as well.
    assert client.post(url("it_was_me", _own.card, row.pk)).status_code == 404
    card.refresh_from_db()
    assert card.state == Card.State.ACTIVE
    assert client.get("/cards/not-a-uuid/").status_code == 404


def test_staff_without_a_customer_and_anonymous_visitors():
    from tests.factories.users import UserFactory

    anonymous = Client()
    assert anonymous.get(LIST)["Location"].startswith(reverse("account_login"))
    staff = Client()
    staff.force_login(UserFactory())
    assert staff.get(LIST)["Location"] == reverse("portal:home")  # not a customer
    assert staff.get(ISSUE)["Location"] == reverse("portal:home")
    assert not Customer.objects.exists()
