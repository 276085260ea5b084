"""The audit chain in tests that run inside one transaction.

Events are chained when their transaction commits (a deferred constraint trigger), and a
test's transaction never commits: `chain_at_once` makes the trigger fire at the end of each
statement instead, as a commit would."""

from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture
def chain_at_once(db):
    if not connection.in_atomic_block:  # a transactional test commits: nothing to do
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS core_auditevent_chain IMMEDIATE")


@pytest.fixture
def empty_audit_log(db):
    """Start from an empty chain. Earlier tests may have left committed events behind (the
    evidence kept despite a rollback is written on its own connection): inside the test's
    transaction the TRUNCATE is rolled back with it. TRUNCATE, unlike DELETE, does not meet
    the append-only trigger, and empties the table as a fresh database would have it."""
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE core_auditevent")
