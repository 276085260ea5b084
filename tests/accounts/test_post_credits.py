"""ledger.post_credits: a batch of entries debiting no customer, set-based (migration 0007)."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.accounts import ledger
from apps.accounts.ledger import Entry, Leg
from apps.accounts.models import JournalEntry, Posting
from apps.accounts.services import internal_account_id
from apps.core.errors import ValidationFailed
from apps.core.models import OutboxMessage
from tests.factories.ledger import balance_of, funded_account

pytestmark = pytest.mark.django_db


def _credit(account_id: int, amount: int, clearing: int) -> Entry:
    return Entry(
        kind="boleto_received",
        legs=[Leg(clearing, -amount), Leg(account_id, amount)],
        reference_type="test",
        metadata={"n": amount},
    )


def test_credits_post_entries_postings_and_outbox_in_order():
    clearing = internal_account_id("boleto_clearing")
    a, b = funded_account(), funded_account()
    entries = [
        _credit(a.pk, 100, clearing),
        _credit(b.pk, 250, clearing),
        _credit(a.pk, 5, clearing),
    ]
    ids = ledger.post_credits(entries)
    assert len(ids) == 3 and ids == sorted(ids)
    assert [JournalEntry.objects.get(pk=i).metadata["n"] for i in ids] == [100, 250, 5]
    assert balance_of(a.pk)[0] == 105 and balance_of(b.pk)[0] == 250
    assert Posting.objects.filter(entry_id__in=ids).count() == 6
    messages = OutboxMessage.objects.filter(topic="ledger.balance_changed")
    assert sorted(m.payload["entry_id"] for m in messages) == ids


@pytest.mark.parametrize(
    "legs",
    [
        "debit_customer",
        "unbalanced",
        "one_leg",
        "zero",
        "twice",
        "missing_account",
    ],
)
def test_malformed_batches_post_nothing(legs):
    clearing = internal_account_id("boleto_clearing")
    account = funded_account(1_000)
    bad = {
        "debit_customer": [Leg(account.pk, -10), Leg(clearing, 10)],
        "unbalanced": [Leg(clearing, -10), Leg(account.pk, 9)],
        "one_leg": [Leg(account.pk, 10)],
        "zero": [Leg(clearing, 0), Leg(account.pk, 0)],
        "twice": [Leg(account.pk, 5), Leg(account.pk, -5)],
        "missing_account": [Leg(clearing, -10), Leg(999_999_999, 10)],
    }[legs]
    before = JournalEntry.objects.count()
    with pytest.raises(Exception) as refused, transaction.atomic():
        ledger.post_credits([_credit(account.pk, 7, clearing), Entry(kind="x", legs=bad)])
    assert isinstance(refused.value, ValidationFailed | ledger.UnknownAccount)
    assert JournalEntry.objects.count() == before
    assert balance_of(account.pk)[0] == 1_000


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 10**9)), min_size=1, max_size=40))
def test_a_batch_moves_exactly_its_amounts(credits):
    clearing = internal_account_id("boleto_clearing")
    accounts = [funded_account() for _ in range(3)]
    before = [balance_of(a.pk)[0] for a in accounts]
    clearing_before = balance_of(clearing)[0]
    ledger.post_credits([_credit(accounts[i].pk, m, clearing) for i, m in credits])
    for index, account in enumerate(accounts):
        expected = before[index] + sum(m for i, m in credits if i == index)
        assert balance_of(account.pk)[0] == expected
    assert balance_of(clearing)[0] == clearing_before - sum(m for _i, m in credits)
