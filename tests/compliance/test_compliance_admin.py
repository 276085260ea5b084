"""The compliance console: lists and results read-only, the watchlist editable."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from apps.compliance import services
from apps.compliance.models import ListEntry, ScreeningHit, WatchlistEntry
from apps.core import roles
from tests.factories.users import CustomerFactory, UserFactory
from tests.support.compliance import OFAC_SMALL, fresh_start

pytestmark = pytest.mark.django_db


def staff_client(role: str) -> tuple[Client, object]:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client, user


@pytest.fixture
def screened():
    fresh_start()
    services.import_list(source="ofac", path=OFAC_SMALL)
    return services.screen_customer(CustomerFactory(full_name="Elvis Angus Logan Morey"))


def test_officer_reads_lists_and_results_and_edits_the_watchlist(screened):
    client, officer = staff_client(roles.COMPLIANCE_OFFICER)
    entry = ListEntry.objects.get(version__is_active=True, entry_id="10278")
    hit = screened.hits.get()
    for url in (
        "/admin/compliance/listversion/",
        "/admin/compliance/listentry/?q=logan",
        f"/admin/compliance/listentry/{entry.pk}/change/",
        "/admin/compliance/screeningresult/",
        f"/admin/compliance/screeningresult/{screened.pk}/change/",
        "/admin/compliance/screeninghit/",
        "/admin/compliance/watchlistentry/",
        "/admin/compliance/watchlistentry/add/",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/admin/compliance/listentry/{entry.pk}/change/").content.decode()
    assert "LOGAN MOREY" in page and 'name="_save"' not in page  # read-only
    response = client.post(
        "/admin/compliance/watchlistentry/add/",
        {"name": "Fulano Watch", "aliases": "", "kind": "individual", "reason": "tip-off",
         "country": "BR", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    item = WatchlistEntry.objects.get(name="Fulano Watch")
    assert item.created_by == officer
    assert services.screen("Watch Fulano")[0].list == "internal"
    response = client.post(
        "/admin/compliance/screeninghit/",
        {"action": "clear_hits", "_selected_action": [hit.pk]},
    )
    assert response.status_code == 302
    hit.refresh_from_db()
    assert hit.status == ScreeningHit.Status.CLEARED


def test_operator_sees_no_compliance_console(screened):
    client, _ = staff_client(roles.OPERATOR)
    assert client.get("/admin/compliance/watchlistentry/").status_code == 403
    assert client.get("/admin/compliance/screeninghit/").status_code == 403
