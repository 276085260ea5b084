"""The operations console in Chromium at 1280x900: the dashboard, the compliance queue from
the header, and a R$ 15.000,00 reversal approved through its button with a reason and a
confirmation, by a second operator; the money columns of the list are not clipped."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.test import Client
from playwright.sync_api import Page, expect

from apps.accounts import services
from apps.accounts.models import ReversalRequest
from apps.core import roles
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONEY_CELLS_FIT = """() => {
  const cells = [...document.querySelectorAll('#result_list td.money, #result_list th.money')];
  const clipped = cells
    .filter(c => c.scrollWidth > c.clientWidth + 1)
    .map(c => c.textContent.trim());
  const box = document.querySelector('#changelist .results');
  const amount = document.querySelector('#result_list td.money');
  return {
    count: cells.length,
    clipped,
    tableFits: box.scrollWidth <= box.clientWidth + 1,
    align: amount ? getComputedStyle(amount).textAlign : '',
    wrap: amount ? getComputedStyle(amount).whiteSpace : '',
  };
}"""


def staff(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def sign_in(page: Page, base: str, user) -> None:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base}])


def test_a_second_operator_approves_a_big_reversal_from_the_dashboard(page: Page, live_server):
    base = live_server.url
    requester, approver = staff(roles.OPERATOR), staff(roles.ADMIN)
    payer, payee = funded_account(1_500_000), funded_account()
    entry_id = services.book_transfer(
        source_id=payer.pk, destination_id=payee.pk, amount_cents=1_500_000, description="pay"
    )
    request = services.reversal_request(entry_id=entry_id, reason="fraud", actor=requester)
    assert request.state == ReversalRequest.State.PENDING

    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, base, approver)
    page.goto(f"{base}/admin/")
    dashboard = page.locator("#console-dashboard")
    expect(dashboard).to_be_visible()
    reversals = dashboard.locator('tr[data-key="reversals_pending"]')
    expect(reversals).to_contain_text("R$ 15.000,00")
    expect(dashboard.locator('tr[data-key="book_transfers"]')).to_contain_text("R$ 15.000,00")

    # The compliance queue is one click away in the header, and back.
    page.locator("#console-nav-compliance_queue").click()
    expect(page).to_have_url(f"{base}/admin/monitoring/alert/queue/")
    expect(page.locator("#compliance-queue")).to_be_visible()
    page.locator("#console-nav-dashboard").click()
    expect(page.locator("#console-dashboard")).to_be_visible()

    # The pending reversals, from the dashboard: money columns right-aligned, whole.
    page.locator('tr[data-key="reversals_pending"] a').click()
    expect(page.locator("#result_list")).to_be_visible()
    fit = page.evaluate(MONEY_CELLS_FIT)
    assert fit["count"] >= 2, fit  # the header and the amount of the one request
    assert fit["clipped"] == [] and fit["tableFits"], fit
    assert fit["align"] == "right" and fit["wrap"] == "nowrap", fit

    # The request's page offers "Approve"; its page says four eyes and asks for a reason.
    page.locator("#result_list tbody tr th a").first.click()
    page.locator("#state-approve").click()
    expect(page.locator("#state-change-amount")).to_have_text("R$ 15.000,00")
    expect(page.locator("#four-eyes")).to_be_visible()
    page.locator("#state-change-submit").click()  # neither reason nor confirmation yet
    expect(page.locator(".errorlist").first).to_be_visible()
    page.locator("textarea[name=reason]").fill("Confirmed with the payer's bank")
    page.locator("input[name=confirm]").check()
    page.locator("#state-change-submit").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("#state-approve")).to_have_count(0)

    request.refresh_from_db()
    assert request.state == ReversalRequest.State.EXECUTED
    assert request.decided_by_id == approver.pk
    assert balance_of(payer.pk) == (1_500_000, 1_500_000)

    # The wide lists of the ledger fit at 1280 px too.
    for path in ("/admin/accounts/account/", "/admin/accounts/journalentry/"):
        page.goto(f"{base}{path}")
        fit = page.evaluate(MONEY_CELLS_FIT)
        assert fit["count"] and fit["clipped"] == [] and fit["tableFits"], (path, fit)
