from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from apps.accounts import limits, money_gate, services
from apps.accounts.ledger import Leg, post_entry
from tests.factories.ledger import funded_account


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the messages' English wording (the portal's second language); the
    # pt-BR catalog is checked by tests/core/test_untranslated.py.
    with translation.override("en"):
        yield


BRT = ZoneInfo("America/Sao_Paulo")
pytestmark = pytest.mark.django_db


def pix_out(account, amount):
    reserves = services.internal_account("reserves_bacen")
    post_entry(kind="pix_out", legs=[Leg(account.pk, -amount), Leg(reserves.pk, amount)])


def level(account, kyc_level):
    account.customer.kyc_level = kyc_level
    account.customer.save(update_fields=["kyc_level"])


def test_level_zero_daily_limit_names_the_limit_and_how_to_raise_it():
    account = funded_account(1_000_000)
    level(account, 0)
    with pytest.raises(limits.LimitExceeded) as error:
        limits.check(account=account, product="pix", amount_cents=60_000)
    message = error.value.message
    assert "R$ 500,00" in message and "KYC level 0" in message and "KYC level 1" in message


def test_what_was_sent_today_counts():
    account = funded_account(1_000_000)
    level(account, 0)
    pix_out(account, 40_000)
    limits.check(account=account, product="pix", amount_cents=10_000)
    with pytest.raises(limits.LimitExceeded, match="R\\$ 100,00 left today"):
        limits.check(account=account, product="pix", amount_cents=10_001)
    limits.check(account=account, product="book", amount_cents=10_001)  # other product


def test_monthly_limit(monkeypatch):
    # Postings are stamped by PostgreSQL's clock, which no Python freezer reaches: lift the
    # daily limit instead of moving the clock, so four payments today fill the month.
    monkeypatch.setitem(limits.KYC_LIMITS, 0, limits.LevelLimits(daily=10**9, monthly=200_000))
    account = funded_account(10_000_000)
    level(account, 0)
    for _ in range(4):
        pix_out(account, 50_000)
    with pytest.raises(limits.LimitExceeded, match="Monthly Pix limit of R\\$ 2.000,00"):
        limits.check(account=account, product="pix", amount_cents=1)


def test_level_two_allows_what_level_zero_refuses():
    account = funded_account(1_000_000)
    level(account, 2)
    limits.check(account=account, product="pix", amount_cents=60_000)


def test_brasilia_calendar_day():
    day, month = limits.period_starts(datetime(2026, 12, 1, 2, 30, tzinfo=ZoneInfo("UTC")))
    # 02:30 UTC on Dec 1st is still Nov 30th in Brasilia (UTC-3)
    assert day == datetime(2026, 11, 30, tzinfo=BRT)
    assert month == datetime(2026, 11, 1, tzinfo=BRT)


def test_product_rules_are_consulted(monkeypatch):
    monkeypatch.setitem(limits.PRODUCTS, "test_product", limits.Product("test", ("test_out",)))
    monkeypatch.setattr(money_gate, "_rules", {})
    account = funded_account(1_000_000)
    calls = []

    def night_rule(acc, amount, now):
        calls.append(amount)
        raise limits.LimitExceeded("night")

    limits.register_rule("test_product", night_rule)
    with pytest.raises(limits.LimitExceeded, match="night"):
        limits.check(account=account, product="test_product", amount_cents=1)
    assert calls == [1]
