"""Monitoring with real transactions: concurrent hits of one pattern open ONE alert, the
daily batch and the outbox handler agree, and the velocity rule against the customer's own
history (which needs postings at distinct times, i.e. separate transactions)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from apps.accounts import services as accounts
from apps.monitoring import services
from apps.monitoring.models import Alert
from tests.support.monitoring import (
    alerts_of,
    drain_all,
    funded_account,
    only_rules,
    set_params,
    transfer,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_celery_kick(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False


def run_threads(count: int, work) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.mark.parametrize("threads", [2, 4])
def test_concurrent_hits_of_one_pattern_open_one_alert(threads):
    only_rules("structuring")
    set_params("structuring", min_count=2)
    payer = funded_account(10_000_000)
    payees = [funded_account(0) for _ in range(threads)]
    transfer(payer, payees[0], 950_000)

    def work(index: int) -> None:
        # Each thread posts its own movement and evaluates at once, as two outbox workers
        # handling two messages of the same customer would.
        transfer(payer, payees[index], 960_000 + index)
        services.monitoring_evaluate_customer(customer_id=payer.customer_id)

    assert run_threads(threads, work) == []
    alerts = alerts_of(payer, "structuring")
    assert alerts.count() == 1
    # Whoever lost the race extended the winner's alert: nothing is lost once all commit.
    services.monitoring_evaluate_customer(customer_id=payer.customer_id)
    alert = alerts.get()
    assert len(alert.evidence["movements"]) == threads + 1
    assert Alert.objects.filter(rule__code="structuring", customer=payer.customer).count() == 1


def test_outbox_handler_and_daily_batch_open_the_same_single_alert():
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    for cents in (910_000, 920_000, 930_000):
        transfer(payer, payee, cents)
    drain_all()
    assert alerts_of(payer, "structuring").count() == 1
    assert services.monitoring_run_batch() >= 1  # re-evaluates, extends nothing new
    assert alerts_of(payer, "structuring").count() == 1

    from apps.monitoring.tasks import monitoring_daily_batch_task

    monitoring_daily_batch_task.apply()
    assert alerts_of(payer, "structuring").count() == 1


def test_velocity_spike_against_the_customers_own_history():
    only_rules("velocity")
    # Windows in seconds so the test can make a "history" and a "spike" a few seconds apart.
    set_params(
        "velocity",
        window_days=2 / 86400,
        history_days=10 / 86400,
        multiplier=5,
        min_volume_cents=100_000,
    )
    steady, spiky = funded_account(0), funded_account(0)
    for account in (steady, spiky):
        for _ in range(3):
            accounts.deposit(account_id=account.pk, amount_cents=100_000, description="in")
    time.sleep(2.5)
    # History 300_000 over 10 s = 60_000 per 2-second window; 5x is 300_000.
    accounts.deposit(account_id=steady.pk, amount_cents=200_000, description="in")
    accounts.deposit(account_id=spiky.pk, amount_cents=900_000, description="in")
    assert services.monitoring_evaluate_customer(customer_id=steady.customer_id) == []
    (alert,) = services.monitoring_evaluate_customer(customer_id=spiky.customer_id)
    assert alert.evidence["facts"] == {"volume": 900_000, "baseline": 60_000}
    assert [m["amount"] for m in alert.evidence["movements"]] == [900_000]
