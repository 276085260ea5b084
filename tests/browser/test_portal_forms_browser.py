"""Portal forms in a real browser (Debian's Chromium, live_server over WSGI), issue #16 item 4.

1. Maria reveals her own random Pix key (EVP), masked until she asks, and copies it with
   the copy button: the clipboard holds the key and the page says so.
2. An amount above her available balance is refused on the first step of a Pix, on the
   amount field (focused), naming what is available; the confirmation of an amount she
   has shows it as text, with no field to change it.

Pages are driven by element ids, names and test ids rather than by their texts: the texts
are translated (pt-BR first), and the catalogue is completed separately.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from apps.pix.keys import services as pix_services
from apps.pix.models import PixKey, PixTransfer
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


def test_maria_reveals_and_copies_her_random_key(page: Page, live_server):
    maria = customer_with_account("Maria Souza Santos", "maria@example.com", 0)
    pix_services.key_register(account=maria, key_type="EVP")
    evp = PixKey.objects.get(account=maria, key_type="EVP")
    base = live_server.url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)

    sign_in(page, base, "maria@example.com")
    page.goto(f"{base}/pix/keys/")
    masked = page.get_by_test_id(f"key-masked-{evp.pk}")
    expect(masked).to_be_visible()
    expect(masked).not_to_have_text(evp.key)  # masked until she asks
    expect(page.get_by_text(evp.key)).to_have_count(0)

    page.get_by_test_id(f"reveal-{evp.pk}").click()

    full = page.get_by_test_id(f"key-full-{evp.pk}")
    expect(full).to_have_text(evp.key)
    copy = page.get_by_test_id(f"copy-pix-key-{evp.pk}")
    expect(copy).to_be_visible()  # shown by the script: the page can copy
    status = page.locator(f"#pix-key-{evp.pk}-copy-status")
    expect(status).to_be_empty()
    copy.click()
    expect(status).not_to_be_empty()  # visible feedback ("copied")
    expect(status).to_have_attribute("data-state", "copied")
    assert page.evaluate("navigator.clipboard.readText()") == evp.key
    # An accessible name: the visible words, then what is copied (for screen readers).
    expect(copy).to_have_accessible_name(copy.evaluate("el => el.textContent.trim()"))


def test_an_amount_above_the_balance_is_refused_on_the_first_step(page: Page, live_server):
    maria = customer_with_account("Maria Souza Santos", "maria@example.com", 10_000)
    joao = customer_with_account("João Pereira Lima", "joao@example.com", 0)
    pix_services.key_register(account=joao, key_type="CPF", key=joao.customer.tax_id)
    base = live_server.url

    sign_in(page, base, "maria@example.com")
    page.goto(f"{base}/pix/send/")
    page.locator("#id_key").fill(joao.customer.tax_id)
    page.locator("#id_amount").fill("100,01")
    page.locator("form.pix-send button[type=submit]").click()

    expect(page).to_have_url(f"{base}/pix/send/")  # still the first step
    expect(page.locator("#id_amount_error")).to_contain_text("R$ 100,00")
    expect(page.locator("#id_amount")).to_be_focused()
    assert not PixTransfer.objects.exists() and balance_of(maria.pk) == (10_000, 10_000)

    page.locator("#id_amount").fill("99,99")
    page.locator("form.pix-send button[type=submit]").click()
    expect(page.get_by_test_id("amount")).to_contain_text("R$ 99,99")
    expect(page.locator("#id_amount")).to_have_count(0)  # fixed on the confirmation
    page.locator("form.form button[type=submit]").last.click()
    expect(page.get_by_test_id("end-to-end-id")).to_have_text(
        PixTransfer.objects.get().end_to_end_id
    )
    assert balance_of(maria.pk) == (1, 1)
