"""MED under concurrency, with real threads and connections: the customer spends while the
analyst closes the case; two analysts decide at once; the 72 h expiry races a decision.
The invariants are read back from the database afterwards."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.utils import timezone

from apps.accounts import ledger
from apps.accounts import services as account_services
from apps.accounts.models import Account, Hold
from apps.accounts.reconciliation import reconcile
from apps.core import roles
from apps.core.fsm import InvalidTransition
from apps.pix.med import blocks as med_blocks
from apps.pix.med import services as med
from apps.pix.models import CautionaryBlock, InfractionReport, PixRefund
from apps.pix.transfers.services.send import pix_send
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import UserFactory
from tests.support.pix_keys import ITAU
from tests.support.pix_med import fraudster, receive, reported

pytestmark = pytest.mark.django_db(transaction=True)

SPENDERS = 8
SPEND = 1_000


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    settings.OUTBOX_KICK_ON_COMMIT = False  # no broker in the way; nothing here reads mail


def officer():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
    return user


def run_together(*jobs):
    """Start every job at once (one thread and connection each); return their outcomes:
    the value returned or the exception raised."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def runner(index, job):
        barrier.wait()
        try:
            outcomes[index] = job()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def no_customer_below_zero() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounts_account"
            " WHERE kind = 'customer' AND (balance < 0 OR held < 0)"
        )
        return cursor.fetchone()[0] == 0


def test_spending_while_the_analyst_agrees_never_overdraws_nor_overrefunds():
    account = fraudster()
    pix = receive(account, 10_000)
    sink = funded_account()
    account_services.book_transfer(source_id=account.pk, destination_id=sink.pk, amount_cents=2_000)
    report = reported(pix)
    assert report.cautionary_blocks.get().amount == 8_000
    receive(account, 5_000, payer_ispb=ITAU)  # free money after the block
    assert balance_of(account.pk) == (13_000, 5_000)
    analyst = officer()

    def spend():
        return account_services.book_transfer(
            source_id=account.pk, destination_id=sink.pk, amount_cents=SPEND
        )

    def decide():
        return med.infraction_report_close(
            report=report, result="AGREED", details="fraud confirmed", actor=analyst
        )

    outcomes = run_together(decide, *[spend] * SPENDERS)

    assert isinstance(outcomes[0], InfractionReport), outcomes[0]
    spent = [o for o in outcomes[1:] if isinstance(o, int)]
    refused = [o for o in outcomes[1:] if isinstance(o, ledger.InsufficientFunds)]
    assert len(spent) + len(refused) == SPENDERS, outcomes
    report.refresh_from_db()
    refund = report.refund
    total, available = balance_of(account.pk)
    # Money in the account when the race started: 13.000. It went to spending, to the
    # payer (at most the Pix, 10.000) or stayed.
    assert len(spent) * SPEND + refund.amount + total == 13_000
    assert 0 < refund.amount <= 10_000
    # The refund took min(10.000, what the account held at that moment): either the whole
    # Pix, or everything there was, leaving nothing for later spending.
    assert refund.amount == 10_000 or total == 0
    assert total == available and Account.objects.get(pk=account.pk).held == 0
    assert refund.reason_code == "FR01" and refund.state == PixRefund.State.DEVOLVIDO
    assert report.cautionary_blocks.get().state == CautionaryBlock.State.USED
    assert no_customer_below_zero()
    assert reconcile().ok


def test_two_analysts_deciding_at_once_decide_once():
    account = fraudster()
    report = reported(receive(account, 10_000))
    first, second = officer(), officer()

    outcomes = run_together(
        lambda: med.infraction_report_close(
            report=report, result="AGREED", details="", actor=first
        ),
        lambda: med.infraction_report_close(
            report=report, result="DISAGREED", details="", actor=second
        ),
    )

    decided = [o for o in outcomes if isinstance(o, InfractionReport)]
    lost = [o for o in outcomes if isinstance(o, InvalidTransition)]
    assert len(decided) == 1 and len(lost) == 1, outcomes
    report.refresh_from_db()
    block = report.cautionary_blocks.get()
    if report.analysis_result == "AGREED":
        assert PixRefund.objects.get().amount == 10_000
        assert block.state == CautionaryBlock.State.USED
        assert balance_of(account.pk) == (0, 0)
    else:
        assert not PixRefund.objects.exists()
        assert block.state == CautionaryBlock.State.RELEASED
        assert balance_of(account.pk) == (10_000, 10_000)
    assert reconcile().ok


@pytest.mark.parametrize("expiry", ["ours", "accounts"])
def test_expiry_racing_the_decision_leaves_one_consistent_outcome(expiry):
    account = fraudster()
    report = reported(receive(account, 10_000))
    analyst = officer()
    later = timezone.now() + timedelta(hours=73)

    def expire():
        if expiry == "ours":
            return med_blocks.cautionary_blocks_expire_due(now=later)
        return account_services.holds_expire_due(now=later)

    outcomes = run_together(
        lambda: med.infraction_report_close(
            report=report, result="AGREED", details="", actor=analyst
        ),
        expire,
    )

    assert isinstance(outcomes[0], InfractionReport), outcomes
    assert isinstance(outcomes[1], int), outcomes  # no deadlock, no error
    block = report.cautionary_blocks.get()
    hold = Hold.objects.get(pk=block.hold_id)
    assert block.state in (CautionaryBlock.State.USED, CautionaryBlock.State.EXPIRED)
    expected_hold = {
        CautionaryBlock.State.USED: Hold.State.RELEASED,
        CautionaryBlock.State.EXPIRED: Hold.State.EXPIRED,
    }[block.state]
    assert hold.state == expected_hold
    # Either way the money available to the MED went back: the block's or, once expired,
    # the free balance.
    assert PixRefund.objects.get().amount == 10_000
    assert balance_of(account.pk) == (0, 0)
    assert Account.objects.get(pk=account.pk).held == 0
    assert no_customer_below_zero()
    assert reconcile().ok


def test_payer_withdrawing_while_the_officer_closes_an_internal_report():
    """An internal Pix's report is two rows (the payer's and the payee's): the payer's
    withdrawal and the officer's decision take them in one order, so one wins, whole."""
    from tests.support.pix_med import creditor_of

    victim = funded_account(30_000)
    scammer = fraudster()
    sent = pix_send(account=victim, creditor=creditor_of(scammer), amount_cents=12_000)
    mine = med.infraction_report_open(transfer=sent, situation="SCAM", details="", actor=None)
    theirs = InfractionReport.objects.get(transfer=sent, role="REPORTED")
    analyst = officer()

    outcomes = run_together(
        lambda: med.infraction_report_cancel(report=mine, actor=victim.customer.user),
        lambda: med.infraction_report_close(
            report=theirs, result="AGREED", details="", actor=analyst
        ),
    )

    won = [o for o in outcomes if isinstance(o, InfractionReport)]
    lost = [o for o in outcomes if isinstance(o, InvalidTransition)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    states = set(InfractionReport.objects.values_list("state", flat=True))
    block = CautionaryBlock.objects.get()
    if isinstance(outcomes[0], InfractionReport):  # withdrawn first
        assert states == {"CANCELLED"} and block.state == CautionaryBlock.State.RELEASED
        assert balance_of(scammer.pk) == (12_000, 12_000)
        assert not PixRefund.objects.exists()
    else:
        assert states == {"CLOSED"} and block.state == CautionaryBlock.State.USED
        assert balance_of(victim.pk) == (30_000, 30_000)
        assert balance_of(scammer.pk) == (0, 0)
    assert no_customer_below_zero()
    assert reconcile().ok
