"""Helpers shared by the Pix keys and DICT simulator tests (no tests here)."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.accounts.models import Customer
from apps.pix import adapters
from apps.pix.adapters.dict import LEGAL_PERSON, NATURAL_PERSON, DictAccount, DictOwner
from apps.simulators.dict.simulator import DictSimulator
from tests.factories.customers import company, new_cnpj, new_cpf, person  # noqa: F401  (re-exported)
from tests.factories.ledger import funded_account

BB = "00000000"  # Banco do Brasil, a direct Pix participant in data/bancos.csv
ITAU = "60701190"  # Itaú Unibanco
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a fixed "now" for time travel

CODE = re.compile(r"\b(\d{6})\b")


@pytest.fixture(autouse=True)
def _clean_sms_outbox():
    adapters.sms_outbox.clear()
    yield
    adapters.sms_outbox.clear()


def account_of(customer: Customer):
    return funded_account(customer=customer)


def api_client(customer: Customer) -> APIClient:
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


def idem() -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}


def last_code() -> str:
    """The code in the last message sent, SMS or e-mail."""
    texts = [m.body for m in adapters.sms_outbox] + [m.body for m in mail.outbox]
    assert texts, "no code was sent"
    found = CODE.findall(texts[-1])
    assert found, texts[-1]
    return found[-1]


def sms_code() -> str:
    assert adapters.sms_outbox, "no SMS was sent"
    return CODE.findall(adapters.sms_outbox[-1].body)[-1]


def mail_code() -> str:
    assert mail.outbox, "no e-mail was sent"
    return CODE.findall(mail.outbox[-1].body)[-1]


def other_owner(kind: str = NATURAL_PERSON, name: str = "Carlos Pereira Dias") -> DictOwner:
    if kind == LEGAL_PERSON:
        return DictOwner(type=LEGAL_PERSON, tax_id=new_cnpj(), name="Mercado Alves Ltda")
    return DictOwner(type=NATURAL_PERSON, tax_id=new_cpf(), name=name)


def other_account(ispb: str = BB, number: str | None = None) -> DictAccount:
    return DictAccount(
        participant=ispb,
        branch="1234",
        account_number=number or str(random.randint(10**6, 10**9)),
        account_type="CACC",
        opened_at=datetime(2019, 5, 1, tzinfo=UTC),
    )


def register_elsewhere(
    *, key_type: str, key: str | None, owner: DictOwner, ispb: str = BB, now=None
):
    """Another PSP registers a key in the (simulated) DICT."""
    return DictSimulator(ispb).create_entry(
        key_type=key_type,
        key=key,
        account=other_account(ispb),
        owner=owner,
        request_id=uuid.uuid4(),
        now=now,
    )


def owner_as_dict(customer: Customer) -> DictOwner:
    return DictOwner(
        type=LEGAL_PERSON if customer.kind == Customer.Kind.COMPANY else NATURAL_PERSON,
        tax_id=customer.tax_id,
        name=customer.full_name,
    )
