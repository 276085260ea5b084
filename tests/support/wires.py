"""TED test helpers: a customer who may send TEDs, a payee at another bank (known to the
simulated STR), an order, and moments inside and outside the TED window (Brasilia time)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.test import TestCase

from apps.accounts.models import Account, Customer
from apps.core.documents import synthetic_cpf
from apps.core.timezones import BRASILIA
from apps.simulators.str.simulator import register_bank_account
from apps.wire import services
from apps.wire.models import Wire
from tests.factories.customers import person
from tests.factories.ledger import funded_account

NUBANK_COMPE = "260"
NUBANK_ISPB = "18236120"
# A Wednesday in the past, inside the window: the money gate's day sums start before any
# posting a test writes (postings carry the database's real clock).
IN_WINDOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=BRASILIA)

_accounts = itertools.count(100_001)


def ted_sender(
    amount_cents: int = 1_000_000, *, level: int = 1, name: str = "Maria Souza Lima"
) -> Account:
    customer = person(name)
    Customer.objects.filter(pk=customer.pk).update(kyc_level=level)
    account = funded_account(amount_cents, customer=Customer.objects.get(pk=customer.pk))
    return Account.objects.select_related("customer").get(pk=account.pk)


def payee(*, state: str = "open", name: str = "Joao Carlos Pereira") -> dict:
    """An account at Nubank the simulated STR knows; the order fields that name it."""
    number = str(next(_accounts))
    cpf = synthetic_cpf(int(number), salt=13)
    register_bank_account(
        ispb=NUBANK_ISPB,
        branch="0001",
        number=number,
        holder_name=name,
        holder_tax_id=cpf,
        state=state,
    )
    return {
        "bank": NUBANK_COMPE,
        "branch": "0001",
        "account_number": number,
        "holder_name": name,
        "holder_tax_id": cpf,
    }


def order(account: Account, to: dict, amount_cents: int, **extra) -> dict:
    return {"account_id": account.pk, "amount_cents": amount_cents, **to, **extra}


def send(**kwargs) -> Wire:
    """`wire_send` as a request would run it: the STR call runs after the commit (in a test
    transaction, when the capture ends)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        wire = services.wire_send(**kwargs)
    wire.refresh_from_db()
    return wire


def send_due(**kwargs) -> int:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.wires_send_due(**kwargs)
