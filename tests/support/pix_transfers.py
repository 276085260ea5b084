"""Helpers of the Pix transfer tests: a funded payer (maria), a key at another PSP in the
simulated DICT (key_elsewhere), and the reserves account's balance (reserves_total)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from apps.accounts.models import Account, Customer
from apps.accounts.services import internal_account
from apps.pix.adapters.dict import DictAccount
from apps.simulators.dict.simulator import DictSimulator
from tests.factories.ledger import funded_account
from tests.support.pix_keys import BB, other_owner, person


def reserves_total() -> int:
    return (
        Account.objects.with_balances().get(pk=internal_account("reserves_bacen").pk).total_balance
    )


def key_elsewhere(*, number: str = "12345678", ispb: str = BB) -> str:
    """A CPF key of a customer of another PSP, in the (simulated) DICT."""
    owner = other_owner()
    DictSimulator(ispb).create_entry(
        key_type="CPF",
        key=owner.tax_id,
        account=DictAccount(
            participant=ispb,
            branch="1234",
            account_number=number,
            account_type="CACC",
            opened_at=datetime(2019, 5, 1, tzinfo=UTC),
        ),
        owner=owner,
        request_id=uuid.uuid4(),
    )
    return owner.tax_id


def maria(amount_cents: int = 100_000, *, kyc_level: int = 0) -> Account:
    customer = person("Maria Souza Lima")
    if kyc_level:
        Customer.objects.filter(pk=customer.pk).update(kyc_level=kyc_level)
        customer.refresh_from_db()
    return funded_account(amount_cents, customer=customer)
