"""Property-based: random sequences of transfers, holds, captures, releases and reversals
never break the ledger, and balances always match a plain Python model of them."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from apps.accounts import ledger, services
from apps.accounts.models import Account
from apps.accounts.reconciliation import reconcile
from apps.core.errors import Conflict
from tests.factories.ledger import funded_account

amounts = st.integers(min_value=1, max_value=30_000)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.accounts = [funded_account(10_000) for _ in range(4)]
        self.ids = [a.pk for a in self.accounts]
        self.balance = dict.fromkeys(self.ids, 10_000)
        self.held = dict.fromkeys(self.ids, 0)
        self.holds = {}  # hold id -> (account, amount)
        self.entries = []  # (entry id, source, destination, amount)
        self.reversed = set()

    def available(self, account_id):
        return self.balance[account_id] - self.held[account_id]

    @rule(source=st.integers(0, 3), destination=st.integers(0, 3), amount=amounts)
    def transfer(self, source, destination, amount):
        if source == destination:
            return
        src, dst = self.ids[source], self.ids[destination]
        try:
            with transaction.atomic():
                entry = services.book_transfer(
                    source_id=src, destination_id=dst, amount_cents=amount
                )
        except ledger.InsufficientFunds:
            assert amount > self.available(src)
            return
        assert amount <= self.available(src)
        self.balance[src] -= amount
        self.balance[dst] += amount
        self.entries.append((entry, src, dst, amount))

    @rule(index=st.integers(0, 3), amount=amounts)
    def place_hold(self, index, amount):
        account = self.ids[index]
        try:
            with transaction.atomic():
                hold = services.hold_place(account_id=account, amount_cents=amount, reason="p")
        except ledger.InsufficientFunds:
            assert amount > self.available(account)
            return
        self.held[account] += amount
        self.holds[hold.pk] = (account, amount)

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), fraction=st.floats(0.01, 1.0))
    def capture(self, data, fraction):
        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        account, amount = self.holds.pop(hold_id)
        captured = max(1, int(amount * fraction))
        merchant = self.ids[(self.ids.index(account) + 1) % 4]
        services.hold_capture(
            hold_id=hold_id, amount_cents=captured, counterpart_id=merchant, kind="capture"
        )
        self.held[account] -= amount
        self.balance[account] -= captured
        self.balance[merchant] += captured

    @precondition(lambda self: self.holds)
    @rule(data=st.data())
    def release(self, data):
        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        account, amount = self.holds.pop(hold_id)
        services.hold_release(hold_id=hold_id)
        self.held[account] -= amount

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def reverse(self, data):
        entry, src, dst, amount = data.draw(st.sampled_from(self.entries))
        try:
            with transaction.atomic():
                services.entry_reverse(entry_id=entry, reason="property test")
        except Conflict:
            assert entry in self.reversed
            return
        except ledger.InsufficientFunds:
            assert amount > self.available(dst)
            return
        assert entry not in self.reversed
        self.reversed.add(entry)
        self.balance[src] += amount
        self.balance[dst] -= amount

    @invariant()
    def balances_match_the_model(self):
        for account in Account.objects.with_balances().filter(pk__in=self.ids):
            assert account.total_balance == self.balance[account.pk]
            assert account.held == self.held[account.pk]
            assert account.available_balance >= 0

    @invariant()
    def ledger_reconciles(self):
        assert reconcile().ok


@pytest.mark.django_db
def test_ledger_state_machine():
    LedgerMachine.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    LedgerMachine.TestCase().runTest()
