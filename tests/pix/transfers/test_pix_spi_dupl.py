"""The SPI's DUPL on a resend: the first attempt reached the SPI, only its answer was lost.

The transfer (or refund) must not be rolled back on DUPL: the SPI's status query decides.
The simulator loses answers on the way back with settings.PIX_SPI_LOST_ANSWER_RATE."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import JournalEntry
from apps.pix.adapters.spi import SpiHttpClient, SpiTimeout, SpiUnknownMessage, final_status
from apps.pix.codecs.iso20022 import TxStatus, parse_pacs002
from apps.pix.models import PixRefund, PixTransfer
from apps.pix.tasks import pix_retry_sent_task
from apps.pix.transfers.services.receive import pix_receive
from apps.pix.transfers.services.refunds import refund_request, refund_submit
from apps.pix.transfers.services.send import pix_send, pix_submit
from apps.simulators.models import SpiSimulatedMessage
from apps.simulators.spi.simulator import SpiSimulator
from tests.factories.ledger import balance_of
from tests.support.pix_payments import debits_of, entries_of, inbound_xml
from tests.support.pix_transfers import key_elsewhere, maria, reserves_total

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    settings.PIX_SPI_LOST_ANSWER_RATE = 0.0


def send_losing_the_answer(settings, callbacks, *, number: str = "12345678") -> PixTransfer:
    account = maria(100_000)
    settings.PIX_SPI_LOST_ANSWER_RATE = 1.0
    with callbacks(execute=True):
        transfer = pix_send(account=account, key=key_elsewhere(number=number), amount_cents=15_000)
    settings.PIX_SPI_LOST_ANSWER_RATE = 0.0
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SENT  # no answer: outcome unknown
    # ...but the SPI has it, with its outcome.
    assert SpiSimulatedMessage.objects.filter(end_to_end_id=transfer.end_to_end_id).exists()
    return transfer


def test_resend_gets_dupl_and_the_status_query_settles_it_money_debited_once(
    settings, django_capture_on_commit_callbacks
):
    transfer = send_losing_the_answer(settings, django_capture_on_commit_callbacks)
    account = transfer.account
    reserves_before = reserves_total()  # the debit went to the reserves when it was sent

    # The raw resend is DUPL at the SPI...
    raw = parse_pacs002(SpiSimulator().send_credit_transfer(transfer.pacs008.encode()))
    assert (raw.status, raw.reason_code) == (TxStatus.RJCT, "DUPL")
    # ...and the transfer service resolves it through the status query.
    transfer = pix_submit(transfer.pk)

    assert transfer.state == PixTransfer.State.SETTLED and not transfer.reject_reason
    assert "ACSC" in transfer.pacs002 and transfer.settled_at
    assert entries_of(transfer, "pix_out") == 1 and entries_of(transfer, "pix_return") == 0
    assert debits_of(account) == 15_000
    assert balance_of(account.pk)[0] == 100_000 - 15_000
    assert reserves_total() == reserves_before


def test_original_rejected_resolves_to_rejected_and_money_back_once(
    settings, django_capture_on_commit_callbacks
):
    # "9..." is an unknown account at the other PSP: the SPI rejected the original AC03.
    transfer = send_losing_the_answer(settings, django_capture_on_commit_callbacks, number="912345")
    transfer = pix_submit(transfer.pk)
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.REJECTED
    assert transfer.reject_reason.startswith("AC03")
    assert entries_of(transfer, "pix_return") == 1
    assert balance_of(transfer.account_id)[0] == 100_000
    assert pix_submit(transfer.pk).state == PixTransfer.State.REJECTED
    assert entries_of(transfer, "pix_return") == 1


class _StatusQueryDown(SpiSimulator):
    """The SPI answers messages but its status query times out (the outside world)."""

    def transfer_status(self, end_to_end_id: str) -> bytes:
        raise SpiTimeout("status query timed out")


def test_outcome_unknown_stays_sent_with_the_money_out(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    transfer = send_losing_the_answer(settings, django_capture_on_commit_callbacks)
    monkeypatch.setattr(
        "apps.pix.transfers.services.spi_submit.spi_client", lambda: _StatusQueryDown()
    )

    transfer = pix_submit(transfer.pk)

    assert transfer.state == PixTransfer.State.SENT and not transfer.reject_reason
    assert entries_of(transfer, "pix_return") == 0
    assert balance_of(transfer.account_id)[0] == 85_000


def test_the_retry_task_settles_a_transfer_whose_answer_was_lost(
    settings, django_capture_on_commit_callbacks
):
    transfer = send_losing_the_answer(settings, django_capture_on_commit_callbacks)
    PixTransfer.objects.filter(pk=transfer.pk).update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )
    assert pix_retry_sent_task() == 1
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED
    assert debits_of(transfer.account) == 15_000
    assert JournalEntry.objects.filter(kind="pix_return").count() == 0


def test_refund_resend_dupl_resolves_to_returned_debited_once(settings):
    account = maria(0)
    received = pix_receive(inbound_xml(account, 10_000))
    settings.PIX_SPI_LOST_ANSWER_RATE = 1.0
    refund = refund_request(transfer=received, refund_id="r1", amount_cents=4_000)
    settings.PIX_SPI_LOST_ANSWER_RATE = 0.0
    refund.refresh_from_db()
    # No transaction around the test's call: refund_submit ran at once and lost the answer.
    assert refund.state == PixRefund.State.EM_PROCESSAMENTO

    refund = refund_submit(refund.pk)

    assert refund.state == PixRefund.State.DEVOLVIDO and "ACSC" in refund.pacs002
    assert JournalEntry.objects.filter(kind="pix_refund").count() == 1
    assert not JournalEntry.objects.filter(kind="pix_refund_return").exists()
    assert balance_of(account.pk)[0] == 6_000


# --- the status query itself --------------------------------------------------------------


def test_status_query_of_the_simulator(settings, django_capture_on_commit_callbacks):
    transfer = send_losing_the_answer(settings, django_capture_on_commit_callbacks)
    status = parse_pacs002(SpiSimulator().transfer_status(transfer.end_to_end_id))
    assert status.status == TxStatus.ACSC
    assert status.original_end_to_end_id == transfer.end_to_end_id
    message = SpiSimulatedMessage.objects.get(end_to_end_id=transfer.end_to_end_id)
    assert status.settled_at == message.created_at.replace(
        microsecond=message.created_at.microsecond // 1000 * 1000
    )

    with pytest.raises(SpiUnknownMessage):
        SpiSimulator().transfer_status("E13140088202603021200abcdefghijk")
    # Another participant cannot query our messages.
    with pytest.raises(SpiUnknownMessage):
        SpiSimulator("60701190").transfer_status(transfer.end_to_end_id)


def test_final_status_passes_other_answers_through():
    client = SpiSimulator()
    answer = client._answer(
        end_to_end_id="E13140088202603021200abcdefghijk", now=timezone.now(), reason="AC03"
    )
    status, same = final_status(client, answer, "E13140088202603021200abcdefghijk")
    assert status.reason_code == "AC03" and same == answer


def test_http_client_status_query_path():
    seen = []

    def transport(path, body):
        seen.append((path, body))
        return b"<pacs002/>"

    client = SpiHttpClient("13140088", base_url="https://icom.example/", transport=transport)
    assert client.transfer_status("E13140088202603021200abcdefghijk") == b"<pacs002/>"
    assert seen == [("api/v1/out/13140088/status/E13140088202603021200abcdefghijk", b"")]
    with pytest.raises(SpiUnknownMessage):
        client.transfer_status("../../etc/passwd")
    assert len(seen) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_submitting_a_refused_pix_at_once_return_the_money_once(settings):
    """No lock is held across the SPI call: the answer is applied by writes conditional on
    the transfer still being SENT. Two workers (beat's retry and the request's own submit)
    send the same pacs.008 at once: one gets RJCT, the other DUPL and then, from the status
    query, the same RJCT. The money comes back once and the transfer is rejected once."""
    from apps.core.fsm import transitions_of
    from tests.support.concurrency import run_at_once

    account = maria(100_000)
    settings.PIX_SPI_TIMEOUT_RATE = 1.0  # the send commits; the SPI never answers: SENT
    transfer = pix_send(account=account, key=key_elsewhere(number="912345"), amount_cents=15_000)
    assert PixTransfer.objects.get(pk=transfer.pk).state == PixTransfer.State.SENT
    settings.PIX_SPI_TIMEOUT_RATE = 0.0

    errors = run_at_once(lambda: pix_submit(transfer.pk), lambda: pix_submit(transfer.pk))

    assert not errors, errors
    stored = PixTransfer.objects.get(pk=transfer.pk)
    assert stored.state == PixTransfer.State.REJECTED
    assert entries_of(stored, "pix_return") == 1
    assert balance_of(account.pk) == (100_000, 100_000)
    assert transitions_of(stored).filter(transition="reject").count() == 1
    assert SpiSimulatedMessage.objects.filter(end_to_end_id=stored.end_to_end_id).count() == 1
