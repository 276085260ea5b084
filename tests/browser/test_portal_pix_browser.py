"""The portal's Pix pages in a real browser (Debian's Chromium, live_server over WSGI).

1. Maria sends a Pix by key to João (another Athena customer) through the confirmation and
   the receipt, and sees her balance drop; going back and reloading sends nothing twice.
2. João makes a code to receive: the QR image on the page, decoded here with the same
   reader the portal uses for uploads (zxing-cpp), is exactly the Pix Copia e Cola shown;
   the copy button copies it. Maria pastes that code in her send form and pays it.

Pages are driven by element ids, names and test ids rather than by their texts: the texts
are translated (pt-BR first), and the catalogue is completed separately.
"""

from __future__ import annotations

import base64
import io

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from apps.accounts.models import Account
from apps.pix.codecs.brcode import decode
from apps.pix.keys import services as pix_services
from apps.pix.models import PixTransfer
from tests.browser.test_portal_transfer_browser import customer_with_account, sign_in
from tests.factories.ledger import balance_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False
    settings.PIX_SPI_LATENCY_MS = "0,0"


def with_cpf_key(account: Account) -> str:
    pix_services.key_register(account=account, key_type="CPF", key=account.customer.tax_id)
    return account.customer.tax_id


def pix_balance(page: Page, account: Account):
    return page.get_by_test_id(f"pix-balance-{account.pk}")


def test_maria_sends_a_pix_by_key_through_confirmation_and_receipt(page: Page, live_server):
    maria = customer_with_account("Maria Souza Santos", "maria@example.com", 50_000)
    joao = customer_with_account("João Pereira Lima", "joao@example.com", 0)
    joao_key = with_cpf_key(joao)
    base = live_server.url

    sign_in(page, base, "maria@example.com")
    page.locator('.site-nav a[href="/pix/"]').click()
    expect(page).to_have_url(f"{base}/pix/")
    expect(pix_balance(page, maria)).to_have_text("R$ 500,00")

    page.locator('.pix-shortcuts a[href="/pix/send/"]').click()
    expect(page.locator("#id_method_0")).to_be_checked()  # "Pix key" is the default way
    expect(page.locator("#id_brcode")).to_be_hidden()  # the other ways' fields stay out
    page.locator("#id_key").fill(f"{joao_key[:3]}.{joao_key[3:6]}.{joao_key[6:9]}-{joao_key[9:]}")
    page.locator("#id_amount").fill("123,45")
    page.locator("#id_description").fill("Almoço")
    page.locator("form.pix-send button[type=submit]").click()

    # The confirmation: the payee as the directory shows it; nothing has moved yet.
    expect(page.get_by_test_id("payee")).to_have_text("João P. L.")
    expect(page.get_by_test_id("payee-document")).to_have_text(
        f"***.{joao_key[3:6]}.{joao_key[6:9]}-**"
    )
    expect(page.get_by_test_id("payee-bank")).to_have_text("Athena Pay")
    expect(page.get_by_test_id("description")).to_have_text("Almoço")
    expect(page.get_by_test_id("amount")).to_contain_text("R$ 123,45")
    expect(page.locator("#id_amount")).to_have_count(0)  # fixed on the confirmation
    expect(page.get_by_text("Pereira")).to_have_count(0)
    assert balance_of(maria.pk) == (50_000, 50_000)
    page.locator("form.form button[type=submit]").last.click()

    transfer = PixTransfer.objects.get()
    expect(page.get_by_test_id("end-to-end-id")).to_have_text(transfer.end_to_end_id)
    expect(page.get_by_test_id("amount")).to_have_text("R$ 123,45")
    expect(page.get_by_test_id("payee")).to_have_text("João P. L.")
    expect(page.locator('[data-testid="state"].pix-state--settled')).to_have_count(1)
    assert balance_of(maria.pk) == (37_655, 37_655)
    assert balance_of(joao.pk) == (12_345, 12_345)

    # Back to the confirmation of a Pix already sent, and a reload: nothing is sent again.
    page.go_back()
    expect(page.get_by_test_id("end-to-end-id")).to_have_text(transfer.end_to_end_id)
    page.reload()
    assert PixTransfer.objects.count() == 1

    page.locator('.pix-nav a[href="/pix/"]').click()
    expect(pix_balance(page, maria)).to_have_text("R$ 376,55")
    expect(page.get_by_test_id(f"pix-row-{transfer.pk}")).to_contain_text("-R$ 123,45")
    expect(page.get_by_test_id(f"pix-row-{transfer.pk}")).to_contain_text("Almoço")


def test_a_code_received_on_one_screen_is_paid_by_pasting_it_on_another(
    page: Page, live_server, browser, browser_context_args
):
    joao = customer_with_account("João Pereira Lima", "joao@example.com", 0)
    maria = customer_with_account("Maria Souza Santos", "maria@example.com", 50_000)
    with_cpf_key(joao)
    base = live_server.url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)

    sign_in(page, base, "joao@example.com")
    page.goto(f"{base}/pix/receive/")
    page.locator("#id_amount").fill("12,34")
    page.locator("#id_description").fill("Pizza")
    page.locator("form.form button[type=submit]").click()

    shown = page.get_by_test_id("brcode").input_value()
    src = page.get_by_test_id("qr").get_attribute("src")
    assert src.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("L"))] == [shown]
    code = decode(shown)
    assert code.amount_cents == 1_234 and code.description == "Pizza"

    copy = page.locator("[data-copy-target]")
    expect(copy).to_be_visible()  # shown by the script: the page can copy
    copy.click()
    expect(page.locator("#pix-copy-status")).not_to_be_empty()
    assert page.evaluate("navigator.clipboard.readText()") == shown

    # Maria, in her own browser session, pastes the code.
    context = browser.new_context(**browser_context_args)
    other = context.new_page()
    sign_in(other, base, "maria@example.com")
    other.goto(f"{base}/pix/send/")
    other.locator('input[name="method"][value="code"]').check()
    expect(other.locator("#id_key")).to_be_hidden()
    other.locator("#id_brcode").fill(shown)
    other.locator("form.pix-send button[type=submit]").click()

    expect(other.get_by_test_id("payee")).to_have_text("João P. L.")
    expect(other.get_by_test_id("amount")).to_contain_text("R$ 12,34")
    expect(other.locator("#id_amount")).to_have_count(0)  # the code fixes the amount
    other.locator("form.form button[type=submit]").last.click()
    expect(other.get_by_test_id("end-to-end-id")).to_have_text(
        PixTransfer.objects.get().end_to_end_id
    )
    context.close()

    transfer = PixTransfer.objects.get()
    assert transfer.initiation == PixTransfer.Initiation.QRES and transfer.amount == 1_234
    assert balance_of(joao.pk) == (1_234, 1_234)
    assert balance_of(maria.pk) == (48_766, 48_766)
