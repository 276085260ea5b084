"""The customer portal's Pix pages (Django test client, real database and services).

Only the outside world is simulated, by the project's own simulators (DICT, SPI). Every
refusal a customer can cause must be a form error (400/422) with nothing changed, never a
500; another customer's Pix, key or refund does not exist (404).
"""

from __future__ import annotations

import base64
import io
import re
import threading
from datetime import timedelta

import pytest
import zxingcpp
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image

from apps.accounts.forms import parse_portal_amount
from apps.accounts.models import Customer
from apps.core.models import IdempotencyRecord
from apps.pix import adapters
from apps.pix.codecs.brcode import decode
from apps.pix.codecs.qr import qr_png
from apps.pix.codecs.qr_image import QRImageError, read_qr_texts
from apps.pix.keys import services as pix_services
from apps.pix.models import PixKey, PixLimitSettings, PixRefund, PixTransfer
from apps.pix.portal.forms import SendForm, pt_br_amount
from apps.pix.portal.selectors import static_code
from apps.pix.transfers.services.receive import pix_receive
from apps.pix.transfers.services.send import pix_send, pix_submit
from apps.simulators.spi.simulator import SpiSimulator
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import BB, company, new_cpf, person, sms_code
from tests.support.pix_transfers import key_elsewhere
from tests.support.portal_confirm import confirm, shown_of

pytestmark = pytest.mark.django_db

HOME = reverse("portal:pix:home")
SEND = reverse("portal:pix:send")
RECEIVE = reverse("portal:pix:receive")
KEYS = reverse("portal:pix:keys")
LIMITS = reverse("portal:pix:limits")
HISTORY = reverse("portal:pix:history")


@pytest.fixture(autouse=True)
def _quiet_outside_world(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    settings.OUTBOX_KICK_ON_COMMIT = False
    adapters.sms_outbox.clear()


def customer_account(name: str, amount_cents: int = 0, **kwargs):
    return funded_account(amount_cents, customer=person(name, **kwargs))


def cpf_key(account) -> str:
    pix_services.key_register(
        account=account, key_type="CPF", key=account.customer.tax_id, actor=None
    )
    return account.customer.tax_id


@pytest.fixture
def maria():
    return customer_account("Maria Souza Lima", 40_000)


@pytest.fixture
def joao():
    return customer_account("João Pereira Santos")


def signed_in(client: Client, account) -> Client:
    client.force_login(account.customer.user)
    return client


def pix_count() -> int:
    return PixTransfer.objects.count()


def send_data(account, **fields) -> dict:
    data = {
        "source": account.pk,
        "method": "key",
        "key": "",
        "brcode": "",
        "amount": "",
        "description": "",
    }
    return {**data, **fields}


def errors_of(response, form: str = "form") -> dict:
    return response.context[form].errors


def png_of(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --- Access ----------------------------------------------------------------------------


def test_every_pix_page_sends_strangers_to_sign_in(client):
    pages = [HOME, SEND, RECEIVE, KEYS, LIMITS, HISTORY]
    token = "6f1c0d56-8d64-4b57-9b0b-3a1b2c3d4e5f"
    pages += [reverse("portal:pix:detail", args=[1]), reverse("portal:pix:key_delete", args=[1])]
    pages += [reverse(f"portal:pix:send_{step}", args=[token]) for step in ("confirm", "receipt")]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("account_login")), url
    for name in ("refund", "cancel", "key_code", "key_resend"):
        response = client.post(reverse(f"portal:pix:{name}", args=[1]))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_every_pix_page_renders_for_a_customer(client, maria, joao):
    key = cpf_key(maria)
    pix_key = PixKey.objects.get(key=key)
    transfer = pix_send(account=maria, key=cpf_key(joao), amount_cents=1_000)
    signed_in(client, maria)
    pages = [
        HOME,
        SEND,
        RECEIVE,
        f"{RECEIVE}?key={pix_key.pk}&amount=10,00",
        KEYS,
        LIMITS,
        HISTORY,
        f"{HISTORY}?page=999",
        f"{HISTORY}?page=abc",
        reverse("portal:pix:detail", args=[transfer.pk]),
        reverse("portal:pix:key_delete", args=[pix_key.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert 'href="/pix/"' in html  # the Pix link in the main navigation
    assert 'aria-current="page">Pix</a>' in client.get(HOME).content.decode()


def test_a_customer_without_an_account_is_sent_home(client):
    customer = person("Sem Conta")
    client.force_login(customer.user)
    for url in (SEND, KEYS, LIMITS):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("portal:home"), url
    assert client.get(HOME).status_code == 200
    assert client.get(HISTORY).status_code == 200


# --- Send by key: form -> confirmation -> receipt --------------------------------------


def test_send_by_key_to_an_athena_customer_moves_money_only_on_confirm(client, maria, joao):
    key = cpf_key(joao)
    signed_in(client, maria)

    response = client.post(SEND, send_data(maria, key=key, amount="123,45", description="Almoço"))
    assert response.status_code == 302
    confirm_url = response.url
    page = client.get(confirm_url)
    assert page.status_code == 200
    page = page.content.decode()
    assert "João P. S." in page and "Pereira" not in page  # masked as payers see it
    assert f"***.{key[3:6]}.{key[6:9]}-**" in page  # masked CPF, twice: document and key
    assert "Athena Pay" in page
    assert "R$ 123,45" in page and 'name="amount"' not in page  # fixed text, no input
    assert pix_count() == 0 and balance_of(maria.pk) == (40_000, 40_000)

    shown = shown_of(page)
    response = client.post(confirm_url, {"shown": shown})
    assert response.status_code == 302
    receipt_url = response.url
    transfer = PixTransfer.objects.get()
    assert transfer.state == PixTransfer.State.SETTLED and transfer.internal
    assert transfer.amount == 12_345 and transfer.description == "Almoço"
    assert balance_of(maria.pk) == (40_000 - 12_345, 40_000 - 12_345)
    assert balance_of(joao.pk) == (12_345, 12_345)
    receipt = client.get(receipt_url)
    assert receipt.status_code == 200
    receipt = receipt.content.decode()
    assert transfer.end_to_end_id in receipt and "R$ 123,45" in receipt

    # The confirmation sent again (a reload of the POST, or Back then confirm) sends nothing.
    again = client.post(confirm_url, {"shown": shown})
    assert again.status_code == 302 and again.url == receipt_url
    assert client.get(confirm_url).url == receipt_url
    assert pix_count() == 1 and balance_of(joao.pk) == (12_345, 12_345)


def test_an_amount_posted_to_the_confirmation_is_ignored(client, maria, joao):
    key = cpf_key(joao)
    signed_in(client, maria)
    confirm_url = client.post(SEND, send_data(maria, key=key, amount="10")).url

    confirm(client, confirm_url, {"amount": "7,5"})

    assert PixTransfer.objects.get().amount == 1_000
    assert balance_of(joao.pk) == (1_000, 1_000)


def test_send_to_another_institution_shows_its_name_and_settles_after_commit(
    client, maria, django_capture_on_commit_callbacks
):
    key = key_elsewhere()  # Carlos, a customer of Banco do Brasil
    signed_in(client, maria)
    confirm_url = client.post(SEND, send_data(maria, key=key, amount="50")).url
    page = client.get(confirm_url).content.decode()
    assert "Carlos P. D." in page and "BCO DO BRASIL" in page.upper()

    with django_capture_on_commit_callbacks(execute=True):
        receipt_url = confirm(client, confirm_url).url
    transfer = PixTransfer.objects.get()
    assert transfer.state == PixTransfer.State.SETTLED and not transfer.internal
    assert transfer.counterparty_ispb == BB
    assert balance_of(maria.pk)[0] == 40_000 - 5_000
    receipt = client.get(receipt_url)
    assert transfer.end_to_end_id in receipt.content.decode()
    assert 'data-testid="state"' in receipt.content.decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"key": "abc", "amount": "10"}, "key"),
        ({"key": "", "amount": "10"}, "key"),
        ({"key": "111.111.111-11", "amount": "10"}, "key"),
        ({"key": "(11) 1234", "amount": "10"}, "key"),
        ({"key": "CPF", "amount": "0"}, "amount"),
        ({"key": "CPF", "amount": "abc"}, "amount"),
        ({"key": "CPF", "amount": "-5"}, "amount"),
        ({"key": "CPF", "amount": "99999999999999999999"}, "amount"),
        ({"key": "CPF", "amount": "10000000000,00"}, "amount"),
        ({"key": "CPF", "amount": ""}, "amount"),
        ({"method": "code", "brcode": ""}, "brcode"),
        ({"method": "code", "brcode": "not a code"}, "brcode"),
        ({"method": "code", "brcode": "000201" + "x" * 3000}, "brcode"),
        ({"method": "qr"}, "qr_image"),
        ({"method": "teleport", "key": "CPF", "amount": "1"}, "method"),
        ({"source": "999999", "key": "CPF", "amount": "1"}, "source"),
        ({"source": "abc", "key": "CPF", "amount": "1"}, "source"),
    ],
)
def test_bad_send_input_is_a_form_error_and_nothing_changes(client, maria, joao, fields, field):
    key = cpf_key(joao)
    data = send_data(maria, **fields)
    if data["key"] == "CPF":
        data["key"] = key
    signed_in(client, maria)

    response = client.post(SEND, data)

    assert response.status_code == 400
    assert field in errors_of(response)
    html = response.content.decode()
    assert 'role="alert"' in html and "autofocus" in html
    assert pix_count() == 0 and balance_of(maria.pk) == (40_000, 40_000)
    assert not client.session.get("portal_pending_pix")


def test_a_key_nobody_has_is_an_error_on_the_key_field(client, maria):
    signed_in(client, maria)
    response = client.post(SEND, send_data(maria, key=new_cpf(), amount="10"))
    assert response.status_code == 422
    assert "key" in errors_of(response)
    assert pix_count() == 0


def test_another_customers_account_cannot_be_the_source(client, maria, joao):
    key = cpf_key(maria)
    signed_in(client, joao)
    response = client.post(SEND, send_data(maria, key=key, amount="10"))
    assert response.status_code == 400 and "source" in errors_of(response)
    assert pix_count() == 0 and balance_of(maria.pk) == (40_000, 40_000)


@pytest.mark.parametrize(
    "day",
    ["2001-01-01", "31/02/2030", "amanhã", "2999-01-01"],
    ids=["past", "no-day", "text", "far"],
)
def test_a_bad_day_is_a_form_error_on_the_first_step(client, maria, joao, day):
    key = cpf_key(joao)
    signed_in(client, maria)

    response = client.post(SEND, send_data(maria, key=key, amount="10", scheduled_for=day))

    assert response.status_code == 400 and "scheduled_for" in errors_of(response)
    assert pix_count() == 0 and balance_of(maria.pk) == (40_000, 40_000)
    assert not client.session.get("portal_pending_pix")


def test_funds_gone_between_the_steps_are_refused_on_confirm_and_the_pix_stays_pending(
    client, joao
):
    """The first step checks the balance; the confirmation checks again under the lock."""
    poor = customer_account("Ana Lima Costa", 1_500)
    key = cpf_key(joao)
    signed_in(client, poor)
    confirm_url = client.post(SEND, send_data(poor, key=key, amount="10")).url
    pix_send(account=poor, key=key, amount_cents=1_000)  # another channel spends it meanwhile

    response = confirm(client, confirm_url)

    assert response.status_code == 422
    assert response.context["form"].non_field_errors()
    assert pix_count() == 1 and balance_of(poor.pk) == (500, 500)
    assert not IdempotencyRecord.objects.filter(key__startswith="pix:").exists()


def test_a_pix_scheduled_moves_nothing_and_can_be_cancelled_from_the_history(client, maria, joao):
    key = cpf_key(joao)
    signed_in(client, maria)
    day = timezone.localdate() + timedelta(days=3)
    data = send_data(maria, key=key, amount="20", scheduled_for=day.isoformat())
    confirm_url = client.post(SEND, data).url
    page = client.get(confirm_url).content.decode()
    assert day.strftime("%d/%m/%Y") in page and 'type="date"' not in page  # fixed text

    receipt_url = confirm(client, confirm_url).url

    transfer = PixTransfer.objects.get()
    assert transfer.state == PixTransfer.State.SCHEDULED and transfer.scheduled_for == day
    assert balance_of(maria.pk) == (40_000, 40_000)
    receipt = client.get(receipt_url).content.decode()
    assert day.strftime("%d/%m/%Y") in receipt
    history = client.get(HISTORY).content.decode()
    assert reverse("portal:pix:cancel", args=[transfer.pk]) in history

    # João cannot cancel Maria's Pix; Maria can.
    other = signed_in(Client(), joao)
    assert other.post(reverse("portal:pix:cancel", args=[transfer.pk])).status_code == 404
    response = client.post(reverse("portal:pix:cancel", args=[transfer.pk]))
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.CANCELLED
    again = client.post(reverse("portal:pix:cancel", args=[transfer.pk]), follow=True)
    assert again.status_code == 200  # a message, not an error page
    assert balance_of(maria.pk) == (40_000, 40_000)


def test_an_expired_or_unknown_confirmation_goes_back_to_the_form(client, maria):
    signed_in(client, maria)
    url = reverse("portal:pix:send_confirm", args=["6f1c0d56-8d64-4b57-9b0b-3a1b2c3d4e5f"])
    assert client.get(url).url == SEND
    assert client.post(url, {"amount": "10"}).url == SEND
    receipt = reverse("portal:pix:send_receipt", args=["6f1c0d56-8d64-4b57-9b0b-3a1b2c3d4e5f"])
    assert client.get(receipt).status_code == 404
    assert pix_count() == 0


def test_back_from_the_confirmation_refills_the_form(client, maria, joao):
    key = cpf_key(joao)
    signed_in(client, maria)
    confirm_url = client.post(SEND, send_data(maria, key=key, amount="12,34")).url
    token = confirm_url.split("/")[-3]
    page = client.get(f"{SEND}?edit={token}").content.decode()
    assert f'value="{key}"' in page and 'value="12,34"' in page


# --- Send with a code: pasted or read from an image ------------------------------------


def joaos_code(joao, amount_cents=None, description="") -> str:
    cpf_key(joao)
    return static_code(
        pix_key=PixKey.objects.get(account=joao, key_type="CPF"),
        amount_cents=amount_cents,
        description=description,
    )


def test_a_pasted_code_with_an_amount_pays_that_amount_which_cannot_be_edited(client, maria, joao):
    code = joaos_code(joao, 2_590, "Pizza")
    signed_in(client, maria)

    confirm_url = client.post(SEND, send_data(maria, method="code", brcode=code)).url
    page = client.get(confirm_url)
    assert "amount" not in page.context["form"].fields
    assert "R$ 25,90" in page.content.decode() and "Pizza" in page.content.decode()

    confirm(client, confirm_url, {"amount": "1,00"})  # a forged amount is ignored

    transfer = PixTransfer.objects.get()
    assert transfer.amount == 2_590 and transfer.initiation == PixTransfer.Initiation.QRES
    assert balance_of(joao.pk) == (2_590, 2_590)


def test_a_code_whose_amount_is_fixed_refuses_another_typed_amount(client, maria, joao):
    code = joaos_code(joao, 2_590)
    signed_in(client, maria)
    response = client.post(SEND, send_data(maria, method="code", brcode=code, amount="3"))
    assert response.status_code == 422 and "amount" in errors_of(response)
    assert pix_count() == 0


def test_a_code_without_an_amount_asks_for_one_on_the_first_step(client, maria, joao):
    code = joaos_code(joao)
    signed_in(client, maria)
    response = client.post(SEND, send_data(maria, method="code", brcode=code))
    assert response.status_code == 422 and "amount" in errors_of(response)
    assert not client.session.get("portal_pending_pix")
    confirm_url = client.post(SEND, send_data(maria, method="code", brcode=code, amount="3,33")).url
    assert "R$ 3,33" in client.get(confirm_url).content.decode()
    assert confirm(client, confirm_url).status_code == 302
    assert balance_of(joao.pk) == (333, 333)


def test_a_qr_image_upload_is_read_and_paid(client, maria, joao):
    code = joaos_code(joao, 1_500)
    upload = SimpleUploadedFile("qr.png", qr_png(code), content_type="image/png")
    signed_in(client, maria)

    response = client.post(SEND, {**send_data(maria, method="qr"), "qr_image": upload})

    assert response.status_code == 302
    pending = next(iter(client.session["portal_pending_pix"].values()))
    assert pending["brcode"] == code
    confirm(client, response.url)
    assert PixTransfer.objects.get().amount == 1_500


def test_a_jpeg_photo_of_a_qr_is_read_too(client, maria, joao):
    code = joaos_code(joao, 990)
    image = Image.open(io.BytesIO(qr_png(code))).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    upload = SimpleUploadedFile("foto.jpg", out.getvalue(), content_type="image/jpeg")
    signed_in(client, maria)
    response = client.post(SEND, {**send_data(maria, method="qr"), "qr_image": upload})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "make_upload",
    [
        lambda: SimpleUploadedFile("nota.txt", b"just some text", content_type="text/plain"),
        lambda: SimpleUploadedFile("fake.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png"),
        lambda: SimpleUploadedFile("big.png", b"\0" * (2 * 1024 * 1024 + 1), "image/png"),
        lambda: SimpleUploadedFile("white.png", png_of(Image.new("L", (200, 200), 255))),
        lambda: SimpleUploadedFile("gif.gif", b"GIF89a" + b"\0" * 32, "image/gif"),
        lambda: SimpleUploadedFile("url.png", qr_png("https://example.com", validate=False)),
        lambda: SimpleUploadedFile("empty.png", b"", "image/png"),
    ],
    ids=["text", "broken-png", "over-2mb", "no-qr", "gif", "qr-not-pix", "empty"],
)
def test_a_bad_upload_is_a_form_error_never_a_500(client, maria, make_upload):
    signed_in(client, maria)
    response = client.post(SEND, {**send_data(maria, method="qr"), "qr_image": make_upload()})
    assert response.status_code == 400
    assert "qr_image" in errors_of(response)
    assert pix_count() == 0


def test_a_decompression_bomb_is_refused_before_decoding():
    # A tiny PNG that declares 10000 x 10000 pixels.
    bomb = png_of(Image.new("1", (10_000, 10_000), 1))
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(QRImageError) as caught:
        read_qr_texts(bomb)
    assert caught.value.reason == "too_large"


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_any_bytes_are_an_image_error_or_texts(data):
    try:
        texts = read_qr_texts(data)
    except QRImageError as error:
        assert error.reason in ("too_large", "not_image", "no_qr")
    else:
        assert all(isinstance(text, str) for text in texts)


# --- Receive ---------------------------------------------------------------------------


def test_the_receive_page_shows_a_qr_whose_text_is_the_code_shown(client, maria):
    cpf_key(maria)
    pix_key = PixKey.objects.get(account=maria)
    signed_in(client, maria)

    response = client.get(RECEIVE, {"key": pix_key.pk, "amount": "1.234,56", "description": "Aula"})

    assert response.status_code == 200
    html = response.content.decode()
    shown = re.search(r'data-testid="brcode">([^<]+)</textarea>', html).group(1)
    data_uri = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    image = Image.open(io.BytesIO(base64.b64decode(data_uri)))
    read = zxingcpp.read_barcodes(image.convert("L"))
    assert [r.text for r in read] == [shown]
    code = decode(shown)
    assert code.key == maria.customer.tax_id and code.amount_cents == 123_456
    assert code.description == "Aula"
    assert 'data-copy-target="pix-copy-code"' in html and " hidden" in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "99999999999999"}, "amount"),
        ({"description": "x" * 70}, "description"),  # 62 fit next to a CPF key
        ({"description": "x" * 100}, "description"),
        ({"description": "ß" * 40}, "description"),  # written "ss" in the code: 80 > 62
        ({"key": "999999"}, "key"),
        ({"key": "abc"}, "key"),
    ],
)
def test_bad_receive_input_is_a_form_error(client, maria, query, field):
    cpf_key(maria)
    pix_key = PixKey.objects.get(account=maria)
    signed_in(client, maria)
    response = client.get(RECEIVE, {"key": pix_key.pk, **query})
    assert response.status_code == 400
    assert field in errors_of(response)
    assert "data:image/png" not in response.content.decode()


def test_a_customer_cannot_make_a_code_for_anothers_key(client, maria, joao):
    cpf_key(joao)
    signed_in(client, maria)
    response = client.get(RECEIVE, {"key": PixKey.objects.get(account=joao).pk})
    assert response.status_code == 400 and "key" in errors_of(response)


# --- Keys ------------------------------------------------------------------------------


def test_register_the_own_cpf_and_a_random_key_then_delete_with_confirmation(client, maria):
    signed_in(client, maria)
    response = client.post(KEYS, {"account": maria.pk, "key_type": "CPF", "key": ""})
    assert response.status_code == 302
    cpf = PixKey.objects.get(key_type="CPF")
    assert cpf.state == PixKey.State.ACTIVE and cpf.key == maria.customer.tax_id
    assert client.post(KEYS, {"account": maria.pk, "key_type": "EVP"}).status_code == 302
    evp = PixKey.objects.get(key_type="EVP")
    assert evp.state == PixKey.State.ACTIVE

    page = client.get(KEYS).content.decode()
    assert cpf.key not in page and evp.key not in page  # listed masked
    assert f"***.{cpf.key[3:6]}.{cpf.key[6:9]}-**" in page

    delete_url = reverse("portal:pix:key_delete", args=[evp.pk])
    assert client.get(delete_url).status_code == 200
    evp.refresh_from_db()
    assert evp.state == PixKey.State.ACTIVE  # GET only asks
    assert client.post(delete_url).status_code == 302
    evp.refresh_from_db()
    assert evp.state == PixKey.State.DELETED


def test_a_phone_key_waits_for_the_code_sent_to_it(
    client, maria, django_capture_on_commit_callbacks
):
    signed_in(client, maria)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            KEYS, {"account": maria.pk, "key_type": "PHONE", "key": "(11) 98765-4321"}
        )
    assert response.status_code == 302
    pix_key = PixKey.objects.get(key_type="PHONE")
    assert pix_key.state == PixKey.State.PENDING_OWNERSHIP and pix_key.key == "+5511987654321"
    page = client.get(KEYS).content.decode()
    code_url = reverse("portal:pix:key_code", args=[pix_key.pk])
    assert code_url in page and "+5511987654321" not in page
    code = sms_code()

    wrong = "000000" if code != "000000" else "111111"
    response = client.post(code_url, {f"code-{pix_key.pk}-code": wrong})
    assert response.status_code == 422
    assert response.context["rows"][0]["code_form"].errors
    response = client.post(code_url, {f"code-{pix_key.pk}-code": "12a"})
    assert response.status_code == 400

    response = client.post(code_url, {f"code-{pix_key.pk}-code": code})
    assert response.status_code == 302
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.ACTIVE

    # Asking for a new code of a key that no longer waits for one is a message, not a 500.
    resent = client.post(reverse("portal:pix:key_resend", args=[pix_key.pk]), follow=True)
    assert resent.status_code == 200


def test_a_code_asked_again_too_soon_is_a_message(
    client, maria, django_capture_on_commit_callbacks
):
    signed_in(client, maria)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(KEYS, {"account": maria.pk, "key_type": "EMAIL", "key": "Maria@Example.com"})
    pix_key = PixKey.objects.get(key_type="EMAIL")
    response = client.post(reverse("portal:pix:key_resend", args=[pix_key.pk]), follow=True)
    assert response.status_code == 200
    assert pix_key.challenges.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"key_type": "PHONE", "key": "123"}, "key"),
        ({"key_type": "PHONE", "key": ""}, "key"),
        ({"key_type": "EMAIL", "key": "not an email"}, "key"),
        ({"key_type": "EMAIL", "key": "a" * 80 + "@example.com"}, "key"),
        ({"key_type": "CNPJ"}, "key_type"),
        ({"key_type": "XYZ"}, "key_type"),
        ({"key_type": "EVP", "account": "999999"}, "account"),
    ],
)
def test_bad_key_registrations_are_form_errors(client, maria, data, field):
    signed_in(client, maria)
    response = client.post(KEYS, {"account": maria.pk, **data})
    assert response.status_code == 400 and field in errors_of(response)
    assert not PixKey.objects.exists()


def test_the_sixth_key_of_a_person_is_refused_with_a_clear_message(client, maria):
    for _ in range(5):
        pix_services.key_register(account=maria, key_type="EVP")
    signed_in(client, maria)
    response = client.post(KEYS, {"account": maria.pk, "key_type": "EVP"})
    assert response.status_code == 422
    assert "account" in errors_of(response)  # the service names the account's slots
    assert PixKey.objects.filter(account=maria).count() == 5


def test_a_key_already_yours_is_an_error(client, maria):
    cpf_key(maria)
    signed_in(client, maria)
    response = client.post(KEYS, {"account": maria.pk, "key_type": "CPF"})
    assert response.status_code == 422
    assert PixKey.objects.filter(account=maria).count() == 1


def test_another_customers_key_does_not_exist(client, maria, joao):
    cpf_key(joao)
    pix_key = PixKey.objects.get(account=joao)
    signed_in(client, maria)
    for url in (
        reverse("portal:pix:key_delete", args=[pix_key.pk]),
        reverse("portal:pix:key_code", args=[pix_key.pk]),
        reverse("portal:pix:key_resend", args=[pix_key.pk]),
    ):
        assert client.post(url, {}).status_code == 404, url
    assert client.get(reverse("portal:pix:key_delete", args=[pix_key.pk])).status_code == 404
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.ACTIVE


# --- Limits ----------------------------------------------------------------------------


def test_limits_show_the_defaults_reduce_at_once_and_raise_after_24_hours(client):
    account = customer_account("Rita Alves Rocha", 0)
    Customer.objects.filter(pk=account.customer_id).update(kyc_level=1)
    account.refresh_from_db()
    signed_in(client, account)
    page = client.get(LIMITS).content.decode()
    assert "R$ 1.000,00" in page and "20:00" in page

    response = client.post(LIMITS, {"account": account.pk, "limit": "500", "starts_at_hour": 22})
    assert response.status_code == 302
    row = PixLimitSettings.objects.get(account=account)
    assert (row.night_limit, row.night_starts_at_hour, row.pending_night_limit) == (
        50_000,
        22,
        None,
    )

    before = timezone.now()
    response = client.post(
        LIMITS, {"account": account.pk, "limit": "2.000,00", "starts_at_hour": 22}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.night_limit == 50_000 and row.pending_night_limit == 200_000
    assert row.pending_effective_at >= before + timedelta(hours=24)
    page = client.get(response.url).content.decode()
    assert "R$ 2.000,00" in page and 'data-testid="pending-limit"' in page
    effective = timezone.localtime(row.pending_effective_at)
    assert effective.strftime("%d/%m/%Y") in page

    # Zero is a valid night limit: no Pix at night.
    assert client.post(LIMITS, {"account": account.pk, "limit": "0", "starts_at_hour": 20})
    row.refresh_from_db()
    assert row.night_limit == 0 and row.pending_night_limit is None


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"limit": "abc", "starts_at_hour": 20}, 400, "limit"),
        ({"limit": "-5", "starts_at_hour": 20}, 400, "limit"),
        ({"limit": "99999999999999999999", "starts_at_hour": 20}, 400, "limit"),
        ({"limit": "500", "starts_at_hour": 21}, 400, "starts_at_hour"),
        ({"limit": "500", "starts_at_hour": "abc"}, 400, "starts_at_hour"),
        ({"limit": "100.000,00", "starts_at_hour": 20}, 422, "limit"),  # over KYC daily
    ],
)
def test_bad_limit_changes_are_form_errors(client, maria, data, status, field):
    signed_in(client, maria)
    response = client.post(LIMITS, {"account": maria.pk, **data})
    assert response.status_code == status
    assert field in errors_of(response)
    assert not PixLimitSettings.objects.exists()


def test_a_company_has_no_night_limit_form(client):
    account = funded_account(0, customer=company())
    signed_in(client, account)
    page = client.get(LIMITS)
    assert page.status_code == 200 and 'data-testid="night-limit-company"' in page.content.decode()
    response = client.post(LIMITS, {"account": account.pk, "limit": "10", "starts_at_hour": 20})
    assert response.status_code == 302
    assert not PixLimitSettings.objects.exists()


def test_another_customers_limits_are_a_404(client, maria, joao):
    signed_in(client, joao)
    assert client.get(LIMITS, {"account": maria.pk}).status_code == 404
    assert client.get(LIMITS, {"account": "abc"}).status_code == 404
    response = client.post(f"{LIMITS}?account={maria.pk}", {"limit": "1", "starts_at_hour": 20})
    assert response.status_code == 404
    assert not PixLimitSettings.objects.exists()


# --- History and refunds ---------------------------------------------------------------


def received(account, amount_cents: int) -> PixTransfer:
    xml = SpiSimulator().inbound_credit_transfer(
        to_ispb=django_settings.ATHENA_ISPB,
        creditor_branch=account.branch,
        creditor_account=account.number,
        creditor_tax_id=account.customer.tax_id,
        amount_cents=amount_cents,
        payer_name="Carlos Pereira Dias",
        payer_tax_id=new_cpf(),
        payer_ispb=BB,
    )
    return pix_receive(xml)


def refund_form_id(response) -> str:
    return response.context["refund_form"].initial["refund_id"]


def test_history_lists_both_directions_and_refunds_never_exceed_what_is_left(
    client, maria, joao, django_capture_on_commit_callbacks
):
    pix_in = received(maria, 10_000)
    pix_out = pix_send(account=maria, key=cpf_key(joao), amount_cents=2_000)
    signed_in(client, maria)

    history = client.get(HISTORY).content.decode()
    assert f'data-testid="pix-row-{pix_in.pk}"' in history
    assert f'data-testid="pix-row-{pix_out.pk}"' in history
    assert "+R$ 100,00" in history and "-R$ 20,00" in history
    assert "Carlos P. D." in history and "Pereira" not in history

    detail_url = reverse("portal:pix:detail", args=[pix_in.pk])
    refund_url = reverse("portal:pix:refund", args=[pix_in.pk])
    page = client.get(detail_url)
    assert 'data-testid="refund-left">R$ 100,00' in page.content.decode()
    first_id = refund_form_id(page)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            refund_url, {"refund_id": first_id, "amount": "30", "description": ""}
        )
    assert response.status_code == 302
    refund = PixRefund.objects.get()
    assert refund.amount == 3_000 and refund.state == PixRefund.State.DEVOLVIDO

    # The same form sent again (a reload) asks for the same refund: nothing more leaves.
    client.post(refund_url, {"refund_id": first_id, "amount": "30"})
    assert PixRefund.objects.count() == 1

    page = client.get(detail_url)
    assert 'data-testid="refund-left">R$ 70,00' in page.content.decode()
    response = client.post(refund_url, {"refund_id": refund_form_id(page), "amount": "70,01"})
    assert response.status_code == 400
    assert "amount" in response.context["refund_form"].errors
    assert PixRefund.objects.count() == 1
    assert balance_of(maria.pk)[0] == 40_000 + 10_000 - 2_000 - 3_000

    response = client.post(refund_url, {"refund_id": refund_form_id(page), "amount": "70"})
    assert response.status_code == 302
    page = client.get(detail_url)
    assert page.context["refund_form"] is None
    assert 'data-testid="refund-left">R$ 0,00' in page.content.decode()

    # A Pix sent is not refundable by its payer.
    response = client.post(
        reverse("portal:pix:refund", args=[pix_out.pk]), {"refund_id": "abc", "amount": "1"}
    )
    assert response.status_code == 302
    assert PixRefund.objects.filter(transfer=pix_out).count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"refund_id": "abc", "amount": "0"},
        {"refund_id": "abc", "amount": "abc"},
        {"refund_id": "abc", "amount": ""},
        {"refund_id": "not valid!", "amount": "1"},
        {"refund_id": "", "amount": "1"},
        {"refund_id": "abc", "amount": "9999999999999999"},
    ],
)
def test_bad_refund_input_is_a_form_error(client, maria, data):
    pix_in = received(maria, 10_000)
    signed_in(client, maria)
    response = client.post(reverse("portal:pix:refund", args=[pix_in.pk]), data)
    assert response.status_code == 400
    assert response.context["refund_form"].errors
    assert not PixRefund.objects.exists()


def test_one_customer_cannot_see_or_refund_anothers_pix(client, maria, joao):
    pix_in = received(maria, 10_000)
    signed_in(client, joao)
    assert client.get(reverse("portal:pix:detail", args=[pix_in.pk])).status_code == 404
    response = client.post(
        reverse("portal:pix:refund", args=[pix_in.pk]), {"refund_id": "x1", "amount": "1"}
    )
    assert response.status_code == 404
    assert f"pix-row-{pix_in.pk}" not in client.get(HISTORY).content.decode()
    assert not PixRefund.objects.exists()


def test_the_payee_of_an_internal_pix_sees_it_as_received(client, maria, joao):
    transfer = pix_send(account=maria, key=cpf_key(joao), amount_cents=4_321)
    signed_in(client, joao)
    history = client.get(HISTORY).content.decode()
    assert f'data-testid="pix-row-{transfer.pk}"' in history
    assert "+R$ 43,21" in history and "Maria S. L." in history
    detail = client.get(reverse("portal:pix:detail", args=[transfer.pk]))
    # A Pix received is refundable, internal or not (payee to payer, at once).
    assert detail.status_code == 200 and detail.context["refund_form"] is not None
    home = client.get(HOME).content.decode()
    assert f"pix-row-{transfer.pk}" in home


# --- Concurrency -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_of_one_pix_send_once(settings):
    """Two tabs of one session confirm at the same moment: the token is consumed once."""
    settings.OUTBOX_KICK_ON_COMMIT = False
    payer = customer_account("Maria Souza Lima", 10_000)
    payee = customer_account("João Pereira Santos")
    key = cpf_key(payee)
    first = Client()
    first.force_login(payer.customer.user)
    confirm_url = first.post(SEND, send_data(payer, key=key, amount="25,00")).url
    shown = shown_of(first.get(confirm_url).content.decode())
    second = Client()
    second.cookies = first.cookies
    barrier = threading.Barrier(2)
    statuses = []

    def confirm(client: Client) -> None:
        try:
            barrier.wait()
            statuses.append(client.post(confirm_url, {"shown": shown}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert statuses == [302, 302]
    assert PixTransfer.objects.count() == 1
    assert balance_of(payer.pk) == (7_500, 7_500)
    assert balance_of(payee.pk) == (2_500, 2_500)


# --- Parsing ---------------------------------------------------------------------------


@given(st.integers(min_value=1, max_value=10**15 - 1))
def test_amounts_shown_in_inputs_read_back_to_the_same_centavos(cents):
    assert parse_portal_amount(pt_br_amount(cents)) == cents


@hsettings(max_examples=200)
@given(
    method=st.sampled_from(["key", "code", "qr", "", "x"]),
    key=st.text(max_size=250),
    brcode=st.text(max_size=600),
    amount=st.text(max_size=30),
)
def test_the_send_form_never_raises_on_any_text(method, key, brcode, amount):
    form = SendForm(
        data={"method": method, "key": key, "brcode": brcode, "amount": amount},
        user=None,
        today=timezone.localdate(),
    )
    form.is_valid()  # no exception, whatever was typed
    assert form.errors


def test_a_pix_waiting_for_the_spi_updates_its_receipt_by_itself(
    client, maria, settings, django_capture_on_commit_callbacks
):
    settings.PIX_SPI_TIMEOUT_RATE = 1.0  # the SPI does not answer
    signed_in(client, maria)
    confirm_url = client.post(SEND, send_data(maria, key=key_elsewhere(), amount="30")).url
    with django_capture_on_commit_callbacks(execute=True):
        receipt_url = confirm(client, confirm_url).url
    transfer = PixTransfer.objects.get()
    assert transfer.state == PixTransfer.State.SENT
    page = client.get(receipt_url).content.decode()
    assert 'hx-trigger="every 2s"' in page

    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    pix_submit(transfer.pk)  # beat's retry gets the answer
    partial = client.get(receipt_url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "pix-state--settled" in partial
    assert "hx-trigger" not in partial


def test_a_company_registers_its_own_cnpj(client):
    account = funded_account(0, customer=company())
    signed_in(client, account)
    page = client.get(KEYS).content.decode()
    assert 'value="CNPJ"' in page and 'value="CPF"' not in page
    assert client.post(KEYS, {"account": account.pk, "key_type": "CNPJ"}).status_code == 302
    assert PixKey.objects.get(account=account).key == account.customer.tax_id


def test_a_payee_listed_between_form_and_confirmation_is_refused_and_the_stop_recorded(
    client, maria, joao
):
    """The confirmation screens again: a list updated meanwhile stops the Pix. The portal's
    transaction rolls the send back; the screening that stopped it is kept for compliance."""
    from apps.compliance.models import ScreeningHit, ScreeningResult, WatchlistEntry
    from apps.compliance.services import invalidate_index

    key = cpf_key(joao)
    signed_in(client, maria)
    confirm_url = client.post(SEND, send_data(maria, key=key, amount="10")).url
    shown = shown_of(client.get(confirm_url).content.decode())
    assert not ScreeningHit.objects.exists()  # the form's preview: clear
    WatchlistEntry.objects.create(name="João Pereira Santos", reason="fraud ring (test)")
    invalidate_index()
    try:
        response = client.post(confirm_url, {"shown": shown})
    finally:
        invalidate_index()

    assert response.status_code == 422
    assert response.context["form"].non_field_errors()
    assert pix_count() == 0 and balance_of(maria.pk) == (40_000, 40_000)
    assert not IdempotencyRecord.objects.filter(key__startswith="pix:").exists()
    stopped = ScreeningResult.objects.filter(context="pix", hit_count__gt=0).get()
    assert stopped.screened_name == "João Pereira Santos"
    assert {hit.source for hit in ScreeningHit.objects.filter(result=stopped)} == {"internal"}
