"""The SPI simulator delivers a Pix from another PSP to one of our customers (the
`simulate_inbound_pix` command's work).

`--to` is one of our active Pix keys (CPF, CNPJ, +55 phone, e-mail, random key) or the
sign-in e-mail of a customer (then the Pix names their first account, without a key). With
`--txid`, the Pix pays that charge of the receiver (cob/cobv): its key goes in the message,
as a payer's app reading the QR code would put it.

The simulator plays the payer's PSP and the SPI: `SpiSimulator.inbound_credit_transfer`
builds and records the pacs.008, `deliver_credit_transfer` hands it to our inbound handler
(`apps.pix.transfers.pix_receive_and_answer`, which credits it through `pix_receive`) and
records our pacs.002, exactly as a Pix arriving from the SPI. A Pix we refuse (a blocked or
closed account, an amount that does not match the charge) stays rejected at the SPI, as it
would, and the command fails with the reason. Prints the endToEndId on stdout (one line,
for scripts) and a summary on stderr. For demos and operations rehearsals; it moves money in
the ledger like any received Pix.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Account
from apps.core.documents import fake_cpf
from apps.core.errors import DomainError
from apps.core.models import User
from apps.pix import selectors as pix_selectors
from apps.pix.codecs.iso20022 import TxStatus, parse_pacs002
from apps.pix.codecs.keys import parse_any_key
from apps.pix.models import PixCharge, PixKey, PixTransfer
from apps.pix.transfers.services.receive import pix_receive_and_answer
from apps.simulators.people import FIRST_NAMES, SURNAMES
from apps.simulators.spi.simulator import SpiSimulator


class InboundPixRefused(Exception):
    """Our handler answered the SPI with RJCT (reason code and text in the message)."""


@dataclass(frozen=True)
class Recipient:
    account: Account
    key: str | None  # None: the Pix names the account (agency and number typed in)


def find_recipient(to: str) -> Recipient:
    """Our active key `to`, else the customer whose sign-in e-mail is `to`."""
    value = (to or "").strip()
    try:
        _key_type, key = parse_any_key(value)
    except DomainError:
        key = None
    if key is not None:
        pix_key = (
            PixKey.objects.filter(key=key, state=PixKey.State.ACTIVE)
            .select_related("account__customer")
            .first()
        )
        if pix_key is not None:
            return Recipient(account=pix_key.account, key=pix_key.key)
    if "@" in value:
        user = User.objects.filter(email__iexact=value).first()
        account = (
            account_selectors.accounts_of_user(user=user).select_related("customer").first()
            if user is not None
            else None
        )
        if account is not None:
            return Recipient(account=account, key=None)
    raise CommandError(
        f"{value!r} is neither an active Pix key of ours nor the e-mail of a customer "
        "with an account."
    )


def _other_participant(rng: random.Random, ispb: str | None) -> str:
    if ispb:
        found = pix_selectors.by_ispb(ispb)
        if found is None or not found.in_pix or ispb == settings.ATHENA_ISPB:
            raise CommandError(f"--payer-ispb {ispb}: not another Pix participant.")
        return ispb
    return rng.choice(pix_selectors.pix_participants()).ispb


def simulate_inbound_pix(
    *,
    recipient: Recipient,
    amount_cents: int,
    txid: str | None = None,
    payer_name: str | None = None,
    payer_ispb: str | None = None,
    description: str | None = None,
    rng: random.Random | None = None,
) -> PixTransfer:
    """Another PSP's customer pays `recipient`; returns our received (settled) transfer, or
    raises InboundPixRefused when our handler refused it (the SPI keeps it as rejected)."""
    rng = rng or random.SystemRandom()
    simulator = SpiSimulator()
    account = recipient.account
    key = recipient.key
    if txid:
        charge = PixCharge.objects.filter(customer_id=account.customer_id, txid=txid).first()
        if charge is None:
            raise CommandError(f"--txid {txid}: the receiver has no charge with this txid.")
        key = charge.key  # a QR code carries the charge's key: the Pix is QRDN
    name = payer_name or (
        f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"
    )
    with transaction.atomic():  # a crash (not a refusal) leaves the SPI no trace either
        xml = simulator.inbound_credit_transfer(
            to_ispb=settings.ATHENA_ISPB,
            creditor_branch=account.branch,
            creditor_account=account.number,
            creditor_tax_id=account.customer.tax_id,
            amount_cents=amount_cents,
            payer_name=name,
            payer_tax_id=fake_cpf(rng),
            payer_ispb=_other_participant(rng, payer_ispb),
            key=key,
            txid=txid or None,
            remittance=description or None,
        )
        status = parse_pacs002(simulator.deliver_credit_transfer(xml, pix_receive_and_answer))
    if status.status == TxStatus.RJCT:
        raise InboundPixRefused(
            f"{status.reason_code}: {'; '.join(status.additional_info)}".rstrip(": ")
        )
    return PixTransfer.objects.get(end_to_end_id=status.original_end_to_end_id)
