"""Card test helpers: a cardholder at KYC level 1 with a funded account and an active
virtual card (its clear PAN, expiry and CVV2 known to the test only), and requests."""

from __future__ import annotations

import itertools

from apps.accounts.models import Account, Customer
from apps.cards.services import AuthRequest, IssuedCard, card_issue
from tests.factories.customers import person
from tests.factories.ledger import funded_account

_stan = itertools.count(1)


def cardholder(
    amount_cents: int = 100_000,
    *,
    level: int = 1,
    name: str = "Maria Souza Lima",
    kind: str = "virtual",
) -> tuple[Account, IssuedCard]:
    customer = person(name)
    Customer.objects.filter(pk=customer.pk).update(kyc_level=level)
    customer.refresh_from_db()
    account = funded_account(amount_cents, customer=customer)
    issued = card_issue(customer=customer, account_id=account.pk, kind=kind)
    return account, issued


def purchase(issued: IssuedCard, amount_cents: int, **fields) -> AuthRequest:
    """An 0100 at a Brazilian shop, chip and PIN-less, unique DE 11 / DE 37."""
    n = next(_stan)
    values = {
        "mti": "0100",
        "pan": issued.pan,
        "amount_cents": amount_cents,
        "stan": f"{n % 10**6:06d}",
        "rrn": f"{n:012d}",
        "terminal_id": "TERM0001",
        "merchant_id": "MERCHANT000001",
        "merchant_name": "PADARIA TRES IRMAOS",
        "mcc": "5411",
        "expiry": issued.expiry,
        "entry_mode": "051",
        "card_present": True,
        **fields,
    }
    return AuthRequest(**values)
