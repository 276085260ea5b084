"""Concurrent look-ups cannot overspend a DICT anti-scan bucket (real threads, one
connection each; the bucket is spent by one conditional UPDATE in PostgreSQL)."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from django.db import connections

from apps.pix.adapters import dict as dict_api
from apps.pix.adapters.dict import POLICY_ANTISCAN_V2
from apps.pix.keys import services
from apps.simulators.dict.simulator import DictSimulator
from apps.simulators.models import DictTokenBucket
from tests.support.pix_keys import T0, other_owner, person, register_elsewhere

THREADS = 12


def hammer(customer, keys: list[str]) -> Counter:
    """Look every key up from THREADS threads at once, at one frozen instant (no refill)."""
    outcomes: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)
    chunks = [keys[i::THREADS] for i in range(THREADS)]

    def work(chunk):
        try:
            barrier.wait()
            for key in chunk:
                try:
                    services.key_lookup(key=key, requester=customer, now=T0)
                    result = 200
                except dict_api.EntryNotFound:
                    result = 404
                except dict_api.RateLimited:
                    result = 429
                with lock:
                    outcomes[result] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_found_lookups_spend_exactly_the_bucket():
    entry = register_elsewhere(key_type="EVP", key=None, owner=other_owner())
    payer = person()
    outcomes = hammer(payer, [entry.key] * 180)
    assert outcomes == Counter({200: 100, 429: 80})
    bucket = DictTokenBucket.objects.get(policy=POLICY_ANTISCAN_V2)
    assert bucket.tokens == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_misses_are_served_only_while_tokens_last():
    payer = person()
    outcomes = hammer(payer, [str(uuid.uuid4()) for _ in range(60)])
    # 100 tokens, 20 per miss: five misses are answered, everything after is 429.
    assert outcomes == Counter({404: 5, 429: 55})
    requester = services.requester_of(payer)
    assert DictSimulator().bucket_level(requester, POLICY_ANTISCAN_V2, T0) == 0
