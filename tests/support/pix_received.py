"""Helpers of the API Pix received-Pix, refund, webhook and notification tests (no tests here).

Money arrives the way it does in production: the SPI simulator builds the pacs.008 another
PSP's customer sends, and `pix_receive` credits it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.accounts.models import Account, Customer
from apps.pix.keys.services import key_register
from apps.pix.models import PixKey, PixTransfer
from apps.pix.transfers.services.receive import pix_receive
from apps.simulators.spi.simulator import SpiSimulator
from tests.factories.ledger import funded_account
from tests.support.pix_keys import BB, new_cpf, person

BACEN = "https://pix.bcb.gov.br/api/v2/error/"
V2 = "/api/pix/v2"


@dataclass
class Receiver:
    customer: Customer
    account: Account
    key: PixKey

    @property
    def client(self) -> APIClient:
        client = APIClient()
        client.default_format = "json"
        client.force_authenticate(self.customer.user)
        return client


@pytest.fixture
def refunds_reach_the_spi_at_once(monkeypatch):
    """In production the API runs outside any transaction and a refund's pacs.004 goes to the
    SPI at once; here the test's transaction never commits, so run that step at once too
    (tests/test_pix_refunds.py checks the deferral itself)."""
    monkeypatch.setattr(
        "apps.pix.transfers.services.refunds.now_or_after_commit", lambda callback: callback()
    )


def receiving_customer(name: str = "Loja Alves Souza", amount_cents: int = 0) -> Receiver:
    customer = person(name)
    account = funded_account(amount_cents, customer=customer)
    key = key_register(account=account, key_type="EVP", actor=customer.user)
    key.refresh_from_db()
    assert key.state == PixKey.State.ACTIVE and key.key
    return Receiver(customer=customer, account=account, key=key)


def receive_pix(
    receiver: Receiver,
    amount_cents: int,
    *,
    payer_name: str = "Carlos Pereira Dias",
    payer_tax_id: str | None = None,
    txid: str | None = None,
    remittance: str | None = None,
    with_key: bool = True,
) -> PixTransfer:
    xml = SpiSimulator().inbound_credit_transfer(
        to_ispb=settings.ATHENA_ISPB,
        creditor_branch=receiver.account.branch,
        creditor_account=receiver.account.number,
        creditor_tax_id=receiver.customer.tax_id,
        amount_cents=amount_cents,
        payer_name=payer_name,
        payer_tax_id=payer_tax_id or new_cpf(),
        payer_ispb=BB,
        key=receiver.key.key if with_key else None,
        txid=txid,
        remittance=remittance,
    )
    transfer = pix_receive(xml)
    assert transfer.state == PixTransfer.State.SETTLED
    return transfer


def assert_problem(response, status: int, error_type: str, prop: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == BACEN + error_type, body
    assert body["status"] == status and body["title"] and body["detail"]
    if prop is not None:
        assert prop in [v["propriedade"] for v in body.get("violacoes", [])], body
    return body
