"""Build customers and funded accounts through the real services."""

from __future__ import annotations

from apps.accounts import services
from apps.accounts.models import Account, Customer
from apps.core.fsm import apply_transition
from tests.factories.users import CustomerFactory


def funded_account(amount_cents: int = 0, *, customer=None, overdraft_limit: int = 0) -> Account:
    customer = customer or CustomerFactory()
    if customer.state == Customer.State.PENDING:
        # Only an active customer may debit (the money gate); a payment account belongs to
        # an onboarded customer, as signup ends since issue #10.
        apply_transition(customer, "activate", by="test", reason="funded account")
    account = services.account_open(customer=customer, overdraft_limit=overdraft_limit)
    if amount_cents:
        services.deposit(account_id=account.pk, amount_cents=amount_cents, description="funding")
    account.refresh_from_db()
    return account


def balance_of(account_id: int) -> tuple[int, int]:
    account = Account.objects.with_balances().get(pk=account_id)
    return account.total_balance, account.available_balance
