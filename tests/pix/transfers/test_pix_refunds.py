"""Refunds (devoluções) of received Pix: pacs.004, limits, idempotency, concurrency."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone, translation

from apps.accounts.models import JournalEntry
from apps.core.errors import Conflict, ValidationFailed
from apps.core.fsm import transitions_of
from apps.pix.models import PixRefund, PixTransfer
from apps.pix.transfers.errors import RefundExceedsOriginal, RefundNotAllowed
from apps.pix.transfers.services.receive import pix_receive
from apps.pix.transfers.services.refunds import refund_request, refund_submit
from apps.simulators.models import SpiSimulatedMessage
from apps.simulators.spi.simulator import SpiSimulator
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import BB, new_cpf, person
from tests.support.pix_transfers import key_elsewhere, maria, reserves_total


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the messages' English wording (the portal's second language); the
    # pt-BR catalog is checked by tests/core/test_untranslated.py.
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _submit_at_once(monkeypatch):
    """The test transaction never commits, so run the after-commit SPI step at once here;
    test_refund_waits_for_commit_inside_a_transaction checks the deferral itself."""
    monkeypatch.setattr(
        "apps.pix.transfers.services.refunds.now_or_after_commit", lambda callback: callback()
    )


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def received(amount_cents: int = 10_000) -> PixTransfer:
    account = funded_account(customer=person("Maria Souza Lima"))
    xml = SpiSimulator().inbound_credit_transfer(
        to_ispb=django_settings.ATHENA_ISPB,
        creditor_branch=account.branch,
        creditor_account=account.number,
        creditor_tax_id=account.customer.tax_id,
        amount_cents=amount_cents,
        payer_name="Carlos Pereira Dias",
        payer_tax_id=new_cpf(),
        payer_ispb=BB,
    )
    return pix_receive(xml)


@pytest.mark.django_db
def test_two_partial_refunds_then_one_exceeding_the_original_is_refused():
    transfer = received(10_000)
    reserves_before = reserves_total()

    first = refund_request(transfer=transfer, refund_id="r1", amount_cents=3_000)
    second = refund_request(transfer=transfer, refund_id="r2", amount_cents=5_000)

    assert first.state == second.state == PixRefund.State.DEVOLVIDO
    assert first.return_id.startswith("D" + django_settings.ATHENA_ISPB)
    assert first.return_id != second.return_id
    assert "ACSC" in first.pacs002 and "<" in first.pacs004
    assert first.reason_code == "MD06"
    assert JournalEntry.objects.get(pk=first.debit_entry_id).kind == "pix_refund"
    assert balance_of(transfer.account_id)[0] == 2_000
    assert reserves_total() == reserves_before + 8_000

    with pytest.raises(RefundExceedsOriginal, match="exceed the original amount"):
        refund_request(transfer=transfer, refund_id="r3", amount_cents=2_001)
    assert not PixRefund.objects.filter(refund_id="r3").exists()
    assert balance_of(transfer.account_id)[0] == 2_000
    last = refund_request(transfer=transfer, refund_id="r3", amount_cents=2_000)
    assert last.state == PixRefund.State.DEVOLVIDO
    assert balance_of(transfer.account_id)[0] == 0


@pytest.mark.django_db
def test_same_id_returns_the_same_refund_and_moves_money_once():
    transfer = received(10_000)
    first = refund_request(transfer=transfer, refund_id="abc123", amount_cents=4_000)
    entries = JournalEntry.objects.count()

    again = refund_request(transfer=transfer, refund_id="abc123", amount_cents=4_000)

    assert again.pk == first.pk and again.return_id == first.return_id
    assert JournalEntry.objects.count() == entries
    assert balance_of(transfer.account_id)[0] == 6_000
    assert (
        SpiSimulatedMessage.objects.filter(original_end_to_end_id=transfer.end_to_end_id).count()
        == 1
    )
    with pytest.raises(Conflict):
        refund_request(transfer=transfer, refund_id="abc123", amount_cents=1_000)


@pytest.mark.django_db
def test_full_refund_and_fsm_history():
    transfer = received(10_000)
    refund = refund_request(
        transfer=transfer, refund_id="full", amount_cents=10_000, description="wrong payee"
    )

    assert refund.state == PixRefund.State.DEVOLVIDO and refund.returned_at is not None
    assert balance_of(transfer.account_id)[0] == 0
    steps = [(t.source_state, t.target_state) for t in transitions_of(refund).order_by("id")]
    assert steps == [("EM_PROCESSAMENTO", "DEVOLVIDO")]
    states = [h.state for h in refund.history.order_by("history_id")]
    assert states[0] == "EM_PROCESSAMENTO" and states[-1] == "DEVOLVIDO"
    with pytest.raises(RefundExceedsOriginal):
        refund_request(transfer=transfer, refund_id="more", amount_cents=1)


@pytest.mark.django_db
def test_refund_of_an_outbound_pix_is_refused(django_capture_on_commit_callbacks):
    from apps.pix.transfers.services.send import pix_send

    with django_capture_on_commit_callbacks(execute=True):
        transfer = pix_send(account=maria(100_000), key=key_elsewhere(), amount_cents=1_000)
    transfer.refresh_from_db()
    with pytest.raises(RefundNotAllowed, match="received"):
        refund_request(transfer=transfer, refund_id="x1", amount_cents=500)
    assert not PixRefund.objects.exists()


@pytest.mark.django_db
def test_refund_older_than_90_days_is_refused():
    transfer = received(10_000)
    PixTransfer.objects.filter(pk=transfer.pk).update(
        settled_at=timezone.now() - timedelta(days=91)
    )
    with pytest.raises(RefundNotAllowed, match="90 days"):
        refund_request(transfer=transfer, refund_id="late", amount_cents=1_000)
    assert balance_of(transfer.account_id)[0] == 10_000


@pytest.mark.django_db
@pytest.mark.parametrize(("refund_id", "amount"), [("", 1), ("a" * 36, 1), ("a-b", 1), ("ok", 0)])
def test_bad_id_or_amount_is_refused(refund_id, amount):
    transfer = received(10_000)
    with pytest.raises(ValidationFailed):
        refund_request(transfer=transfer, refund_id=refund_id, amount_cents=amount)


@pytest.mark.django_db
def test_refund_rejected_by_the_spi_gives_the_money_back():
    transfer = received(10_000)
    # The SPI's own record says the Pix is older than 90 days: RJCT DT05.
    SpiSimulatedMessage.objects.filter(end_to_end_id=transfer.end_to_end_id).update(
        created_at=timezone.now() - timedelta(days=91)
    )
    reserves_before = reserves_total()

    refund = refund_request(transfer=transfer, refund_id="rj", amount_cents=4_000)

    assert refund.state == PixRefund.State.NAO_REALIZADO
    assert refund.reject_reason.startswith("DT05")
    assert JournalEntry.objects.get(pk=refund.return_entry_id).kind == "pix_refund_return"
    assert balance_of(transfer.account_id)[0] == 10_000
    assert reserves_total() == reserves_before
    steps = [t.target_state for t in transitions_of(refund)]
    assert steps == ["NAO_REALIZADO"]
    # A refused refund does not count toward the original amount.
    SpiSimulatedMessage.objects.filter(end_to_end_id=transfer.end_to_end_id).update(
        created_at=timezone.now()
    )
    assert refund_request(transfer=transfer, refund_id="ok", amount_cents=10_000).state == (
        PixRefund.State.DEVOLVIDO
    )


@pytest.mark.django_db
def test_refund_without_an_answer_stays_in_progress(settings):
    transfer = received(10_000)
    settings.PIX_SPI_TIMEOUT_RATE = 1.0
    refund = refund_request(transfer=transfer, refund_id="slow", amount_cents=4_000)
    assert refund.state == PixRefund.State.EM_PROCESSAMENTO
    assert balance_of(transfer.account_id)[0] == 6_000
    with pytest.raises(RefundExceedsOriginal):  # an in-progress refund counts
        refund_request(transfer=transfer, refund_id="more", amount_cents=6_001)

    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    assert refund_submit(refund.pk).state == PixRefund.State.DEVOLVIDO


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_the_original():
    transfer = received(10_000)
    workers = 8
    barrier = threading.Barrier(workers)
    done, refused, errors = [], [], []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            barrier.wait()
            refund = refund_request(transfer=transfer, refund_id=f"c{n}", amount_cents=3_000)
            with lock:
                done.append(refund.pk)
        except RefundExceedsOriginal:
            with lock:
                refused.append(n)
        except Exception as exc:  # anything else fails the test below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(done) == 3 and len(refused) == workers - 3
    refunds = PixRefund.objects.filter(transfer=transfer)
    assert sum(r.amount for r in refunds) == 9_000
    assert all(r.state == PixRefund.State.DEVOLVIDO for r in refunds)
    assert balance_of(transfer.account_id)[0] == 1_000


@pytest.mark.django_db
def test_refund_waits_for_commit_inside_a_transaction(
    monkeypatch, django_capture_on_commit_callbacks
):
    from apps.core.transactions import now_or_after_commit

    monkeypatch.setattr(
        "apps.pix.transfers.services.refunds.now_or_after_commit", now_or_after_commit
    )
    transfer = received(10_000)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = refund_request(transfer=transfer, refund_id="late", amount_cents=1_000)
    assert refund.state == PixRefund.State.EM_PROCESSAMENTO and len(callbacks) == 1
    callbacks[0]()
    refund.refresh_from_db()
    assert refund.state == PixRefund.State.DEVOLVIDO
