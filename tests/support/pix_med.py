"""Helpers of the MED tests: a Pix received from another PSP (receive), a fraudster's account,
spending received money (spend), a report delivered by the payer's PSP (reported)."""

from __future__ import annotations

from django.conf import settings as django_settings

from apps.accounts.models import Account
from apps.pix.models import InfractionReport, PixTransfer
from apps.pix.transfers.services.receive import pix_receive
from apps.pix.transfers.services.send import pix_send
from apps.simulators.dict.other_psps import report_infraction_as_other_psp
from apps.simulators.spi.simulator import SpiSimulator
from tests.factories.ledger import funded_account
from tests.support.pix_keys import BB, new_cpf, person
from tests.support.pix_transfers import key_elsewhere

SCAM = InfractionReport.Situation.SCAM


def receive(account: Account, amount_cents: int, *, payer_ispb: str = BB) -> PixTransfer:
    """A Pix from a customer of `payer_ispb` to `account`, through the SPI simulator."""
    xml = SpiSimulator().inbound_credit_transfer(
        to_ispb=django_settings.ATHENA_ISPB,
        creditor_branch=account.branch,
        creditor_account=account.number,
        creditor_tax_id=account.customer.tax_id,
        amount_cents=amount_cents,
        payer_name="Carlos Pereira Dias",
        payer_tax_id=new_cpf(),
        payer_ispb=payer_ispb,
    )
    return pix_receive(xml)


def fraudster(amount_cents: int = 0) -> Account:
    return funded_account(amount_cents, customer=person("Joao Golpista Silva"))


def spend(account: Account, amount_cents: int, django_capture_on_commit_callbacks) -> PixTransfer:
    with django_capture_on_commit_callbacks(execute=True):
        transfer = pix_send(account=account, key=key_elsewhere(), amount_cents=amount_cents)
    transfer.refresh_from_db()
    return transfer


def reported(transfer: PixTransfer, **kwargs) -> InfractionReport:
    """The payer's PSP reports the Pix in the (simulated) DICT, which delivers it to us."""
    return report_infraction_as_other_psp(
        reporter=transfer.counterparty_ispb,
        end_to_end_id=transfer.end_to_end_id,
        situation=kwargs.pop("situation", SCAM),
        details=kwargs.pop("details", "Golpe do falso parente pelo WhatsApp"),
        **kwargs,
    )


def creditor_of(account: Account):
    from apps.pix.codecs.iso20022 import Party

    return Party(
        name=account.customer.full_name,
        tax_id=account.customer.tax_id,
        ispb=django_settings.ATHENA_ISPB,
        branch=account.branch,
        account_number=account.number,
        account_type="TRAN",
    )
