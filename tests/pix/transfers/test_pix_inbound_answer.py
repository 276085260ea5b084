"""pix_receive_and_answer: the pacs.002 we answer the SPI with for an inbound pacs.008, and
the simulator's delivery path that records it."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from apps.accounts.models import Account, JournalEntry
from apps.core.fsm import apply_transition
from apps.pix.codecs.iso20022 import SPI_ISPB, TxStatus, parse_pacs002
from apps.pix.models import PixCharge, PixTransfer
from apps.pix.transfers.services.receive import pix_receive_and_answer
from apps.simulators.models import SpiSimulatedMessage
from apps.simulators.spi.simulator import SpiSimulator
from tests.factories.ledger import balance_of
from tests.support.pix_payments import cob_of, inbound_xml, payee_with_key
from tests.support.pix_transfers import maria

pytestmark = pytest.mark.django_db


def answer_to(xml) -> tuple:
    status = parse_pacs002(pix_receive_and_answer(xml))
    return status.status, status.reason_code, status


def test_credited_is_acsc_and_a_redelivery_is_acsc_without_a_second_credit():
    account = maria(0)
    xml = inbound_xml(account, 4_200)

    first_status, first_reason, status = answer_to(xml)
    again_status, _, again = answer_to(xml)

    assert (first_status, first_reason) == (TxStatus.ACSC, None)
    assert again_status == TxStatus.ACSC
    assert status.sender_ispb == django_settings.ATHENA_ISPB and status.receiver_ispb == SPI_ISPB
    transfer = PixTransfer.objects.get(direction=PixTransfer.Direction.IN)
    assert status.original_end_to_end_id == again.original_end_to_end_id == transfer.end_to_end_id
    assert status.settled_at is not None
    assert balance_of(account.pk)[0] == 4_200
    assert JournalEntry.objects.filter(kind="pix_in").count() == 1


def test_unknown_account_is_ac03():
    account = maria(0)
    xml = inbound_xml(account, 100)
    Account.objects.filter(pk=account.pk).update(number="99999999")
    status, reason, _ = answer_to(xml)
    assert (status, reason) == (TxStatus.RJCT, "AC03")
    assert not PixTransfer.objects.exists()


@pytest.mark.parametrize(("transition", "reason"), [("block", "AC06"), ("close", "AC07")])
def test_blocked_or_closed_account_is_refused(transition, reason):
    account = maria(0)
    xml = inbound_xml(account, 100)
    apply_transition(Account.objects.get(pk=account.pk), transition, by="test")

    status, code, detail = answer_to(xml)

    assert (status, code) == (TxStatus.RJCT, reason)
    assert detail.additional_info and not PixTransfer.objects.exists()


def test_a_pix_paying_an_active_cob_with_another_amount_is_am09():
    pix_key = payee_with_key()
    charge = cob_of(pix_key, amount_cents=5_000)
    account = pix_key.account

    status, reason, _ = answer_to(inbound_xml(account, 4_999, txid=charge.txid, key=pix_key.key))
    assert (status, reason) == (TxStatus.RJCT, "AM09")
    assert balance_of(account.pk)[0] == 0

    status, reason, _ = answer_to(inbound_xml(account, 5_000, txid=charge.txid, key=pix_key.key))
    assert (status, reason) == (TxStatus.ACSC, None)
    charge.refresh_from_db()
    assert charge.status == PixCharge.Status.CONCLUIDA
    # Once paid, a txid names no active charge: another Pix is credited like any other.
    status, _, _ = answer_to(inbound_xml(account, 1, txid=charge.txid, key=pix_key.key))
    assert status == TxStatus.ACSC


def test_an_editable_cob_takes_any_amount():
    pix_key = payee_with_key()
    charge = cob_of(pix_key, amount_cents=5_000, editable=True)
    status, _, _ = answer_to(inbound_xml(pix_key.account, 123, txid=charge.txid, key=pix_key.key))
    assert status == TxStatus.ACSC


@pytest.mark.parametrize(
    "xml",
    [b"", b"<not-xml", b"<Envelope/>", "x" * 10, b"<?xml version='1.0'?><a>\xff</a>"],
)
def test_an_unreadable_message_is_ch16(xml):
    status, reason, detail = answer_to(xml)
    assert (status, reason) == (TxStatus.RJCT, "CH16")
    assert detail.original_end_to_end_id.startswith("E" + SPI_ISPB)


def test_a_broken_message_names_its_end_to_end_id_when_readable():
    xml = inbound_xml(maria(0), 100)
    broken = xml.replace(b"<IntrBkSttlmAmt", b"<Bogus").replace(b"</IntrBkSttlmAmt>", b"</Bogus>")
    status = parse_pacs002(pix_receive_and_answer(broken))
    assert status.reason_code == "CH16"
    assert status.original_end_to_end_id in xml.decode()


def test_the_simulator_delivers_and_records_a_refusal():
    account = maria(0)
    simulator = SpiSimulator()
    accepted = inbound_xml(account, 300)
    refused = inbound_xml(account, 300)
    answer = parse_pacs002(simulator.deliver_credit_transfer(accepted, pix_receive_and_answer))
    assert answer.status == TxStatus.ACSC
    apply_transition(Account.objects.get(pk=account.pk), "block", by="test")
    answer = parse_pacs002(simulator.deliver_credit_transfer(refused, pix_receive_and_answer))
    assert (answer.status, answer.reason_code) == (TxStatus.RJCT, "AC06")

    rows = {
        row.end_to_end_id: row
        for row in SpiSimulatedMessage.objects.filter(direction="INBOUND", kind="pacs.008")
    }
    ok = rows[parse_pacs002(pix_receive_and_answer(accepted)).original_end_to_end_id]
    assert ok.status == "ACCC"
    rejected = rows[answer.original_end_to_end_id]
    assert (rejected.status, rejected.reason) == ("RJCT", "AC06")
