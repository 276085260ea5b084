"""The compliance queue page in a real browser: a new alert shows a banner, live (ASGI)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Page, expect

from tests.browser.test_portal_transfer_browser import asgi_server  # noqa: F401  (fixture)
from tests.support.monitoring import funded_account, officer, only_rules, transfer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.OUTBOX_KICK_ON_COMMIT = False


def test_a_new_alert_shows_a_banner_on_the_open_queue(asgi_server, page: Page):  # noqa: F811
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    client = Client()
    client.force_login(officer())
    name = django_settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": asgi_server.url}]
    )
    page.goto(f"{asgi_server.url}/admin/monitoring/alert/queue/")
    banner = page.locator("#queue-banner")
    expect(banner).to_have_attribute("data-socket-state", "open")
    expect(banner).to_be_hidden()

    def seed():
        from apps.monitoring.services import monitoring_evaluate_customer

        for cents in (910_000, 920_000, 930_000):
            transfer(payer, payee, cents)
        return monitoring_evaluate_customer(customer_id=payer.customer_id, codes=["structuring"])

    (alert,) = asgi_server.run_sync(seed)
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(f"#{alert.pk} structuring")
    expect(banner).to_contain_text(payer.customer.full_name)
