"""The operations console: the dashboard as the admin index (per role, today's figures in
Brasilia time, links that open), the header links, and state changes as buttons on an
object's page (only what it can take now, a reason and a confirmation, four eyes, audited,
403 without permission, no 500 on bad input)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from apps.accounts import services
from apps.accounts.models import Customer, JournalEntry, ReversalRequest
from apps.core import console, roles
from apps.core.fsm import transitions_of
from apps.core.models import AuditEvent, OutboxMessage
from apps.pix.models import PixTransfer
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import CustomerFactory, UserFactory
from tests.support.pix_received import receive_pix, receiving_customer

pytestmark = pytest.mark.django_db

INDEX = "/admin/"


def staff(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def figure_row(html: str, key: str) -> str:
    """The dashboard line of one figure (its <tr>), or "" when it is not shown."""
    match = re.search(rf'<tr class="console-figure[^"]*" data-key="{key}">(.*?)</tr>', html, re.S)
    return match.group(1) if match else ""


def cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def state_url(obj, action: str) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_state_change", args=[obj.pk, action])


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def transfer(amount_cents: int) -> tuple:
    payer, payee = funded_account(amount_cents), funded_account()
    entry_id = services.book_transfer(
        source_id=payer.pk, destination_id=payee.pk, amount_cents=amount_cents, description="pay"
    )
    return payer, payee, JournalEntry.objects.get(pk=entry_id)


# --- The dashboard --------------------------------------------------------------------------


def test_the_admin_index_is_the_dashboard_and_each_role_sees_its_panels():
    operator, officer, admin = (
        staff(roles.OPERATOR),
        staff(roles.COMPLIANCE_OFFICER),
        staff(roles.ADMIN),
    )
    pages = {}
    for name, user in (("operator", operator), ("officer", officer), ("admin", admin)):
        response = client_for(user).get(INDEX)
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
        assert 'id="console-dashboard"' in pages[name]

    # Operators: money movements, reversals, the outbox; no KYC, no compliance queue.
    for key in ("pix_out", "pix_in", "book_transfers", "reversals_pending", "outbox"):
        assert figure_row(pages["operator"], key), key
    for key in ("kyc_reviews", "monitoring_alerts", "monitoring_coaf", "privacy_requests"):
        assert not figure_row(pages["operator"], key), key
    # Compliance officers: their queues, no reversal approvals, no outbox.
    for key in ("kyc_reviews", "monitoring_alerts", "monitoring_coaf", "privacy_requests"):
        assert figure_row(pages["officer"], key), key
    for key in ("reversals_pending", "outbox", "reconciliation"):
        assert not figure_row(pages["officer"], key), key
    # Admins: everything.
    for key in ("pix_out", "reversals_pending", "kyc_reviews", "monitoring_alerts", "outbox"):
        assert figure_row(pages["admin"], key), key
    # The app list is still there, below.
    assert "app-accounts" in pages["admin"]


def test_customers_and_anonymous_visitors_do_not_see_the_dashboard():
    assert Client().get(INDEX).status_code == 302
    customer = CustomerFactory()
    assert client_for(customer.user).get(INDEX).status_code == 302


def test_the_header_links_to_the_dashboard_and_the_compliance_queue_for_officers():
    officer_page = client_for(staff(roles.COMPLIANCE_OFFICER)).get(INDEX).content.decode()
    queue = reverse("admin:monitoring_alert_queue")
    assert f'href="{queue}" id="console-nav-compliance_queue"' in officer_page
    assert 'id="console-nav-dashboard"' in officer_page
    # The queue page itself has the links too.
    queue_page = client_for(staff(roles.COMPLIANCE_OFFICER)).get(queue).content.decode()
    assert 'id="console-nav-compliance_queue"' in queue_page
    # Operators may not open the queue: no link.
    operator_page = client_for(staff(roles.OPERATOR)).get(INDEX).content.decode()
    assert 'id="console-nav-dashboard"' in operator_page
    assert "console-nav-compliance_queue" not in operator_page


def test_the_dashboard_shows_todays_figures_from_real_rows():
    operator = staff(roles.OPERATOR)
    _, _, small = transfer(12_345)
    _, _, big = transfer(1_500_000)
    services.reversal_request(entry_id=big.pk, reason="fraud", actor=staff(roles.OPERATOR))
    OutboxMessage.objects.create(topic="test.pending", payload={}, available_at=big.created_at)

    html = client_for(operator).get(INDEX).content.decode()
    book = cells(figure_row(html, "book_transfers"))
    assert book[0] == "2" and book[1] == "R$ 15.123,45"
    reversals = cells(figure_row(html, "reversals_pending"))
    assert reversals[0] == "1" and reversals[1] == "R$ 15.000,00"
    assert reversals[2]  # how long the oldest has waited
    outbox = cells(figure_row(html, "outbox"))
    assert int(outbox[0]) >= 1


def test_today_is_the_brasilia_day_around_midnight():
    """23:30 in Brasilia is 02:30 UTC of the next day: the figures follow Brasilia."""
    admin = staff(roles.ADMIN)
    receiver = receiving_customer()
    evening = datetime(2025, 6, 10, 2, 30, tzinfo=UTC)  # 09/06 23:30 in Brasilia
    after_midnight = datetime(2025, 6, 10, 3, 30, tzinfo=UTC)  # 10/06 00:30 in Brasilia
    with time_machine.travel(evening, tick=False):
        receive_pix(receiver, 10_000)
        html = client_for(admin).get(INDEX).content.decode()
        assert "09/06/2025" in html
        assert cells(figure_row(html, "pix_in"))[:2] == ["1", "R$ 100,00"]
    with time_machine.travel(after_midnight, tick=False):
        receive_pix(receiver, 25_000)
        html = client_for(admin).get(INDEX).content.decode()
        assert "10/06/2025" in html
        assert cells(figure_row(html, "pix_in"))[:2] == ["1", "R$ 250,00"]
        day = console.brasilia_day()
    assert day.start == datetime(2025, 6, 10, 3, 0, tzinfo=UTC)
    assert PixTransfer.objects.filter(direction="in").count() == 2


def test_every_dashboard_link_opens_its_filtered_list():
    admin = staff(roles.ADMIN)
    client = client_for(admin)
    _, _, entry = transfer(1_500_000)
    services.reversal_request(entry_id=entry.pk, reason="fraud", actor=staff(roles.OPERATOR))
    html = client.get(INDEX).content.decode()
    dashboard = html[
        html.index('id="console-dashboard"') : html.index(
            "</div>", html.index('id="console-dashboard"')
        )
    ]
    links = set(re.findall(r'href="([^"]+)"', dashboard))
    assert len(links) >= 15
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200, link
    # The reversals line opens the pending request.
    url = reverse("admin:accounts_reversalrequest_changelist") + "?state__exact=pending"
    listing = client.get(url)
    assert [r.entry_id for r in listing.context["cl"].result_list] == [entry.pk]


def test_a_failing_panel_does_not_take_the_dashboard_down(monkeypatch):
    def broken(day):
        raise RuntimeError("boom")

    monkeypatch.setitem(
        console._PANELS,
        "test.broken",
        console.Panel(
            key="test.broken",
            section=console.QUEUES,
            permissions=("core.view_outboxmessage",),
            figures=broken,
            title="Broken",
        ),
    )
    html = client_for(staff(roles.OPERATOR)).get(INDEX).content.decode()
    assert figure_row(html, "test.broken")
    assert figure_row(html, "outbox")


# --- State changes as buttons -----------------------------------------------------------------


def test_buttons_show_only_the_transitions_the_object_can_take():
    operator = staff(roles.OPERATOR)
    client = client_for(operator)
    customer = CustomerFactory()  # pending
    page = client.get(change_url(customer)).content.decode()
    assert 'id="state-activate"' in page and 'id="state-close"' in page
    assert 'id="state-block"' not in page and 'id="state-unblock"' not in page

    services.customer_activate(customer_id=customer.pk, actor=operator, reason="ok")
    page = client.get(change_url(customer)).content.decode()
    assert 'id="state-block"' in page and 'id="state-close"' in page
    assert 'id="state-activate"' not in page and 'id="state-unblock"' not in page

    # A role that may only look gets no buttons.
    officer_page = client_for(staff(roles.COMPLIANCE_OFFICER)).get(change_url(customer))
    assert officer_page.status_code == 200
    assert b"state-button" not in officer_page.content


def test_a_transition_through_its_button_needs_a_reason_and_a_confirmation_and_is_audited():
    operator = staff(roles.OPERATOR)
    client = client_for(operator)
    account = funded_account(1_000)
    url = state_url(account, "block")

    page = client.get(url)
    assert page.status_code == 200
    assert page.templates[0].name == "admin/state_change.html"
    assert page.context["state_now"] and page.context["state_after"]
    assert b'name="reason"' in page.content and b'name="confirm"' in page.content

    for form in ({}, {"reason": "   ", "confirm": "on"}, {"reason": "suspected fraud"}):
        refused = client.post(url, form)
        assert refused.status_code == 200
        assert refused.context["form"].errors
        account.refresh_from_db()
        assert account.state == account.State.ACTIVE

    done = client.post(url, {"reason": "suspected fraud", "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == change_url(account)
    account.refresh_from_db()
    assert account.state == account.State.BLOCKED
    assert account.state_reason == "suspected fraud"
    assert balance_of(account.pk) == (1_000, 1_000)
    log = LogEntry.objects.get(object_id=str(account.pk), content_type__model="account")
    assert log.user_id == operator.pk and "suspected fraud" in log.change_message
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ADMIN_ACTION, actor=operator).exists()
    transition = transitions_of(account).get()
    assert transition.reason == "suspected fraud" and transition.actor == operator
    # Blocked now: the button is gone and its page sends back with a message.
    assert b'id="state-block"' not in client.get(change_url(account)).content
    again = client.get(url, follow=True)
    assert again.redirect_chain[-1][0] == change_url(account)
    assert any(m.level_tag == "error" for m in again.context["messages"])


def test_a_reversal_above_the_threshold_is_approved_by_another_operator_with_a_reason():
    requester, approver = staff(roles.OPERATOR), staff(roles.OPERATOR)
    payer, payee, entry = transfer(1_500_000)
    rr = services.reversal_request(entry_id=entry.pk, reason="fraud", actor=requester)
    assert rr.state == ReversalRequest.State.PENDING
    url = state_url(rr, "approve")

    # The requester sees the button's page say four eyes, with nothing to submit...
    own = client_for(requester).get(url)
    assert own.status_code == 200
    assert own.context["own_request"] and b'id="four-eyes"' in own.content
    assert b'id="state-change-submit"' not in own.content
    # ...and a forged POST is refused before anything runs.
    forged = client_for(requester).post(url, {"reason": "mine", "confirm": "on"})
    assert forged.status_code == 403
    rr.refresh_from_db()
    assert rr.state == ReversalRequest.State.PENDING and balance_of(payer.pk) == (0, 0)

    second = client_for(approver)
    page = second.get(url)
    assert page.status_code == 200 and not page.context["own_request"]
    assert "R$ 15.000,00" in page.content.decode()
    assert b'id="four-eyes"' in page.content
    done = second.post(url, {"reason": "confirmed with the customer", "confirm": "on"})
    assert done.status_code == 302
    rr.refresh_from_db()
    assert rr.state == ReversalRequest.State.EXECUTED and rr.decided_by == approver
    assert balance_of(payer.pk) == (1_500_000, 1_500_000) and balance_of(payee.pk) == (0, 0)
    executed = transitions_of(rr).get(transition="execute")
    assert executed.reason == "confirmed with the customer" and executed.actor == approver
    assert LogEntry.objects.filter(
        object_id=str(rr.pk), user=approver, change_message__contains="confirmed with"
    ).exists()


def test_the_entry_page_requests_a_reversal_through_its_button():
    operator = staff(roles.OPERATOR)
    client = client_for(operator)
    payer, _, entry = transfer(500_000)
    page = client.get(change_url(entry)).content.decode()
    assert 'id="request-reversal"' in page
    url = state_url(entry, "request_reversal")
    confirm = client.get(url)
    assert "R$ 5.000,00" in confirm.content.decode()
    client.post(url, {"reason": "duplicate", "confirm": "on"})
    assert ReversalRequest.objects.get(entry=entry).state == ReversalRequest.State.EXECUTED
    assert balance_of(payer.pk) == (500_000, 500_000)
    assert 'id="request-reversal"' not in client.get(change_url(entry)).content.decode()


def test_without_permission_the_button_page_is_forbidden():
    officer = client_for(staff(roles.COMPLIANCE_OFFICER))
    customer = CustomerFactory()
    # Officers view customers but may not change their state.
    assert officer.get(state_url(customer, "activate")).status_code == 403
    assert (
        officer.post(state_url(customer, "activate"), {"reason": "x", "confirm": "on"}).status_code
        == 403
    )
    customer.refresh_from_db()
    assert customer.state == Customer.State.PENDING
    # Nor see reversal requests at all.
    _, _, entry = transfer(1_500_000)
    rr = services.reversal_request(entry_id=entry.pk, reason="x", actor=staff(roles.OPERATOR))
    assert officer.get(state_url(rr, "approve")).status_code == 403


@pytest.mark.parametrize(
    "form",
    [
        {"reason": "x" * 5000, "confirm": "on"},
        {"reason": "with a \x00 byte", "confirm": "on"},
        {"reason": ["a", "b"], "confirm": "false"},
        {"confirm": "on"},
        {"unexpected": "field"},
    ],
)
def test_bad_posts_to_a_button_page_are_refused_without_a_500(form):
    client = client_for(staff(roles.OPERATOR))
    customer = CustomerFactory()
    response = client.post(state_url(customer, "activate"), form)
    assert response.status_code in (200, 400)
    customer.refresh_from_db()
    assert customer.state == Customer.State.PENDING


def test_unknown_objects_and_actions_are_404_not_500():
    client = client_for(staff(roles.OPERATOR))
    customer = CustomerFactory()
    base = reverse("admin:accounts_customer_changelist")
    for path in (
        f"{base}999999999/state/activate/",
        f"{base}not-a-number/state/activate/",
        f"{base}{customer.pk}/state/no_such_action/",
        f"{base}{customer.pk}/state/open_account/",  # an action, but no state change
        f"{base}{customer.pk}/state/delete_selected/",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path, {"reason": "x", "confirm": "on"}).status_code == 404, path


def test_the_list_action_leaves_alone_the_objects_that_cannot_take_it():
    operator = staff(roles.OPERATOR)
    client = client_for(operator)
    pending, active = CustomerFactory(), CustomerFactory()
    services.customer_activate(customer_id=active.pk, actor=operator, reason="ok")
    changelist = reverse("admin:accounts_customer_changelist")
    selection = {helpers.ACTION_CHECKBOX_NAME: [pending.pk, active.pk]}

    page = client.post(changelist, {"action": "activate", "index": "0", **selection})
    assert page.status_code == 200
    assert [obj for obj, _ in page.context["objects"]] == [pending]
    assert len(page.context["refused"]) == 1 and str(active) in page.context["refused"][0]

    done = client.post(
        changelist,
        {"action": "activate", "apply": "yes", "reason": "docs ok", **selection},
        follow=True,
    )
    levels = [m.level_tag for m in done.context["messages"]]
    assert levels.count("success") == 1 and levels.count("error") == 1
    pending.refresh_from_db()
    assert pending.state == Customer.State.ACTIVE

    # When nothing selected can take it, no reason is asked: back to the list, one message each.
    nothing = client.post(
        changelist,
        {"action": "unblock", "index": "0", **selection},
        follow=True,
    )
    assert nothing.templates[0].name == "admin/change_list.html"
    assert [m.level_tag for m in nothing.context["messages"]] == ["error", "error"]
