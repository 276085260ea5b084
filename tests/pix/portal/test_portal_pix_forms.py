"""The Pix send form checks what it can before the confirmation, and the confirmation shows
fixed values it verifies (issue #16, item 4); the keys page reveals and copies a key.

The first step asks the same checks the confirmation's transaction asks (the money gate:
limits, the night window, the KYC level; the ledger's floor: the available balance) and
writes nothing; a refusal is an error on the amount naming what is available or left, money
as "R$ 1.000,00". The confirmation has no input that changes what is paid: its values come
back signed, and a POST whose signed values are not the ones shown is refused.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from apps.accounts import services as account_services
from apps.accounts.models import JournalEntry, Posting
from apps.core.forms import CONFIRMATION_SALT
from apps.core.timezones import BRASILIA
from apps.pix import adapters
from apps.pix.keys import services as pix_services
from apps.pix.models import PixKey, PixTransfer
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import person
from tests.support.pix_payments import set_kyc
from tests.support.portal_confirm import confirm, shown_of

pytestmark = pytest.mark.django_db

SEND = reverse("portal:pix:send")
KEYS = reverse("portal:pix:keys")
# A Wednesday in Brasilia: the night window (20:00-06:00) and the day around it.
NIGHT_START = dt.datetime(2026, 12, 2, 20, 1, tzinfo=BRASILIA)
NIGHT_END = dt.datetime(2026, 12, 3, 5, 59, tzinfo=BRASILIA)
MORNING = dt.datetime(2026, 12, 3, 6, 1, tzinfo=BRASILIA)


@pytest.fixture(autouse=True)
def _quiet_outside_world(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    settings.OUTBOX_KICK_ON_COMMIT = False
    adapters.sms_outbox.clear()


def customer_account(name: str, amount_cents: int = 0, *, level: int = 0):
    return set_kyc(funded_account(amount_cents, customer=person(name)), level)


def cpf_key(account) -> str:
    pix_services.key_register(
        account=account, key_type="CPF", key=account.customer.tax_id, actor=None
    )
    return account.customer.tax_id


def signed_in(account) -> Client:
    client = Client()
    client.force_login(account.customer.user)
    return client


def send_data(account, key: str, amount: str, **fields) -> dict:
    return {
        "source": account.pk,
        "method": "key",
        "key": key,
        "brcode": "",
        "amount": amount,
        "description": "",
        **fields,
    }


def written() -> tuple[int, int, int]:
    """Rows a payment would write: Pix, journal entries, postings."""
    return PixTransfer.objects.count(), JournalEntry.objects.count(), Posting.objects.count()


def amount_error(response) -> str:
    assert response.status_code == 422, response.status_code
    errors = response.context["form"].errors
    assert "amount" in errors, errors
    assert 'id="id_amount_error"' in response.content.decode()
    return errors["amount"][0]


# --- The first step --------------------------------------------------------------------


def test_an_amount_above_the_available_balance_is_refused_on_the_first_step():
    maria = customer_account("Maria Souza Lima", 40_000)
    joao = customer_account("João Pereira Santos")
    key = cpf_key(joao)
    account_services.hold_place(account_id=maria.pk, amount_cents=5_000, reason="card")
    client = signed_in(maria)
    before = written()

    error = amount_error(client.post(SEND, send_data(maria, key, "350,01")))

    assert "R$ 350,00" in error  # the balance minus the hold, as Brazilians write it
    assert written() == before
    assert not client.session.get("portal_pending_pix")
    assert client.post(SEND, send_data(maria, key, "350,00")).status_code == 302


def test_an_amount_above_the_daily_kyc_limit_is_refused_on_the_first_step():
    maria = customer_account("Maria Souza Lima", 100_000, level=0)
    joao = customer_account("João Pereira Santos")
    key = cpf_key(joao)
    client = signed_in(maria)
    before = written()

    error = amount_error(client.post(SEND, send_data(maria, key, "500,01")))

    assert "R$ 500,00" in error  # level 0's daily Pix limit, and what is left of it
    assert "R$ 5.000,00" in error  # what level 1 would allow: how to raise it
    assert written() == before
    assert not client.session.get("portal_pending_pix")


@pytest.mark.parametrize("moment", [NIGHT_START, NIGHT_END], ids=["20:01", "05:59"])
def test_the_night_limit_is_refused_on_the_first_step(moment):
    with time_machine.travel(moment, tick=False):
        maria = customer_account("Maria Souza Lima", 500_000, level=1)
        joao = customer_account("João Pereira Santos")
        key = cpf_key(joao)
        client = signed_in(maria)  # level 1: R$ 5.000,00 a day, R$ 1.000,00 at night
        before = written()

        error = amount_error(client.post(SEND, send_data(maria, key, "1.000,01")))

        assert "R$ 1.000,00" in error  # BACEN's default night limit, all of it left tonight
        assert "20:00" in error and "06:00" in error  # the window, in Brasilia time
        assert written() == before
        assert not client.session.get("portal_pending_pix")
        assert client.post(SEND, send_data(maria, key, "1.000,00")).status_code == 302


def test_by_day_the_night_limit_does_not_apply():
    with time_machine.travel(MORNING, tick=False):
        maria = customer_account("Maria Souza Lima", 500_000, level=1)
        key = cpf_key(customer_account("João Pereira Santos"))
        response = signed_in(maria).post(SEND, send_data(maria, key, "1.000,01"))
        assert response.status_code == 302


def test_a_blocked_account_is_said_on_the_first_step():
    from apps.core.fsm import apply_transition

    maria = customer_account("Maria Souza Lima", 40_000)
    key = cpf_key(customer_account("João Pereira Santos"))
    apply_transition(maria, "block_debit", reason="court order")
    response = signed_in(maria).post(SEND, send_data(maria, key, "10"))
    assert response.status_code == 422
    assert response.context["form"].non_field_errors()
    assert written()[0] == 0


def test_a_scheduled_pix_is_judged_on_its_day_not_on_the_first_step():
    with time_machine.travel(MORNING, tick=False):
        poor = customer_account("Ana Lima Costa", 100)
        key = cpf_key(customer_account("João Pereira Santos"))
        data = send_data(poor, key, "50", scheduled_for="2026-12-10")
        client = signed_in(poor)
        url = client.post(SEND, data).url
        assert confirm(client, url).status_code == 302
        assert PixTransfer.objects.get().state == PixTransfer.State.SCHEDULED


# --- The confirmation ------------------------------------------------------------------


def test_the_confirmation_shows_fixed_values_and_no_input_but_its_signed_values():
    maria = customer_account("Maria Souza Lima", 40_000)
    key = cpf_key(customer_account("João Pereira Santos"))
    client = signed_in(maria)
    url = client.post(SEND, send_data(maria, key, "123,45")).url

    html = client.get(url).content.decode()

    assert 'data-testid="amount"><strong>R$ 123,45</strong>' in html
    assert 'name="amount"' not in html and 'name="scheduled_for"' not in html
    form = re.search(rf'<form[^>]*action="{url}".*?</form>', html, re.S).group(0)
    assert re.findall(r'<input[^>]*name="([^"]+)"', form) == ["csrfmiddlewaretoken", "shown"]
    assert re.search(r'name="shown"[^>]*type="hidden"|type="hidden" name="shown"', form)
    assert "<textarea" not in form and "<select" not in form


def _forged(shown: str, **changes) -> str:
    """The signed values read back (they are readable), changed, and signed without the key."""
    data = signing.loads(shown, salt=CONFIRMATION_SALT)
    data["values"].update(changes)
    return signing.dumps(data, salt=CONFIRMATION_SALT, key="not-the-server-secret")


def test_a_tampered_confirmation_is_refused_and_sends_nothing():
    maria = customer_account("Maria Souza Lima", 40_000)
    key = cpf_key(customer_account("João Pereira Santos"))
    client = signed_in(maria)
    url = client.post(SEND, send_data(maria, key, "10")).url
    other_url = client.post(SEND, send_data(maria, key, "1")).url
    shown = shown_of(client.get(url).content.decode())
    payload, signature = shown.rsplit(":", 1)
    attempts = [
        {},  # no signed values at all
        {"shown": ""},
        {"shown": f"{payload}:{signature[:-2]}xx"},  # the signature altered
        {"shown": _forged(shown, amount=1)},  # the amount changed and signed by someone else
        {"shown": shown_of(client.get(other_url).content.decode())},  # another Pix's page
        {"shown": shown, "amount": "1,00"},  # the right values, with an amount added: ignored
    ]
    for data in attempts[:-1]:
        response = client.post(url, data)
        assert response.status_code == 400, data
        assert response.context["form"].non_field_errors(), data
        assert PixTransfer.objects.count() == 0, data
        # The page shows the values again, signed afresh: the customer may confirm them.
        assert shown_of(response.content.decode())
    assert balance_of(maria.pk) == (40_000, 40_000)

    assert client.post(url, attempts[-1]).status_code == 302
    assert PixTransfer.objects.get().amount == 1_000


# --- Keys: reveal and copy ---------------------------------------------------------------


def test_a_customer_reveals_and_can_copy_her_own_keys_which_stay_masked_otherwise():
    maria = customer_account("Maria Souza Lima", 0)
    cpf = cpf_key(maria)
    evp = pix_services.key_register(account=maria, key_type="EVP", key=None, actor=None)
    evp.refresh_from_db()
    client = signed_in(maria)

    page = client.get(KEYS).content.decode()
    assert evp.key not in page and cpf not in page  # masked until she asks
    assert reverse("portal:pix:key_reveal", args=[evp.pk]) in page

    revealed = client.post(reverse("portal:pix:key_reveal", args=[evp.pk]))
    assert revealed.status_code == 200
    assert "no-store" in revealed["Cache-Control"]
    html = revealed.content.decode()
    assert f'data-testid="key-full-{evp.pk}">{evp.key}<' in html
    assert f'data-copy-target="pix-key-{evp.pk}"' in html and 'role="status"' in html
    assert cpf not in html  # only the key she asked for

    cpf_pk = PixKey.objects.get(key_type="CPF").pk
    html = client.post(reverse("portal:pix:key_reveal", args=[cpf_pk])).content.decode()
    assert cpf in html and evp.key not in html
    assert client.get(reverse("portal:pix:key_reveal", args=[evp.pk])).status_code == 405


def test_another_customers_key_cannot_be_revealed():
    maria = customer_account("Maria Souza Lima", 0)
    cpf_key(maria)
    pix_key = PixKey.objects.get(account=maria)
    joao = customer_account("João Pereira Santos")
    response = signed_in(joao).post(reverse("portal:pix:key_reveal", args=[pix_key.pk]))
    assert response.status_code == 404
    assert maria.customer.tax_id not in response.content.decode()


def test_the_receipt_offers_to_copy_the_end_to_end_id():
    maria = customer_account("Maria Souza Lima", 40_000)
    key = cpf_key(customer_account("João Pereira Santos"))
    client = signed_in(maria)
    receipt = confirm(client, client.post(SEND, send_data(maria, key, "10")).url)
    html = client.get(receipt.url).content.decode()
    transfer = PixTransfer.objects.get()
    assert f'id="pix-e2e" data-testid="end-to-end-id">{transfer.end_to_end_id}<' in html
    assert 'data-copy-target="pix-e2e"' in html and "js/copy.js" in html
