"""Two TEDs at once, from real parallel connections: together they exceed the balance, or
the day's limit: exactly one goes."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connections

from apps.core.errors import DomainError
from apps.wire.models import Wire
from tests.factories.ledger import balance_of
from tests.support.wires import IN_WINDOW, order, payee, send, ted_sender

FEE = 500


def race(account, to, amount: int, workers: int = 2) -> tuple[list, list]:
    barrier = threading.Barrier(workers)
    results, errors = [], []
    lock = threading.Lock()

    def one():
        try:
            barrier.wait()
            wire = send(customer=account.customer, **order(account, to, amount))
            with lock:
                results.append(wire.state)
        except DomainError as exc:
            with lock:
                errors.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.django_db(transaction=True)
@time_machine.travel(IN_WINDOW, tick=False)
def test_two_teds_over_the_balance_one_is_refused():
    account = ted_sender(60_000)
    results, errors = race(account, payee(), 40_000)
    assert results == [Wire.State.SETTLED]
    assert len(errors) == 1
    assert balance_of(account.pk)[0] == 60_000 - 40_000 - FEE
    assert Wire.objects.filter(state=Wire.State.SETTLED).count() == 1


@pytest.mark.django_db(transaction=True)
@time_machine.travel(IN_WINDOW, tick=False)
def test_two_teds_over_the_days_limit_one_is_refused():
    # KYC level 1: R$ 5.000,00 a day for TED; two of R$ 3.000,00 from a rich account.
    account = ted_sender(2_000_000)
    results, errors = race(account, payee(), 300_000)
    assert results == [Wire.State.SETTLED]
    assert errors == ["limit_exceeded"]
    assert balance_of(account.pk)[0] == 2_000_000 - 300_000 - FEE
