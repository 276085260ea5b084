"""Pix > API access in a real browser: a company creates credentials for its ERP, sees the
secret once, gets a token with it from /oauth/token, and revokes the client."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from apps.core.models import ApiClient
from tests.browser.test_portal_transfer_browser import customer_with_account, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_customer_creates_api_credentials_uses_them_and_revokes_them(page: Page, live_server):
    customer_with_account("Padaria Tres Irmaos", "padaria@example.com", 0)
    base = live_server.url

    sign_in(page, base, "padaria@example.com")
    page.goto(f"{base}/pix/")
    page.locator('.pix-nav a[href="/pix/api/"]').click()
    expect(page).to_have_url(f"{base}/pix/api/")
    page.locator("#id_name").fill("ERP da padaria")
    page.locator('input[name="scopes"][value="cob.read"]').check()
    page.locator('input[name="scopes"][value="cob.write"]').check()
    page.locator('form[action="/pix/api/"] button[type=submit]').click()

    client_id = page.get_by_test_id("client-id").inner_text()
    secret = page.get_by_test_id("client-secret").inner_text()
    assert client_id.startswith("athena-") and len(secret) > 30
    auth = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token = Client().post(
        "/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {auth}"
    )
    assert token.status_code == 200 and token.json()["scope"] == "cob.read cob.write"

    page.reload()  # a GET now: the secret is gone for good
    expect(page.get_by_test_id("client-secret")).to_have_count(0)
    created = ApiClient.objects.get(client_id=client_id)
    row = page.get_by_test_id(f"client-{created.pk}")
    row.locator("button[type=submit]").click()
    expect(page.get_by_test_id(f"client-{created.pk}").locator("button")).to_have_count(0)
    created.refresh_from_db()
    assert not created.active
