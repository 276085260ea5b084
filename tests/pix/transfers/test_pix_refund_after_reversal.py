"""A received Pix whose credit operations reversed cannot be refunded again (issue #11).

Operations reversed a R$ 15.000 inbound Pix (apps.accounts: the reversal of its credit
entry), and the customer could still refund the payer from it: the detail page said
"Ainda pode ser devolvido R$ 15.000,00" and a R$ 10,00 devolução went out. What is left to
refund now counts every movement of the Pix: refunds not refused and reversals of its credit
(apps.pix.transfers.selectors.refundable_cents), read under the refund's locks.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import translation

from apps.accounts import ledger
from apps.accounts.models import JournalEntry
from apps.accounts.services import Leg, reversal_approve, reversal_request
from apps.pix.models import PixRefund
from apps.pix.transfers.errors import RefundExceedsOriginal
from apps.pix.transfers.selectors import refundable_cents
from apps.pix.transfers.services.refunds import refund_request
from tests.factories.ledger import balance_of
from tests.factories.users import UserFactory
from tests.support.pix_received import (
    V2,
    assert_problem,
    receive_pix,
    receiving_customer,
    refunds_reach_the_spi_at_once,  # noqa: F401 (fixture)
)

pytestmark = pytest.mark.usefixtures("refunds_reach_the_spi_at_once", "_fast_spi")


@pytest.fixture(autouse=True)
def _english_messages():
    # These tests read the messages' English wording (the portal's second language); the
    # pt-BR catalog is checked by tests/core/test_untranslated.py.
    with translation.override("en"):
        yield


FIFTEEN_THOUSAND = 1_500_000
OTHER_MONEY = 500_000  # the customer's own money: a refund would not fail for lack of funds


@pytest.fixture
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def reverse_credit(transfer) -> None:
    """Operations take the credit back: above R$ 10.000 a second operator approves."""
    first, second = UserFactory(is_staff=True), UserFactory(is_staff=True)
    request = reversal_request(
        entry_id=transfer.credit_entry_id, reason="credited by mistake", actor=first
    )
    reversal_approve(request_id=request.pk, actor=second)


def reverse_part_of_credit(transfer, amount_cents: int) -> None:
    """A partial reversal: the ledger's reversal entry of the credit, for part of it."""
    ledger.post_entry(
        kind="reversal",
        legs=[Leg(transfer.account_id, -amount_cents), Leg(_reserves_of(transfer), amount_cents)],
        description="partial reversal",
        reference_type="journal_entry",
        reference_id=transfer.credit_entry_id,
        reverses_id=transfer.credit_entry_id,
    )


def _reserves_of(transfer) -> int:
    entry = JournalEntry.objects.get(pk=transfer.credit_entry_id)
    return next(p.account_id for p in entry.postings.all() if p.amount < 0)


def moved() -> tuple[int, int]:
    return JournalEntry.objects.count(), PixRefund.objects.count()


@pytest.mark.django_db
def test_a_refund_after_the_credit_was_reversed_is_refused_and_moves_nothing():
    loja = receiving_customer(amount_cents=OTHER_MONEY)
    pix = receive_pix(loja, FIFTEEN_THOUSAND)
    reverse_credit(pix)
    assert balance_of(loja.account.pk)[0] == OTHER_MONEY
    assert refundable_cents(pix) == 0
    before = moved()

    with pytest.raises(RefundExceedsOriginal, match=r"R\$ 15.000,00 reversed"):
        refund_request(transfer=pix, refund_id="r1", amount_cents=1_000)

    assert moved() == before
    assert balance_of(loja.account.pk)[0] == OTHER_MONEY


@pytest.mark.django_db
def test_the_api_refuses_a_devolucao_of_a_reversed_pix():
    loja = receiving_customer(amount_cents=OTHER_MONEY)
    pix = receive_pix(loja, FIFTEEN_THOUSAND)
    reverse_credit(pix)
    before = moved()

    response = loja.client.put(
        f"{V2}/pix/{pix.end_to_end_id}/devolucao/d1", {"valor": "10.00"}, format="json"
    )

    # BACEN's API Pix answers a refund beyond what is left with 400 PixDevolucaoInvalida.
    problem = assert_problem(response, 400, "PixDevolucaoInvalida", "valor")
    assert "0.00" in problem["detail"]
    assert moved() == before
    assert balance_of(loja.account.pk)[0] == OTHER_MONEY


@pytest.mark.django_db
def test_the_portal_shows_nothing_left_and_refuses_the_form(client):
    loja = receiving_customer(amount_cents=OTHER_MONEY)
    pix = receive_pix(loja, FIFTEEN_THOUSAND)
    reverse_credit(pix)
    client.force_login(loja.customer.user)
    before = moved()

    page = client.get(reverse("portal:pix:detail", args=[pix.pk]))
    assert 'data-testid="refund-left">R$ 0,00' in page.content.decode()
    assert page.context["refund_form"] is None

    response = client.post(
        reverse("portal:pix:refund", args=[pix.pk]), {"refund_id": "abc", "amount": "10,00"}
    )
    assert response.status_code == 400
    assert "amount" in response.context["refund_form"].errors
    assert moved() == before


@pytest.mark.django_db
def test_a_partial_reversal_leaves_the_rest_refundable():
    loja = receiving_customer(amount_cents=OTHER_MONEY)
    pix = receive_pix(loja, 15_000)
    reverse_part_of_credit(pix, 6_000)
    assert refundable_cents(pix) == 9_000

    with pytest.raises(RefundExceedsOriginal):
        refund_request(transfer=pix, refund_id="over", amount_cents=9_001)
    assert not PixRefund.objects.exists()
    done = refund_request(transfer=pix, refund_id="rest", amount_cents=9_000)
    assert done.state == PixRefund.State.DEVOLVIDO
    assert refundable_cents(pix) == 0


@pytest.mark.django_db
def test_a_reversal_after_a_partial_refund_leaves_nothing():
    loja = receiving_customer(amount_cents=OTHER_MONEY)
    pix = receive_pix(loja, FIFTEEN_THOUSAND)
    refund_request(transfer=pix, refund_id="first", amount_cents=500_000)
    reverse_credit(pix)
    assert refundable_cents(pix) == 0
    with pytest.raises(RefundExceedsOriginal):
        refund_request(transfer=pix, refund_id="second", amount_cents=1_000)
    assert PixRefund.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_of_a_partly_reversed_pix_never_exceed_what_is_left(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    loja = receiving_customer(amount_cents=OTHER_MONEY)
    pix = receive_pix(loja, 15_000)
    reverse_part_of_credit(pix, 6_000)  # 9_000 left: only one of two 5_000 refunds fits
    workers = 6
    barrier = threading.Barrier(workers)
    done, refused, errors = [], [], []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            barrier.wait()
            refund_request(transfer=pix, refund_id=f"c{n}", amount_cents=5_000)
            with lock:
                done.append(n)
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
    assert len(done) == 1 and len(refused) == workers - 1
    assert sum(PixRefund.objects.values_list("amount", flat=True)) == 5_000
    assert refundable_cents(pix) == 4_000
