"""Pix transfers: sending (to another PSP and internal), receiving, limits."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from apps.accounts.limits import LimitExceeded, check
from apps.accounts.models import Customer, JournalEntry
from apps.core.fsm import transitions_of
from apps.core.models import OutboxMessage
from apps.core.timezones import BRASILIA
from apps.pix.codecs.keys import KeyType
from apps.pix.keys import services as pix_services
from apps.pix.models import PixTransfer
from apps.pix.transfers.errors import PixAccountNotFound
from apps.pix.transfers.limits import night_window
from apps.pix.transfers.services.receive import pix_receive
from apps.pix.transfers.services.send import pix_send
from apps.simulators.dict.simulator import DictSimulator
from apps.simulators.spi.simulator import SpiSimulator
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import BB, new_cpf, person
from tests.support.pix_transfers import key_elsewhere, maria, reserves_total

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def test_pix_to_another_psp_settles_and_moves_money_to_reserves(django_capture_on_commit_callbacks):
    account = maria(100_000)
    key = key_elsewhere()
    reserves_before = reserves_total()

    with django_capture_on_commit_callbacks(execute=True):
        transfer = pix_send(account=account, key=key, amount_cents=15_000, description="aluguel")
    transfer.refresh_from_db()

    assert transfer.state == PixTransfer.State.SETTLED and not transfer.internal
    assert transfer.counterparty_ispb == BB and transfer.counterparty_key == key
    assert transfer.counterparty_name == "Carlos Pereira Dias"
    assert transfer.end_to_end_id.startswith("E" + django_settings.ATHENA_ISPB)
    assert "<" in transfer.pacs008 and "ACSC" in transfer.pacs002
    assert balance_of(account.pk)[0] == 100_000 - 15_000
    assert reserves_total() == reserves_before + 15_000
    entry = JournalEntry.objects.get(pk=transfer.debit_entry_id)
    assert entry.kind == "pix_out"
    steps = [(t.source_state, t.target_state) for t in transitions_of(transfer).order_by("id")]
    assert steps == [("created", "sent"), ("sent", "settled")]
    assert transfer.history.count() == 3  # created, sent, settled


def test_pix_rejected_by_the_spi_gives_the_money_back(django_capture_on_commit_callbacks):
    account = maria(100_000)
    key = key_elsewhere(number="912345")  # the SPI simulator's "no such account" (AC03)
    reserves_before = reserves_total()

    with django_capture_on_commit_callbacks(execute=True):
        transfer = pix_send(account=account, key=key, amount_cents=15_000, description="")
    transfer.refresh_from_db()

    assert transfer.state == PixTransfer.State.REJECTED
    assert transfer.reject_reason.startswith("AC03")
    assert transfer.return_entry_id and JournalEntry.objects.get(
        pk=transfer.return_entry_id
    ).kind == ("pix_return")
    assert balance_of(account.pk)[0] == 100_000
    assert reserves_total() == reserves_before
    steps = [t.target_state for t in transitions_of(transfer).order_by("id")]
    assert steps == ["sent", "rejected"]


def test_pix_without_an_answer_stays_sent(settings, django_capture_on_commit_callbacks):
    settings.PIX_SPI_TIMEOUT_RATE = 1.0
    account = maria(100_000)
    with django_capture_on_commit_callbacks(execute=True):
        transfer = pix_send(account=account, key=key_elsewhere(), amount_cents=1_000)
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SENT
    assert balance_of(account.pk)[0] == 99_000  # debited; the retry decides the rest


def test_internal_pix_settles_with_one_entry():
    payer = maria(100_000)
    payee = funded_account(customer=person("Joao Carlos Silva"))
    pix_key = pix_services.key_register(account=payee, key_type=KeyType.EVP)
    reserves_before = reserves_total()
    entries_before = JournalEntry.objects.count()

    transfer = pix_send(account=payer, key=pix_key.key, amount_cents=2_500, description="cafe")

    assert transfer.state == PixTransfer.State.SETTLED and transfer.internal
    assert JournalEntry.objects.count() == entries_before + 1
    entry = JournalEntry.objects.get(pk=transfer.debit_entry_id)
    assert entry.kind == "pix_internal" and transfer.credit_entry_id == entry.pk
    assert balance_of(payer.pk)[0] == 97_500 and balance_of(payee.pk)[0] == 2_500
    assert reserves_total() == reserves_before
    assert not transfer.pacs008
    assert [t.target_state for t in transitions_of(transfer)] == ["settled"]


def test_inbound_pix_is_credited_once_even_if_delivered_twice():
    account = maria(0)
    xml = SpiSimulator().inbound_credit_transfer(
        to_ispb=django_settings.ATHENA_ISPB,
        creditor_branch=account.branch,
        creditor_account=account.number,
        creditor_tax_id=account.customer.tax_id,
        amount_cents=4_200,
        payer_name="Carlos Pereira Dias",
        payer_tax_id=new_cpf(),
        payer_ispb=BB,
        remittance="pizza",
    )
    reserves_before = reserves_total()

    first = pix_receive(xml)
    second = pix_receive(xml)

    assert first.pk == second.pk and first.state == PixTransfer.State.SETTLED
    assert first.direction == PixTransfer.Direction.IN and first.description == "pizza"
    assert balance_of(account.pk)[0] == 4_200
    assert reserves_total() == reserves_before - 4_200
    assert JournalEntry.objects.get(pk=first.credit_entry_id).kind == "pix_in"
    messages = OutboxMessage.objects.filter(topic="pix.received")
    assert [m.payload for m in messages] == [{"transfer_id": first.pk}]


def test_inbound_pix_to_an_unknown_account_is_refused():
    xml = SpiSimulator().inbound_credit_transfer(
        to_ispb=django_settings.ATHENA_ISPB,
        creditor_branch="0001",
        creditor_account="99999999",
        creditor_tax_id=new_cpf(),
        amount_cents=100,
        payer_name="Carlos Pereira Dias",
        payer_tax_id=new_cpf(),
        payer_ispb=BB,
    )
    with pytest.raises(PixAccountNotFound) as caught:
        pix_receive(xml)
    assert caught.value.spi_reason == "AC03"
    assert not PixTransfer.objects.exists()


def test_level_zero_daily_limit():
    account = maria(100_000)
    with pytest.raises(LimitExceeded) as caught:
        pix_send(account=account, key=key_elsewhere(), amount_cents=60_000)
    assert "R$ 500,00" in str(caught.value)
    assert balance_of(account.pk)[0] == 100_000 and not PixTransfer.objects.exists()


def test_night_limit_for_natural_persons():
    account = maria(500_000, kyc_level=1)
    night = datetime(2026, 3, 2, 23, 30, tzinfo=BRASILIA)
    day = datetime(2026, 3, 2, 14, 0, tzinfo=BRASILIA)

    with pytest.raises(LimitExceeded) as caught:
        pix_send(account=account, key=key_elsewhere(), amount_cents=100_001, now=night)
    message = str(caught.value)
    assert "R$ 1.000,00" in message and "20:00" in message and "06:00" in message
    check(account=account, product="pix", amount_cents=100_001, now=day)  # by day: allowed
    check(account=account, product="pix", amount_cents=100_000, now=night)


def test_night_limit_does_not_apply_to_companies():
    from tests.support.pix_keys import company

    customer = company()
    Customer.objects.filter(pk=customer.pk).update(kyc_level=1)
    account = funded_account(customer=Customer.objects.get(pk=customer.pk))
    night = datetime(2026, 3, 2, 23, 30, tzinfo=BRASILIA)
    check(account=account, product="pix", amount_cents=200_000, now=night)


def test_night_window():
    early = datetime(2026, 3, 3, 5, 59, tzinfo=BRASILIA)
    start, end = night_window(early)
    assert start == datetime(2026, 3, 2, 20, 0, tzinfo=BRASILIA)
    assert end == datetime(2026, 3, 3, 6, 0, tzinfo=BRASILIA)
    assert night_window(datetime(2026, 3, 3, 6, 0, tzinfo=BRASILIA)) is None


def test_a_pix_to_a_key_gives_the_look_up_token_back_and_one_by_account_does_not(
    django_capture_on_commit_callbacks,
):
    """DICT anti-scan: each look-up costs a token, and the payment order sent after it gives
    one back ("ordem de pagamento enviada: adiciona 1"), so paying is free; looking without
    paying is not."""
    from apps.pix.adapters.dict import POLICY_ANTISCAN_V2
    from apps.pix.keys.services import requester_of
    from apps.pix.transfers.services.payees import payee_preview

    customer = person("Maria Souza Lima")
    account = funded_account(100_000, customer=customer)
    who = requester_of(customer)
    key = key_elsewhere()

    def level() -> float:
        return DictSimulator().bucket_level(who, POLICY_ANTISCAN_V2, timezone.now())

    payee_preview(account=account, key=key)  # looked at, not paid
    assert level() == pytest.approx(99, abs=0.1)
    with django_capture_on_commit_callbacks(execute=True):
        sent = pix_send(account=account, key=key, amount_cents=1_000)
    sent.refresh_from_db()
    assert sent.state == PixTransfer.State.SETTLED
    assert level() == pytest.approx(99, abs=0.1)  # the send's look-up, given back
