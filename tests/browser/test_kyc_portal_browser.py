"""Identity verification in a real browser (Debian's Chromium, live_server): Maria, at
level 0, starts an upgrade to level 2, uploads her CNH and a selfie through the portal's
file inputs, submits, and sees her level and Pix limits rise."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from apps.accounts.models import Customer
from tests.browser.test_portal_transfer_browser import customer_with_account, sign_in
from tests.support.kyc import document_photo, selfie_same_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False


def upload(page: Page, kind: str, name: str, content: bytes, mime: str) -> None:
    page.locator("#id_kind").select_option(kind)
    page.locator("#id_file").set_input_files({"name": name, "mimeType": mime, "buffer": content})
    page.locator('form:has(input[name="action"][value="upload"]) button[type="submit"]').click()


def test_maria_uploads_documents_and_reaches_level_2(page: Page, live_server):
    account = customer_with_account("Maria Souza Santos", "maria@example.com", 0)
    base = live_server.url
    sign_in(page, base, "maria@example.com")

    page.locator('.site-nav a[href="/verification/"]').click()
    expect(page).to_have_url(f"{base}/verification/")
    expect(page.get_by_test_id("kyc-level")).to_have_text("0")
    expect(page.get_by_test_id("kyc-daily")).to_have_text("R$ 500,00")

    page.locator("#id_target_level").select_option("2")
    expect(page.locator("#id_declared_name")).to_have_value("Maria Souza Santos")
    page.locator("#id_birth_date").fill("1990-05-01")
    page.locator('form[action="/verification/"] button[type="submit"]').click()
    expect(page).to_have_url(f"{base}/verification/{account.customer.kyc_requests.get().pk}/")

    # Garbage is refused on the form, nothing stored.
    upload(page, "cnh", "notes.png", b"not really a png", "image/png")
    expect(page.locator(".form-errors")).to_be_visible()
    upload(page, "cnh", "cnh.png", document_photo(), "image/png")
    upload(page, "selfie", "selfie.jpg", selfie_same_person(), "image/jpeg")
    expect(page.get_by_test_id("kyc-documents").locator("li")).to_have_count(2)

    page.locator('form:has(input[name="action"][value="submit"]) button').click()
    expect(page.get_by_test_id("kyc-state")).to_have_attribute("class", "badge badge--success")
    assert Customer.objects.get(pk=account.customer_id).kyc_level == 2

    page.goto(f"{base}/verification/")
    expect(page.get_by_test_id("kyc-level")).to_have_text("2")
    expect(page.get_by_test_id("kyc-daily")).to_have_text("R$ 50.000,00")
