"""MED: infraction reports, cautionary blocks (72 h), MED refunds of what is left.

The Pix arrive as they do in production: the SPI simulator plays the payer's PSP
(`inbound_credit_transfer`) and `pix_receive` credits our customer; reports arrive from the
simulated DICT (`report_infraction_as_other_psp`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.accounts import services as account_services
from apps.accounts.ledger import InsufficientFunds
from apps.accounts.models import Account, Hold, JournalEntry
from apps.accounts.reconciliation import reconcile
from apps.core import roles
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from apps.core.fsm import InvalidTransition, transitions_of
from apps.core.models import AuditEvent
from apps.core.outbox import drain_all
from apps.pix.adapters import dict as dict_api
from apps.pix.med import blocks as med_blocks
from apps.pix.med import services as med
from apps.pix.models import CautionaryBlock, InfractionReport, PixRefund, PixTransfer
from apps.pix.transfers.services.refunds import refund_request
from apps.pix.transfers.services.send import pix_send
from apps.simulators.dict.other_psps import report_infraction_as_other_psp
from apps.simulators.dict.simulator import DictSimulator
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import UserFactory
from tests.support.pix_keys import BB, ITAU, person
from tests.support.pix_med import creditor_of, fraudster, receive, reported, spend
from tests.support.pix_transfers import reserves_total

pytestmark = pytest.mark.django_db

SCAM = InfractionReport.Situation.SCAM
AGREED = InfractionReport.Result.AGREED
DISAGREED = InfractionReport.Result.DISAGREED


@pytest.fixture(autouse=True)
def _english():
    """Service messages are asserted in English; the default language is pt-BR."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


@pytest.fixture
def officer():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
    return user


def close(report, result, officer, django_capture_on_commit_callbacks, details="analysed"):
    # The pacs.004 goes to the SPI after commit, as in production.
    with django_capture_on_commit_callbacks(execute=True):
        return med.infraction_report_close(
            report=report, result=result, details=details, actor=officer
        )


def audit_events(event: str):
    return AuditEvent.objects.filter(action=AuditEvent.Action.BUSINESS, detail__event=event)


def test_full_med_flow_agreed_refunds_what_is_left(officer, django_capture_on_commit_callbacks):
    account = fraudster()
    pix = receive(account, 10_000)
    spend(account, 3_000, django_capture_on_commit_callbacks)  # before anyone noticed
    assert balance_of(account.pk) == (7_000, 7_000)

    report = reported(pix)

    assert report.role == InfractionReport.Role.REPORTED and report.state == "OPEN"
    assert report.reporter_participant == BB and report.situation == SCAM
    block = report.cautionary_blocks.get()
    assert block.state == CautionaryBlock.State.ACTIVE and block.amount == 7_000
    assert block.hold.account_id == account.pk and block.hold.amount == 7_000
    assert block.expires_at - block.created_at <= timedelta(hours=72, seconds=1)
    assert block.hold.expires_at == block.expires_at
    assert balance_of(account.pk) == (7_000, 0)  # balance kept, nothing available

    payee = funded_account()
    with pytest.raises(InsufficientFunds), transaction.atomic():
        account_services.book_transfer(
            source_id=account.pk, destination_id=payee.pk, amount_cents=1
        )

    reserves_before = reserves_total()
    report = close(report, AGREED, officer, django_capture_on_commit_callbacks)

    report.refresh_from_db()
    block.refresh_from_db()
    assert report.state == "CLOSED" and report.analysis_result == AGREED
    assert report.analysed_by == officer and report.closed_at is not None
    refund = report.refund
    assert refund.reason_code == "FR01" and refund.amount == 7_000
    assert refund.state == PixRefund.State.DEVOLVIDO  # the SPI settled the pacs.004
    assert "<Cd>FR01</Cd>" in refund.pacs004
    assert JournalEntry.objects.get(pk=refund.debit_entry_id).kind == "pix_refund"
    assert block.state == CautionaryBlock.State.USED
    assert Hold.objects.get(pk=block.hold_id).state == Hold.State.RELEASED
    assert balance_of(account.pk) == (0, 0)
    assert Account.objects.get(pk=account.pk).held == 0
    assert reserves_total() == reserves_before + 7_000
    assert reconcile().ok
    assert audit_events("pix.med.report_closed").filter(actor=officer).count() == 1
    steps = [(t.source_state, t.target_state) for t in transitions_of(report).order_by("id")]
    assert steps == [("OPEN", "ACKNOWLEDGED"), ("ACKNOWLEDGED", "CLOSED")]  # as the DICT wants
    assert audit_events("pix.med.report_received").count() == 1


def test_money_received_after_the_block_is_refunded_too(
    officer, django_capture_on_commit_callbacks
):
    account = fraudster()
    pix = receive(account, 10_000)
    spend(account, 6_000, django_capture_on_commit_callbacks)
    report = reported(pix)
    assert report.cautionary_blocks.get().amount == 4_000
    receive(account, 9_000, payer_ispb=ITAU)  # another payer, after the block

    close(report, AGREED, officer, django_capture_on_commit_callbacks)

    report.refresh_from_db()
    # min(original 10.000 - refunded 0, available 9.000 + held 4.000)
    assert report.refund.amount == 10_000
    assert balance_of(account.pk) == (3_000, 3_000)
    assert reconcile().ok


def test_earlier_refunds_count_against_what_is_left(officer, django_capture_on_commit_callbacks):
    account = fraudster(50_000)
    pix = receive(account, 10_000)
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(transfer=pix, refund_id="parcial1", amount_cents=2_500)
    report = reported(pix)
    assert report.cautionary_blocks.get().amount == 7_500

    close(report, AGREED, officer, django_capture_on_commit_callbacks)

    report.refresh_from_db()
    assert report.refund.amount == 7_500
    assert sum(PixRefund.objects.filter(transfer=pix).values_list("amount", flat=True)) == 10_000
    assert balance_of(account.pk) == (50_000 - 10_000 + 10_000, 50_000)


def test_disagreed_releases_the_block(officer, django_capture_on_commit_callbacks):
    account = fraudster()
    pix = receive(account, 10_000)
    report = reported(pix)
    block = report.cautionary_blocks.get()
    assert balance_of(account.pk) == (10_000, 0)
    med.infraction_report_acknowledge(report=report, actor=officer)
    assert audit_events("pix.med.report_acknowledged").get().actor == officer

    close(report, DISAGREED, officer, django_capture_on_commit_callbacks, details="legit sale")

    report.refresh_from_db()
    block.refresh_from_db()
    assert report.state == "CLOSED" and report.analysis_result == DISAGREED
    assert report.refund is None and not PixRefund.objects.filter(transfer=pix).exists()
    assert block.state == CautionaryBlock.State.RELEASED
    assert balance_of(account.pk) == (10_000, 10_000)
    assert reconcile().ok


def test_nothing_left_closes_agreed_without_a_refund(officer, django_capture_on_commit_callbacks):
    account = fraudster()
    pix = receive(account, 10_000)
    spend(account, 10_000, django_capture_on_commit_callbacks)
    report = reported(pix)
    assert not report.cautionary_blocks.exists()  # nothing to block

    close(report, AGREED, officer, django_capture_on_commit_callbacks)

    report.refresh_from_db()
    assert report.state == "CLOSED" and report.analysis_result == AGREED
    assert report.refund is None
    assert balance_of(account.pk) == (0, 0)


def test_decisions_are_final(officer, django_capture_on_commit_callbacks):
    account = fraudster()
    report = reported(receive(account, 5_000))
    med.infraction_report_acknowledge(report=report, actor=officer)
    with pytest.raises(InvalidTransition):
        med.infraction_report_acknowledge(report=report, actor=officer)
    close(report, DISAGREED, officer, django_capture_on_commit_callbacks)
    with pytest.raises(InvalidTransition):
        close(report, AGREED, officer, django_capture_on_commit_callbacks)
    assert not PixRefund.objects.exists()
    with pytest.raises(ValidationFailed) as excinfo:
        med.infraction_report_close(report=report, result="MAYBE", details="", actor=officer)
    assert excinfo.value.field == "result"


# --- 72 hours ----------------------------------------------------------------------------------


def test_block_expires_after_72_hours(django_capture_on_commit_callbacks):
    account = fraudster()
    report = reported(receive(account, 8_000))
    block = report.cautionary_blocks.get()
    now = timezone.now()

    assert med_blocks.cautionary_blocks_expire_due(now=now + timedelta(hours=71)) == 0
    assert balance_of(account.pk) == (8_000, 0)
    assert med_blocks.cautionary_blocks_expire_due(now=now + timedelta(hours=72, minutes=1)) == 1

    block.refresh_from_db()
    assert block.state == CautionaryBlock.State.EXPIRED
    assert Hold.objects.get(pk=block.hold_id).state == Hold.State.EXPIRED
    assert balance_of(account.pk) == (8_000, 8_000)
    report.refresh_from_db()
    assert report.state == "OPEN"  # the analysis goes on; the money is free again
    assert med_blocks.cautionary_blocks_expire_due(now=now + timedelta(hours=80)) == 0  # idempotent


def test_accounts_hold_expiry_running_first_expires_the_block_too():
    account = fraudster()
    report = reported(receive(account, 8_000))
    block = report.cautionary_blocks.get()

    expired = account_services.holds_expire_due(now=timezone.now() + timedelta(hours=73))

    assert expired == 1
    block.refresh_from_db()
    assert block.state == CautionaryBlock.State.EXPIRED
    assert balance_of(account.pk) == (8_000, 8_000)
    assert med_blocks.cautionary_blocks_expire_due(now=timezone.now() + timedelta(hours=73)) == 0


def test_a_hold_released_elsewhere_releases_its_block():
    """The accounts admin's "Release" action on the hold (an operator) ends the block."""
    account = fraudster()
    block = reported(receive(account, 8_000)).cautionary_blocks.get()

    account_services.hold_release(hold_id=block.hold_id, actor=None, reason="operator")

    block.refresh_from_db()
    assert block.state == CautionaryBlock.State.RELEASED
    assert balance_of(account.pk) == (8_000, 8_000)


def test_closing_after_the_block_expired_refunds_what_is_available(
    officer, django_capture_on_commit_callbacks
):
    account = fraudster()
    pix = receive(account, 8_000)
    report = reported(pix)
    med_blocks.cautionary_blocks_expire_due(now=timezone.now() + timedelta(hours=73))
    spend(account, 5_000, django_capture_on_commit_callbacks)  # free money, spent

    close(report, AGREED, officer, django_capture_on_commit_callbacks)

    report.refresh_from_db()
    assert report.refund.amount == 3_000
    assert balance_of(account.pk) == (0, 0)


# --- blocks placed by compliance -------------------------------------------------------------


def test_officer_blocks_on_suspicion_then_releases(officer, django_capture_on_commit_callbacks):
    account = fraudster(1_000)
    pix = receive(account, 10_000)

    block = med_blocks.cautionary_block_place(
        transfer=pix, amount_cents=4_000, reason="many Pix from unrelated payers", actor=officer
    )

    assert block.infraction is None and block.created_by == officer
    assert balance_of(account.pk) == (11_000, 7_000)
    with pytest.raises(Conflict):
        med_blocks.cautionary_block_place(
            transfer=pix, amount_cents=1, reason="again", actor=officer
        )

    med_blocks.cautionary_block_release(
        block=block, actor=officer, reason="customer showed invoices"
    )

    block.refresh_from_db()
    assert block.state == CautionaryBlock.State.RELEASED
    assert balance_of(account.pk) == (11_000, 11_000)
    with pytest.raises(InvalidTransition):
        med_blocks.cautionary_block_release(block=block, actor=officer, reason="twice")
    placed = audit_events("pix.med.block_placed").get()
    assert placed.actor == officer and placed.detail["amount"] == 4_000
    assert audit_events("pix.med.block_released").get().detail["reason"] == (
        "customer showed invoices"
    )


def test_a_report_adopts_the_block_compliance_placed(officer):
    account = fraudster()
    pix = receive(account, 10_000)
    block = med_blocks.cautionary_block_place(
        transfer=pix, amount_cents=None, reason="suspicion", actor=officer
    )
    assert block.amount == 10_000

    report = reported(pix)

    block.refresh_from_db()
    assert block.infraction == report
    assert CautionaryBlock.objects.filter(transfer=pix).count() == 1
    assert Account.objects.get(pk=account.pk).held == 10_000


def test_block_limits(officer, django_capture_on_commit_callbacks):
    account = fraudster()
    pix = receive(account, 10_000)
    spend(account, 4_000, django_capture_on_commit_callbacks)

    with pytest.raises(med.MedNotAllowed) as excinfo:
        med_blocks.cautionary_block_place(
            transfer=pix, amount_cents=10_001, reason="x", actor=officer
        )
    assert excinfo.value.field == "amount"
    with pytest.raises(InsufficientFunds):
        med_blocks.cautionary_block_place(
            transfer=pix, amount_cents=6_001, reason="x", actor=officer
        )
    with pytest.raises(ValidationFailed):
        med_blocks.cautionary_block_place(transfer=pix, amount_cents=0, reason="x", actor=officer)
    with pytest.raises(ValidationFailed):
        med_blocks.cautionary_block_place(transfer=pix, amount_cents=1, reason="  ", actor=officer)
    sent = PixTransfer.objects.get(direction="out", account=account)
    with pytest.raises(med.MedNotAllowed):  # the money left Athena
        med_blocks.cautionary_block_place(transfer=sent, amount_cents=1, reason="x", actor=officer)
    assert not CautionaryBlock.objects.exists()
    assert Account.objects.get(pk=account.pk).held == 0


# --- reports received: the DICT's rules and ours ---------------------------------------------


def test_only_the_payers_institution_reports_and_only_once():
    account = fraudster()
    pix = receive(account, 10_000)

    with pytest.raises(dict_api.DictForbidden):  # ITAU is no party to this Pix
        report_infraction_as_other_psp(reporter=ITAU, end_to_end_id=pix.end_to_end_id)
    with pytest.raises(Forbidden):
        med.infraction_report_received(
            end_to_end_id=pix.end_to_end_id, situation=SCAM, details="", reporter_ispb=ITAU
        )
    report = reported(pix)
    with pytest.raises(dict_api.InfractionReportAlreadyBeingProcessedForTransaction):
        reported(pix)
    with pytest.raises(Conflict):
        med.infraction_report_received(
            end_to_end_id=pix.end_to_end_id, situation=SCAM, details="", reporter_ispb=BB
        )
    again = med.infraction_report_received(
        end_to_end_id=pix.end_to_end_id,
        situation=SCAM,
        details="",
        reporter_ispb=BB,
        dict_report_id=report.dict_report_id,
    )
    assert again.pk == report.pk  # delivered twice, one report
    assert CautionaryBlock.objects.count() == 1


def test_reports_after_80_days_are_refused():
    account = fraudster()
    pix = receive(account, 10_000)
    late = timezone.now() + timedelta(days=81)
    with pytest.raises(dict_api.InfractionReportPeriodExpired):
        reported(pix, now=late)
    with pytest.raises(med.MedNotAllowed, match="80 days"):
        med.infraction_report_received(
            end_to_end_id=pix.end_to_end_id, situation=SCAM, details="", reporter_ispb=BB, now=late
        )
    assert not InfractionReport.objects.exists()


def test_received_report_input_is_checked():
    account = fraudster()
    pix = receive(account, 10_000)
    cases = [
        ({"situation": "PHISHING"}, ValidationFailed),
        ({"details": "x" * 2001}, ValidationFailed),
        ({"reporter_ispb": "BB"}, ValidationFailed),
        ({"end_to_end_id": "E" + "0" * 40}, ValidationFailed),
        ({"end_to_end_id": "E00000000202601011200abcdefghijk"}, NotFound),
    ]
    for override, error in cases:
        kwargs = {
            "end_to_end_id": pix.end_to_end_id,
            "situation": SCAM,
            "details": "",
            "reporter_ispb": BB,
            **override,
        }
        with pytest.raises(error):
            med.infraction_report_received(**kwargs)
    assert not InfractionReport.objects.exists()


# --- reports our customers open ----------------------------------------------------------------


def test_customer_contests_a_pix_sent_to_another_psp(django_capture_on_commit_callbacks):
    payer = funded_account(50_000, customer=person("Ana Vitima Souza"))
    sent = spend(payer, 20_000, django_capture_on_commit_callbacks)
    assert sent.state == PixTransfer.State.SETTLED

    report = med.infraction_report_open(
        transfer=sent, situation=SCAM, details="Falso parente", actor=payer.customer.user
    )

    assert report.role == InfractionReport.Role.REPORTER and report.state == "OPEN"
    assert report.reporter_participant == django_settings.ATHENA_ISPB
    assert report.reported_by == payer.customer.user
    assert not report.cautionary_blocks.exists()  # the other PSP blocks, not us
    record = DictSimulator().get_infraction_report(report_id=report.dict_report_id)
    assert record.reported_by == dict_api.DEBITED_PARTICIPANT
    assert (record.debited_participant, record.credited_participant) == (
        django_settings.ATHENA_ISPB,
        BB,
    )
    with pytest.raises(Conflict):
        med.infraction_report_open(
            transfer=sent, situation=SCAM, details="", actor=payer.customer.user
        )

    med.infraction_report_cancel(report=report, actor=payer.customer.user)
    report.refresh_from_db()
    assert report.state == "CANCELLED"
    again = med.infraction_report_open(
        transfer=sent, situation=InfractionReport.Situation.COERCION, details="", actor=None
    )
    assert again.pk != report.pk and again.state == "OPEN"


def test_only_sent_settled_recent_pix_can_be_contested(django_capture_on_commit_callbacks):
    payer = funded_account(50_000, customer=person("Ana Vitima Souza"))
    received = receive(payer, 1_000)
    with pytest.raises(med.MedNotAllowed, match="sent"):
        med.infraction_report_open(transfer=received, situation=SCAM, details="", actor=None)
    sent = spend(payer, 2_000, django_capture_on_commit_callbacks)
    with pytest.raises(med.MedNotAllowed, match="80 days"):
        med.infraction_report_open(
            transfer=sent,
            situation=SCAM,
            details="",
            actor=None,
            now=timezone.now() + timedelta(days=81),
        )
    with pytest.raises(ValidationFailed):
        med.infraction_report_open(transfer=sent, situation="FRAUD", details="", actor=None)
    with pytest.raises(med.MedNotAllowed):  # analysed by the receiving PSP, not us
        report = med.infraction_report_open(transfer=sent, situation=SCAM, details="", actor=None)
        med.infraction_report_close(report=report, result=AGREED, details="", actor=None)


def test_internal_pix_is_reported_against_the_payee_at_once(
    officer, django_capture_on_commit_callbacks
):
    victim = funded_account(30_000, customer=person("Ana Vitima Souza"))
    scammer = fraudster()
    sent = pix_send(
        account=victim,
        creditor=creditor_of(scammer),
        amount_cents=12_000,
    )
    assert sent.internal and sent.state == PixTransfer.State.SETTLED
    spend(scammer, 2_000, django_capture_on_commit_callbacks)

    mine = med.infraction_report_open(
        transfer=sent, situation=SCAM, details="golpe", actor=victim.customer.user
    )

    theirs = InfractionReport.objects.get(transfer=sent, role=InfractionReport.Role.REPORTED)
    assert theirs.state == "OPEN" and theirs.reporter_participant == django_settings.ATHENA_ISPB
    block = theirs.cautionary_blocks.get()
    assert block.amount == 10_000 and block.hold.account_id == scammer.pk
    assert balance_of(scammer.pk) == (10_000, 0)

    close(theirs, AGREED, officer, django_capture_on_commit_callbacks)

    mine.refresh_from_db()
    theirs.refresh_from_db()
    block.refresh_from_db()
    assert mine.state == theirs.state == "CLOSED"
    assert mine.analysis_result == theirs.analysis_result == AGREED
    assert mine.refund == theirs.refund and theirs.refund.amount == 10_000
    assert theirs.refund.state == PixRefund.State.DEVOLVIDO
    assert JournalEntry.objects.get(pk=theirs.refund.debit_entry_id).kind == "pix_med_refund"
    assert block.state == CautionaryBlock.State.USED
    assert balance_of(scammer.pk) == (0, 0)
    assert balance_of(victim.pk) == (30_000 - 12_000 + 10_000,) * 2
    assert reconcile().ok


def test_withdrawing_an_internal_report_releases_the_payees_block():
    victim = funded_account(30_000, customer=person("Ana Vitima Souza"))
    scammer = fraudster()
    sent = pix_send(account=victim, creditor=creditor_of(scammer), amount_cents=12_000)
    mine = med.infraction_report_open(transfer=sent, situation=SCAM, details="", actor=None)

    med.infraction_report_cancel(report=mine, actor=victim.customer.user)

    assert set(InfractionReport.objects.values_list("state", flat=True)) == {"CANCELLED"}
    assert CautionaryBlock.objects.get().state == CautionaryBlock.State.RELEASED
    assert balance_of(scammer.pk) == (12_000, 12_000)


# --- notifications -------------------------------------------------------------------------------


def test_customer_is_told_of_the_block_and_of_the_refund(
    officer, django_capture_on_commit_callbacks, settings
):
    settings.OUTBOX_KICK_ON_COMMIT = False
    account = fraudster()
    pix = receive(account, 10_000)
    report = reported(pix)
    drain_all()

    email = account.customer.user.email
    notices = med_mail()
    assert [m.to for m in notices] == [[email]]
    assert "R$ 100,00" in notices[0].body
    assert "Devolução" in notices[0].body

    close(report, AGREED, officer, django_capture_on_commit_callbacks, details="Golpe confirmado")
    drain_all()

    notices = med_mail()
    assert [m.to for m in notices] == [[email], [email]]
    assert "R$ 100,00" in notices[1].body and "Golpe confirmado" in notices[1].body
    assert len({m.extra_headers["Message-ID"] for m in notices}) == 2


def med_mail():
    """The MED notices (other features e-mail about received Pix and refunds too)."""
    return [m for m in mail.outbox if m.extra_headers.get("Message-ID", "").startswith("<pix-med-")]


def test_redelivered_notice_keeps_its_message_id(settings):
    from apps.core.models import OutboxMessage
    from apps.pix.med.notifications import email_customer

    settings.OUTBOX_KICK_ON_COMMIT = False
    account = fraudster()
    reported(receive(account, 10_000))
    message = OutboxMessage.objects.get(topic="pix.med")

    email_customer(message.payload, message)
    email_customer(message.payload, message)

    assert len(mail.outbox) == 2
    assert mail.outbox[0].extra_headers["Message-ID"] == mail.outbox[1].extra_headers["Message-ID"]


def test_unknown_or_gone_rows_send_nothing():
    from apps.core.models import OutboxMessage
    from apps.pix.med.notifications import email_customer

    message = OutboxMessage(id=10**9, topic="pix.med", payload={})
    email_customer({"event": "block_placed", "block_id": 10**9}, message)
    email_customer({"event": "refund_made", "report_id": 10**9}, message)
    email_customer({"event": "something_else"}, message)
    assert mail.outbox == []


# --- what is left: the money math, for any history -------------------------------------------


@hypothesis_settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.fixed_dictionaries(
        {
            "opening": st.integers(0, 5_000),
            "amount": st.integers(1, 20_000),
            "refunded": st.integers(0, 20_000),
            "spent": st.integers(0, 30_000),
            "later": st.integers(0, 20_000),
        }
    )
)
def test_what_is_left_is_the_smaller_of_the_pix_and_the_account(
    data, officer, django_capture_on_commit_callbacks
):
    account = fraudster(data["opening"])
    pix = receive(account, data["amount"])
    refunded = min(data["refunded"], data["amount"])
    if refunded:
        with django_capture_on_commit_callbacks(execute=True):
            refund_request(transfer=pix, refund_id="before", amount_cents=refunded)
    spent = min(data["spent"], balance_of(account.pk)[1])
    if spent:
        payee = funded_account()
        account_services.book_transfer(
            source_id=account.pk, destination_id=payee.pk, amount_cents=spent
        )
    report = reported(pix)
    blocked = sum(b.amount for b in report.cautionary_blocks.all())
    assert blocked == min(data["amount"] - refunded, balance_of(account.pk)[0])
    if data["later"]:
        receive(account, data["later"], payer_ispb=ITAU)
    total_before, available_before = balance_of(account.pk)

    close(report, AGREED, officer, django_capture_on_commit_callbacks)

    report.refresh_from_db()
    expected = min(data["amount"] - refunded, available_before + blocked)
    assert (report.refund.amount if report.refund else 0) == expected
    assert balance_of(account.pk) == (total_before - expected,) * 2
    assert Account.objects.get(pk=account.pk).held == 0
    assert reconcile().ok


def test_text_that_xml_or_postgres_cannot_carry_is_refused(officer):
    report = reported(receive(fraudster(), 1_000))
    for text in ("\x00", "a\x0bb", "\ud800", "\uffff"):
        with pytest.raises(ValidationFailed):
            med.infraction_report_close(report=report, result=AGREED, details=text, actor=officer)
    med.infraction_report_close(
        report=report, result=DISAGREED, details="linha 1\nlinha 2\tfim", actor=officer
    )
    report.refresh_from_db()
    assert report.analysis_details == "linha 1\nlinha 2\tfim"


def test_the_beat_task_expires_due_blocks():
    from apps.pix.tasks import expire_cautionary_blocks_task
    from athena.celery import app

    schedule = app.conf.beat_schedule["expire-cautionary-blocks"]
    assert schedule == {"task": "apps.pix.tasks.expire_cautionary_blocks_task", "schedule": 60.0}
    account = fraudster()
    block = reported(receive(account, 8_000)).cautionary_blocks.get()
    assert expire_cautionary_blocks_task.apply().get() == 0
    # 72 h later (time moved by hand: the task reads the clock itself).
    past = timezone.now() - timedelta(minutes=1)
    CautionaryBlock.objects.filter(pk=block.pk).update(expires_at=past)
    Hold.objects.filter(pk=block.hold_id).update(expires_at=past)

    assert expire_cautionary_blocks_task.apply().get() == 1

    block.refresh_from_db()
    assert block.state == CautionaryBlock.State.EXPIRED
    assert balance_of(account.pk) == (8_000, 8_000)
