"""The customer-adjustable Pix night limit (Resolução BCB nº 142/2021)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.accounts.limits import LimitExceeded, check
from apps.core.errors import ValidationFailed
from apps.core.models import AuditEvent
from apps.core.timezones import BRASILIA
from apps.pix.models import PixLimitSettings, PixTransfer
from apps.pix.transfers.limits import (
    NIGHT_LIMIT_CENTS,
    NightLimitNotApplicable,
    night_limit_change,
    night_limit_of,
    night_window,
)
from apps.pix.transfers.services.send import pix_send
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import api_client, company, person
from tests.support.pix_payments import set_kyc
from tests.support.pix_transfers import key_elsewhere, maria

T = datetime(2026, 3, 2, 14, 0, tzinfo=BRASILIA)  # a Monday afternoon in Brasilia


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the default language is pt-BR."""
    with translation.override("en"):
        yield


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    return (T + timedelta(days=day_offset)).replace(hour=hour, minute=minute)


@pytest.mark.django_db
def test_defaults_until_changed():
    limit = night_limit_of(maria(), T)
    assert (limit.limit_cents, limit.starts_at_hour) == (NIGHT_LIMIT_CENTS, 20)
    assert limit.pending_limit_cents is None and limit.pending_effective_at is None


@pytest.mark.django_db
def test_a_reduction_applies_at_once():
    account = set_kyc(maria(), 1)
    night_limit_change(account=account, limit_cents=50_000, starts_at_hour=22, now=T)
    limit = night_limit_of(account, T)
    assert (limit.limit_cents, limit.starts_at_hour) == (50_000, 22)
    assert limit.pending_limit_cents is None
    assert limit.describe() == "Night limit of R$ 500,00 between 22:00 and 06:00 (Brasilia time)."


@pytest.mark.django_db
def test_a_raise_waits_24_hours():
    account = set_kyc(maria(), 1)
    night_limit_change(account=account, limit_cents=300_000, starts_at_hour=20, now=T)

    waiting = night_limit_of(account, T + timedelta(hours=23, minutes=59))
    assert waiting.limit_cents == NIGHT_LIMIT_CENTS
    assert waiting.pending_limit_cents == 300_000
    assert waiting.pending_effective_at == T + timedelta(hours=24)
    # The night rule uses what is in force: the old limit that first night.
    with pytest.raises(LimitExceeded):
        check(account=account, product="pix", amount_cents=150_000, now=at(0, 23))

    applied = night_limit_of(account, T + timedelta(hours=24))
    assert applied.limit_cents == 300_000 and applied.pending_limit_cents is None
    check(account=account, product="pix", amount_cents=150_000, now=at(1, 23))


@pytest.mark.django_db
def test_a_later_reduction_cancels_a_pending_raise():
    account = set_kyc(maria(), 1)
    night_limit_change(account=account, limit_cents=300_000, starts_at_hour=20, now=T)
    night_limit_change(
        account=account, limit_cents=80_000, starts_at_hour=20, now=T + timedelta(hours=1)
    )
    limit = night_limit_of(account, T + timedelta(days=3))
    assert limit.limit_cents == 80_000 and limit.pending_limit_cents is None
    row = PixLimitSettings.objects.get(account=account)
    assert row.pending_night_limit is None and row.pending_effective_at is None


@pytest.mark.django_db
def test_asking_a_smaller_raise_keeps_the_clock_a_bigger_one_restarts_it():
    account = set_kyc(maria(), 1)
    night_limit_change(account=account, limit_cents=300_000, starts_at_hour=20, now=T)
    night_limit_change(
        account=account, limit_cents=200_000, starts_at_hour=20, now=T + timedelta(hours=5)
    )
    assert night_limit_of(account, T).pending_effective_at == T + timedelta(hours=24)
    night_limit_change(
        account=account, limit_cents=400_000, starts_at_hour=20, now=T + timedelta(hours=6)
    )
    limit = night_limit_of(account, T + timedelta(hours=25))
    assert limit.limit_cents == NIGHT_LIMIT_CENTS and limit.pending_limit_cents == 400_000
    assert limit.pending_effective_at == T + timedelta(hours=30)


@pytest.mark.django_db
def test_a_change_after_a_raise_took_effect_starts_from_it():
    account = set_kyc(maria(), 1)
    night_limit_change(account=account, limit_cents=300_000, starts_at_hour=20, now=T)
    # Two days later the raise is in force; asking less is a reduction from 3.000.
    night_limit_change(
        account=account, limit_cents=250_000, starts_at_hour=20, now=T + timedelta(days=2)
    )
    limit = night_limit_of(account, T + timedelta(days=2))
    assert limit.limit_cents == 250_000 and limit.pending_limit_cents is None


@pytest.mark.django_db
def test_bounds_zero_to_the_kyc_daily_limit_and_start_hours():
    account = maria()  # KYC level 0: R$ 500,00 a day
    night_limit_change(account=account, limit_cents=0, starts_at_hour=20, now=T)
    assert night_limit_of(account, T).limit_cents == 0
    with pytest.raises(LimitExceeded):
        check(account=account, product="pix", amount_cents=1, now=at(0, 21))

    with pytest.raises(ValidationFailed) as caught:
        night_limit_change(account=account, limit_cents=50_001, starts_at_hour=20, now=T)
    assert caught.value.field == "night_limit" and "R$ 500,00" in caught.value.message
    for bad in (-1, True, 1.5):
        with pytest.raises(ValidationFailed):
            night_limit_change(account=account, limit_cents=bad, starts_at_hour=20, now=T)
    for hour in (21, 0, 6, None, True):
        with pytest.raises(ValidationFailed) as caught:
            night_limit_change(account=account, limit_cents=100, starts_at_hour=hour, now=T)
        assert caught.value.field == "night_starts_at_hour"
    assert night_limit_of(account, T).limit_cents == 0


@pytest.mark.django_db
def test_companies_have_no_night_limit_to_change():
    account = funded_account(customer=company())
    with pytest.raises(NightLimitNotApplicable):
        night_limit_change(account=account, limit_cents=100, starts_at_hour=20, now=T)


@pytest.mark.django_db
def test_the_change_is_audited():
    account = set_kyc(maria(), 1)
    user = account.customer.user
    row = night_limit_change(
        account=account, limit_cents=30_000, starts_at_hour=22, actor=user, now=T
    )
    event = AuditEvent.objects.get(object_id=str(row.pk), object_type="pix.PixLimitSettings")
    assert event.actor_id == user.pk and event.action == AuditEvent.Action.BUSINESS
    assert event.detail["event"] == "pix.night_limit_changed"
    assert event.detail["before"]["night_limit"] == NIGHT_LIMIT_CENTS
    assert event.detail["night_limit"] == 30_000 and event.detail["night_starts_at_hour"] == 22


# --- the rule, with the night starting at 22:00 -------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("moment", "is_night"),
    [
        (at(0, 19, 59), False),
        (at(0, 20, 0), False),  # night starts at 22:00 for this customer
        (at(0, 21, 59), False),
        (at(0, 22, 0), True),
        (at(1, 0, 0), True),
        (at(1, 5, 59), True),
        (at(1, 6, 0), False),
    ],
)
def test_window_starting_at_22_in_brasilia_time(moment, is_night):
    account = set_kyc(maria(500_000), 1)
    night_limit_change(account=account, limit_cents=50_000, starts_at_hour=22, now=T)
    key = key_elsewhere()
    if is_night:
        with pytest.raises(LimitExceeded) as caught:
            pix_send(account=account, key=key, amount_cents=60_000, now=moment)
        message = caught.value.message
        assert "Night limit of R$ 500,00 between 22:00 and 06:00" in message
        assert "R$ 500,00 left tonight" in message
        assert balance_of(account.pk)[0] == 500_000 and not PixTransfer.objects.exists()
    else:
        transfer = pix_send(account=account, key=key, amount_cents=60_000, now=moment)
        assert transfer.amount == 60_000


@pytest.mark.django_db
def test_the_edges_hold_in_utc_too():
    """22:00 in Brasilia is 01:00 UTC the next day: the rule works on Brasilia time."""
    account = set_kyc(maria(500_000), 1)
    night_limit_change(account=account, limit_cents=50_000, starts_at_hour=22, now=T)
    utc_night = at(0, 22).astimezone(UTC)
    assert (utc_night.day, utc_night.hour) == (3, 1)
    with pytest.raises(LimitExceeded):
        check(account=account, product="pix", amount_cents=50_001, now=utc_night)
    check(account=account, product="pix", amount_cents=50_000, now=utc_night)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    moment=st.datetimes(
        min_value=datetime(2020, 1, 1),
        max_value=datetime(2035, 12, 31),
        timezones=st.just(BRASILIA),
    ),
    start=st.sampled_from([20, 22]),
)
def test_night_window_property(moment, start):
    window = night_window(moment, start)
    local = moment.astimezone(BRASILIA)
    night = local.hour >= start or local.hour < 6
    assert (window is not None) == night
    if window is not None:
        begin, end = window
        assert begin <= moment < end
        assert begin.astimezone(BRASILIA).hour == start
        assert end.astimezone(BRASILIA).hour == 6
        assert end.astimezone(BRASILIA).date() == begin.astimezone(BRASILIA).date() + timedelta(1)


# --- API ----------------------------------------------------------------------------------

URL = "/api/v1/pix/limits"


@pytest.mark.django_db
def test_api_get_and_put():
    customer = person("Maria Souza Lima")
    account = set_kyc(funded_account(customer=customer), 1)
    client = api_client(customer)

    shown = client.get(URL)
    assert shown.status_code == 200, shown.json()
    assert shown.json()["night_limit"] == "1000.00" and shown.json()["night_starts_at_hour"] == 20
    assert shown.json()["daily_limit"] == "5000.00" and shown.json()["applies"] is True

    lowered = client.put(
        f"{URL}?account={account.pk}",
        {"night_limit": "500.00", "night_starts_at_hour": 22},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert lowered.status_code == 200, lowered.json()
    assert lowered.json()["night_limit"] == "500.00"
    assert lowered.json()["message"].startswith("Night limit of R$ 500,00 between 22:00 and 06:00")

    raised = client.put(
        f"{URL}?account_id={account.pk}",
        {"night_limit": "2000.00", "night_starts_at_hour": 22},
        format="json",
    )
    body = raised.json()
    assert raised.status_code == 200 and body["night_limit"] == "500.00"
    assert body["pending_night_limit"] == "2000.00" and body["pending_effective_at"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        {},
        {"night_limit": "abc", "night_starts_at_hour": 20},
        {"night_limit": "-1.00", "night_starts_at_hour": 20},
        {"night_limit": "100.00", "night_starts_at_hour": 21},
        {"night_limit": "100.00", "night_starts_at_hour": "x"},
        {"night_limit": 100, "night_starts_at_hour": 20},
        {"night_limit": "99999999.00", "night_starts_at_hour": 20},
        ["x"],
    ],
)
def test_api_garbage_is_a_400_and_changes_nothing(body):
    customer = person("Maria Souza Lima")
    account = funded_account(customer=customer)
    response = api_client(customer).put(f"{URL}?account={account.pk}", body, format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert not PixLimitSettings.objects.exists()


@pytest.mark.django_db
def test_api_account_selection():
    customer = person("Maria Souza Lima")
    first = funded_account(customer=customer)
    funded_account(customer=customer)
    client = api_client(customer)
    assert client.get(URL).status_code == 400  # two accounts: say which
    assert client.get(f"{URL}?account={first.pk}").status_code == 200
    assert client.get(f"{URL}?account=abc").status_code == 404
    other = funded_account(customer=person("Joao Carlos Silva"))
    assert client.get(f"{URL}?account={other.pk}").status_code == 404
    business = company()
    company_account = funded_account(customer=business)
    response = api_client(business).put(
        f"{URL}?account={company_account.pk}",
        {"night_limit": "1.00", "night_starts_at_hour": 20},
        format="json",
    )
    assert response.status_code == 422
