"""Helpers shared by the outbound Pix tests (send paths, preview, scheduled, night limits,
DUPL, inbound answer). No tests here."""

from __future__ import annotations

import secrets
import string
from datetime import timedelta

from django.conf import settings as django_settings
from django.utils import timezone

from apps.accounts.models import Account, Customer, JournalEntry, Posting
from apps.pix.codecs.brcode import encode_static
from apps.pix.codecs.iso20022 import parse_pacs008
from apps.pix.codecs.keys import KeyType
from apps.pix.keys import services as pix_services
from apps.pix.models import PixCharge, PixKey, PixLocation
from apps.simulators.spi.simulator import SpiSimulator
from tests.factories.ledger import funded_account
from tests.support.pix_keys import BB, new_cpf, person

ALNUM = string.ascii_letters + string.digits


def payee_with_key(name: str = "Joao Carlos Silva", amount_cents: int = 0) -> PixKey:
    """One of our customers with an active random key (registered in the simulated DICT)."""
    account = funded_account(amount_cents, customer=person(name))
    return pix_services.key_register(account=account, key_type=KeyType.EVP)


def new_txid(length: int = 30) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(length))


def static_code(key: str, *, amount_cents: int | None = None, txid: str | None = None) -> str:
    return encode_static(
        key=key,
        merchant_name="Carlos Pereira Dias",
        merchant_city="SAO PAULO",
        amount_cents=amount_cents,
        txid=txid,
    )


def cob_of(
    pix_key: PixKey,
    *,
    amount_cents: int = 12_345,
    editable: bool = False,
    expires_in_seconds: int = 3600,
) -> PixCharge:
    """An ATIVA cob of the key's owner with its location, created directly (as the charges
    service would leave it)."""
    location = PixLocation.objects.create(
        customer=pix_key.customer, charge_type=PixLocation.ChargeType.COB
    )
    return PixCharge.objects.create(
        kind=PixCharge.Kind.COB,
        txid=new_txid(),
        customer=pix_key.customer,
        account=pix_key.account,
        pix_key=pix_key,
        key=pix_key.key,
        amount=amount_cents,
        amount_editable=editable,
        expires_in_seconds=expires_in_seconds,
        location=location,
    )


def dynamic_code(charge: PixCharge) -> str:
    from apps.pix.charges.payloads import charge_brcode

    return charge_brcode(charge)


def pacs008_of(transfer):
    return parse_pacs008(transfer.pacs008)


def entries_of(transfer, kind: str) -> int:
    return JournalEntry.objects.filter(
        kind=kind, reference_type="pix_transfer", reference_id=str(transfer.pk)
    ).count()


def debits_of(account: Account) -> int:
    """Everything that left the account (centavos), from its postings."""
    return -sum(
        Posting.objects.filter(account_id=account.pk, amount__lt=0).values_list("amount", flat=True)
    )


def inbound_xml(
    account: Account, amount_cents: int, *, txid: str | None = None, key=None, remittance=None
):
    """A pacs.008 from a Banco do Brasil customer to `account`, settled at the SPI."""
    return SpiSimulator().inbound_credit_transfer(
        to_ispb=django_settings.ATHENA_ISPB,
        creditor_branch=account.branch,
        creditor_account=account.number,
        creditor_tax_id=account.customer.tax_id,
        amount_cents=amount_cents,
        payer_name="Carlos Pereira Dias",
        payer_tax_id=new_cpf(),
        payer_ispb=BB,
        key=key,
        txid=txid,
        remittance=remittance,
    )


def set_kyc(account: Account, level: int) -> Account:
    Customer.objects.filter(pk=account.customer_id).update(kyc_level=level)
    return Account.objects.select_related("customer").get(pk=account.pk)


def tomorrow():
    from apps.core.timezones import BRASILIA

    return (timezone.now().astimezone(BRASILIA) + timedelta(days=1)).date()
