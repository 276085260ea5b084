"""Concurrent registrations cannot exceed an account's key limit (real threads, one
connection each; registrations of one account serialize on an advisory lock)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connections

from apps.pix.keys import errors as key_errors
from apps.pix.keys import services
from apps.pix.models import PixKey
from apps.simulators.models import DictEntry
from tests.support.pix_keys import account_of, person


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_respect_the_limit():
    account = account_of(person())
    outcomes: Counter = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(10)

    def register():
        try:
            barrier.wait()
            try:
                services.key_register(account=account, key_type="EVP")
                result = "ok"
            except key_errors.KeyLimitReached:
                result = "limit"
            with lock:
                outcomes[result] += 1
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes == Counter({"ok": 5, "limit": 5})
    assert PixKey.objects.filter(account=account, state="active").count() == 5
    assert DictEntry.objects.filter(account_number=account.number).count() == 5
