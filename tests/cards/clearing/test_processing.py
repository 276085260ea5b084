"""Clearing files processed as the issuer (apps.cards.clearing.services): the exact postings
of each case, idempotence (a file twice, a record twice), a bad file rejected whole, the
operators' queue and the day's net settlement against the reserves account."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts import services as accounts
from apps.accounts.models import Hold, JournalEntry, Posting
from apps.cards import services
from apps.cards.clearing import codecs as clr
from apps.cards.clearing import services as clearing
from apps.cards.clearing import tasks
from apps.cards.clearing.models import (
    ClearingException,
    ClearingFile,
    ClearingLine,
    ClearingSettlement,
)
from apps.cards.models import Authorization
from apps.core.errors import Conflict
from apps.simulators.cardnet import simulator
from apps.simulators.cardnet.models import CardnetFile
from tests.factories.ledger import balance_of
from tests.factories.users import UserFactory
from tests.support.cards import cardholder, purchase

pytestmark = pytest.mark.django_db

Outcome = ClearingLine.Outcome
Reason = ClearingException.Reason


def approve(issued, amount: int, **fields) -> Authorization:
    result = services.authorize(purchase(issued, amount, **fields))
    assert result.approved, result
    return Authorization.objects.get(pk=result.authorization_id)


def present(auth: Authorization, amount: int | None = None):
    return simulator.present(simulator.authorization_record(auth), amount_cents=amount)


def clear() -> ClearingFile:
    """The network writes the pending records into a file; we fetch and process it."""
    (processed,) = clearing.files_fetch()
    return processed


def legs(entry_id: int) -> dict[str, int]:
    """An entry's postings by account: internal accounts by code, customers as "customer"."""
    return {
        (p.account.code or "customer"): p.amount
        for p in Posting.objects.filter(entry_id=entry_id).select_related("account")
    }


def entries_of(line: ClearingLine) -> list[tuple[str, dict[str, int]]]:
    kinds = dict(JournalEntry.objects.filter(pk__in=line.entry_ids).values_list("pk", "kind"))
    return [(kinds[entry_id], legs(entry_id)) for entry_id in line.entry_ids]


def internal_balance(code: str) -> int:
    return balance_of(accounts.internal_account_id(code))[0]


# --- Presentments ------------------------------------------------------------------------------


def test_a_full_presentment_captures_the_hold():
    account, issued = cardholder(100_000)
    auth = approve(issued, 10_000)
    assert balance_of(account.pk) == (100_000, 90_000)
    present(auth)
    processed = clear()
    assert processed.state == ClearingFile.State.PROCESSED
    (line,) = processed.lines.all()
    assert line.outcome == Outcome.CAPTURED and line.authorization == auth
    assert entries_of(line) == [("card_purchase", {"customer": -10_000, "card_settlement": 10_000})]
    assert balance_of(account.pk) == (90_000, 90_000)
    auth.refresh_from_db()
    assert auth.state == Authorization.State.CAPTURED
    hold = Hold.objects.get(pk=auth.hold_id)
    assert hold.state == Hold.State.CAPTURED and hold.captured_amount == 10_000
    entry = JournalEntry.objects.get(pk=line.entry_ids[0])
    assert entry.metadata["merchant"] == "PADARIA TRES IRMAOS"
    assert entry.metadata["card_last4"] == issued.card.last4


def test_a_partial_presentment_captures_that_much_and_releases_the_rest():
    account, issued = cardholder(100_000)
    auth = approve(issued, 10_000)
    present(auth, 7_000)
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.CAPTURED
    assert entries_of(line) == [("card_purchase", {"customer": -7_000, "card_settlement": 7_000})]
    assert balance_of(account.pk) == (93_000, 93_000)  # nothing held any more


def test_an_over_capture_within_tolerance_is_a_second_debit():
    account, issued = cardholder(100_000)
    auth = approve(issued, 10_000, mcc="5812", merchant_name="RESTAURANTE BOM PRATO")
    present(auth, 11_500)  # a 15% tip; the tolerance is 20%
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.CAPTURED
    assert entries_of(line) == [
        ("card_purchase", {"customer": -10_000, "card_settlement": 10_000}),
        ("card_purchase", {"customer": -1_500, "card_settlement": 1_500}),
    ]
    assert balance_of(account.pk) == (88_500, 88_500)
    assert not ClearingException.objects.exists()


def test_an_over_capture_beyond_tolerance_captures_the_hold_and_queues_the_extra():
    account, issued = cardholder(100_000)
    auth = approve(issued, 10_000)
    present(auth, 13_000)  # 30% over
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.QUEUED
    assert entries_of(line) == [
        ("card_purchase", {"customer": -10_000, "card_settlement": 10_000}),
        ("card_suspense", {"suspense": -3_000, "card_settlement": 3_000}),
    ]
    assert balance_of(account.pk) == (90_000, 90_000)
    (exception,) = ClearingException.objects.all()
    assert (exception.reason, exception.state, exception.amount) == (
        Reason.OVER_TOLERANCE,
        ClearingException.State.OPEN,
        3_000,
    )
    assert exception.account_id == account.pk
    # An operator settles it with the customer, out of suspense.
    operator = UserFactory(is_staff=True)
    done = clearing.exception_charge(exception_id=exception.pk, actor=operator, reason="tip ok")
    assert done.state == ClearingException.State.CHARGED
    assert legs(done.resolution_entry_id) == {"customer": -3_000, "suspense": 3_000}
    assert balance_of(account.pk) == (87_000, 87_000)
    assert internal_balance("suspense") == 0
    with pytest.raises(Conflict):
        clearing.exception_charge(exception_id=exception.pk, actor=operator, reason="again")


def test_an_over_capture_within_tolerance_the_account_cannot_pay_is_queued():
    account, issued = cardholder(10_000)
    auth = approve(issued, 10_000)
    present(auth, 11_000)
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.QUEUED
    assert [kind for kind, _legs in entries_of(line)] == ["card_purchase", "card_suspense"]
    assert ClearingException.objects.get().reason == Reason.EXTRA_UNPAID
    assert balance_of(account.pk) == (0, 0)


def test_a_presentment_without_authorization_is_posted_when_the_account_can_pay():
    account, issued = cardholder(100_000)
    card = issued.card
    simulator.force_post(
        card_bin=card.bin,
        card_last4=card.last4,
        card_token=card.token,
        amount_cents=4_200,
        day=simulator.brasilia_today(),
    )
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.POSTED and line.authorization is None
    assert entries_of(line) == [("card_purchase", {"customer": -4_200, "card_settlement": 4_200})]
    assert balance_of(account.pk) == (95_800, 95_800)


def test_a_presentment_without_authorization_the_account_cannot_pay_is_queued():
    account, issued = cardholder(1_000)
    card = issued.card
    simulator.force_post(
        card_bin=card.bin,
        card_last4=card.last4,
        card_token=card.token,
        amount_cents=5_000,
        day=simulator.brasilia_today(),
    )
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.QUEUED
    assert entries_of(line) == [("card_suspense", {"suspense": -5_000, "card_settlement": 5_000})]
    assert balance_of(account.pk) == (1_000, 1_000)
    exception = ClearingException.objects.get()
    assert (exception.reason, exception.amount) == (Reason.UNPAID, 5_000)


def test_an_unknown_card_is_queued():
    simulator.force_post(
        card_bin="506727",
        card_last4="0000",
        card_token="tok_not_ours",
        amount_cents=900,
        day=simulator.brasilia_today(),
    )
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.QUEUED and line.card is None
    exception = ClearingException.objects.get()
    assert (exception.reason, exception.account_id) == (Reason.UNKNOWN_CARD, None)
    with pytest.raises(Conflict):
        clearing.exception_charge(exception_id=exception.pk, actor=None, reason="whose?")
    closed = clearing.exception_close(exception_id=exception.pk, actor=None, reason="chargeback")
    assert closed.state == ClearingException.State.CLOSED


def test_a_0200_presented_moves_nothing_more():
    account, issued = cardholder(100_000)
    auth = approve(issued, 3_000, mti="0200")
    assert balance_of(account.pk) == (97_000, 97_000)
    present(auth)
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.ALREADY_CAPTURED
    assert balance_of(account.pk) == (97_000, 97_000)


def test_a_presentment_of_a_reversed_authorization_is_queued():
    account, issued = cardholder(100_000)
    request = purchase(issued, 2_000)
    auth = Authorization.objects.get(pk=services.authorize(request).authorization_id)
    network_copy = simulator.authorization_record(auth)
    services.authorization_reverse(
        purchase(issued, 2_000, mti="0400", original_mti="0100", original_stan=request.stan)
    )
    simulator.present(network_copy)
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.QUEUED
    assert ClearingException.objects.get().reason == Reason.AUTHORIZATION_REVERSED
    assert balance_of(account.pk) == (100_000, 100_000)


# --- Refunds and reversals ---------------------------------------------------------------------


def test_a_refund_credits_the_customer():
    account, issued = cardholder(100_000)
    auth = approve(issued, 10_000)
    record = present(auth)
    clear()
    simulator.refund(original=record, amount_cents=4_000, day=simulator.brasilia_today())
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.REFUNDED
    assert entries_of(line) == [("card_refund", {"card_settlement": -4_000, "customer": 4_000})]
    assert balance_of(account.pk) == (94_000, 94_000)


def test_a_reversed_presentment_gives_everything_back():
    account, issued = cardholder(100_000)
    auth = approve(issued, 10_000)
    record = present(auth, 13_000)  # captured 10_000, 3_000 queued
    clear()
    simulator.reverse(record)
    (line,) = clear().lines.all()
    assert line.outcome == Outcome.REVERSED
    assert [kind for kind, _legs in entries_of(line)] == ["reversal", "reversal"]
    assert balance_of(account.pk) == (100_000, 100_000)
    assert internal_balance("suspense") == 0
    assert ClearingException.objects.get().state == ClearingException.State.CLOSED
    # Reversing it again: nothing of ours to reverse, the money waits in suspense.
    simulator.reverse(record)
    (again,) = clear().lines.all()
    assert again.outcome == Outcome.QUEUED
    assert balance_of(account.pk) == (100_000, 100_000)


# --- Idempotence and rejection -----------------------------------------------------------------


def test_a_file_processed_twice_changes_nothing():
    account, issued = cardholder(100_000)
    present(approve(issued, 10_000))
    processed = clear()
    entries = JournalEntry.objects.count()
    again = clearing.file_receive(name="again.txt", content=processed.content)
    assert again.pk == processed.pk
    assert clearing.file_process(file_id=processed.pk).pk == processed.pk
    assert JournalEntry.objects.count() == entries
    assert balance_of(account.pk) == (90_000, 90_000)
    # The same records in another file (a new header): each line is a duplicate.
    parsed = clr.parse_file(processed.content)
    header = clr.ClearingHeader(
        business_day=parsed.header.business_day,
        created_at=parsed.header.created_at,
        file_sequence=parsed.header.file_sequence + 100,
        issuer_id=parsed.header.issuer_id,
    )
    other = clearing.file_receive(name="resent.txt", content=clr.write_file(header, parsed.items))
    assert other.pk != processed.pk and other.state == ClearingFile.State.PROCESSED
    assert [line.outcome for line in other.lines.all()] == [Outcome.DUPLICATE]
    assert JournalEntry.objects.count() == entries
    assert balance_of(account.pk) == (90_000, 90_000)


def test_a_bad_file_is_rejected_with_its_line_and_changes_nothing():
    account, issued = cardholder(100_000)
    first, second = approve(issued, 10_000), approve(issued, 5_000)
    present(first)
    present(second)
    simulator.file_write()
    content = CardnetFile.objects.get().content
    lines = content.split("\n")
    lines[2] = lines[2][:131] + "0" * 12 + lines[2][143:]  # line 3: a zero amount
    entries = JournalEntry.objects.count()
    rejected = clearing.file_receive(name="bad.txt", content="\n".join(lines))
    assert rejected.state == ClearingFile.State.REJECTED
    assert (rejected.error_line, rejected.error_field) == (3, "detail.amount")
    assert "zero" in rejected.error_message
    assert not ClearingLine.objects.exists()
    assert JournalEntry.objects.count() == entries
    assert balance_of(account.pk) == (100_000, 85_000)
    first.refresh_from_db()
    assert first.state == Authorization.State.APPROVED
    # Received again, the rejected file stays rejected; the good one is processed.
    assert clearing.file_receive(name="bad.txt", content="\n".join(lines)).pk == rejected.pk
    good = clearing.file_receive(name="good.txt", content=content)
    assert good.state == ClearingFile.State.PROCESSED
    assert balance_of(account.pk) == (85_000, 85_000)


# --- Net settlement ----------------------------------------------------------------------------


def test_the_days_net_is_settled_once_against_the_reserves():
    _account, issued = cardholder(100_000)
    record = present(approve(issued, 10_000))
    present(approve(issued, 5_000))
    simulator.refund(original=record, amount_cents=2_000, day=simulator.brasilia_today())
    processed = clear()
    assert processed.net == 13_000
    assert internal_balance("card_settlement") == 13_000
    reserves = internal_balance("reserves_bacen")
    settlement = clearing.clearing_settle(day=processed.business_day)
    assert (settlement.network_net, settlement.files_net, settlement.difference) == (
        13_000,
        13_000,
        0,
    )
    assert legs(settlement.entry_id) == {"reserves_bacen": 13_000, "card_settlement": -13_000}
    assert JournalEntry.objects.get(pk=settlement.entry_id).kind == "card_network_settlement"
    assert internal_balance("card_settlement") == 0
    assert internal_balance("reserves_bacen") == reserves + 13_000
    assert clearing.clearing_settle(day=processed.business_day) is None
    assert ClearingSettlement.objects.count() == 1
    assert not ClearingException.objects.exists()


def test_a_difference_with_the_network_goes_to_suspense_and_the_queue():
    _account, issued = cardholder(100_000)
    present(approve(issued, 10_000))
    processed = clear()
    # A file the network counts for the day that never reached us.
    present(approve(issued, 1_000))
    simulator.file_write(day=processed.business_day)
    settlement = clearing.clearing_settle(day=processed.business_day)
    assert settlement.difference == 1_000
    assert legs(settlement.entry_id) == {
        "reserves_bacen": 11_000,
        "card_settlement": -10_000,
        "suspense": -1_000,
    }
    exception = ClearingException.objects.get()
    assert (exception.reason, exception.amount) == (Reason.SETTLEMENT_DIFFERENCE, 1_000)


def test_the_tasks_fetch_and_settle_past_days():
    _account, issued = cardholder(100_000)
    present(approve(issued, 10_000))
    assert tasks.fetch_clearing_files_task() == 1
    assert tasks.fetch_clearing_files_task() == 0
    processed = ClearingFile.objects.get()
    assert clearing.clearing_settle_due(today=processed.business_day) == []
    (settled,) = clearing.clearing_settle_due(today=processed.business_day + dt.timedelta(days=1))
    assert settled.network_net == 10_000
    assert clearing.clearing_settle_due(today=processed.business_day + dt.timedelta(days=1)) == []


# --- The console -------------------------------------------------------------------------------


def test_the_consoles_show_cards_masked(admin_client: Client):
    _account, issued = cardholder(100_000)
    present(approve(issued, 10_000), 13_000)
    clear()
    exception = ClearingException.objects.get()
    pages = []
    for model in ("clearingfile", "clearingline", "clearingexception", "clearingsettlement"):
        pages.append(admin_client.get(reverse(f"admin:cards_{model}_changelist")))
    pages.append(
        admin_client.get(reverse("admin:cards_clearingexception_change", args=[exception.pk]))
    )
    pages.append(
        admin_client.get(
            reverse("admin:cards_clearingfile_change", args=[ClearingFile.objects.get().pk])
        )
    )
    for model in ("cardnetauthorization", "cardnetrecord", "cardnetfile"):
        pages.append(admin_client.get(reverse(f"admin:simulators_{model}_changelist")))
    for page in pages:
        assert page.status_code == 200
        assert issued.pan not in page.content.decode()
    response = admin_client.post(
        reverse("admin:cards_clearingexception_changelist"),
        {
            "action": "charge_customer",
            "_selected_action": [exception.pk],
            "apply": "1",
            "reason": "tip confirmed",
        },
    )
    assert response.status_code == 302
    exception.refresh_from_db()
    assert exception.state == ClearingException.State.CHARGED
