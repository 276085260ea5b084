"""16 real connections hammer 50 accounts; the invariants are then read back from SQL."""

import random
import threading

import pytest
from django.db import connection, connections

from apps.accounts import ledger, services
from apps.accounts.reconciliation import reconcile
from tests.factories.ledger import funded_account

WORKERS = 16
TRANSFERS = 2_000
ACCOUNTS = 50


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "accounts_count",
    [ACCOUNTS, 4],  # 4: every entry fights over the same rows and shards (deadlock hunt)
)
def test_concurrent_random_transfers_keep_every_invariant(accounts_count):
    accounts = [funded_account(random.randint(0, 50_000)) for _ in range(accounts_count)]
    ids = [a.pk for a in accounts]
    successes, refusals, errors = [], [], []
    lock = threading.Lock()
    barrier = threading.Barrier(WORKERS)

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        barrier.wait()
        try:
            for _ in range(TRANSFERS // WORKERS):
                source, destination = rng.sample(ids, 2)
                # Amounts up to R$ 600 against balances up to R$ 500: many overdraw.
                amount = rng.randint(1, 60_000)
                try:
                    services.book_transfer(
                        source_id=source, destination_id=destination, amount_cents=amount
                    )
                    with lock:
                        successes.append(amount)
                except ledger.InsufficientFunds:
                    with lock:
                        refusals.append(amount)
        except Exception as exc:  # anything else fails the test below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(successes) + len(refusals) == TRANSFERS
    assert successes and refusals, "the mix must include both outcomes"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounts_account WHERE kind = 'customer' AND balance < 0"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT coalesce(sum(amount), 0) FROM accounts_posting")
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM accounts_journalentry WHERE kind = 'book_transfer'")
        assert cursor.fetchone()[0] == len(successes)
        cursor.execute(
            """SELECT count(*) FROM accounts_account a
                WHERE a.kind = 'customer'
                  AND a.balance + (SELECT coalesce(sum(s.amount), 0) FROM accounts_balanceshard s
                                    WHERE s.account_id = a.id) <> (
                    SELECT coalesce(sum(p.amount), 0) FROM accounts_posting p
                     WHERE p.account_id = a.id)"""
        )
        assert cursor.fetchone()[0] == 0
    assert reconcile().ok
