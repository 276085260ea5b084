"""The ledger's rules, checked through the service and, where it matters, around it."""

import pytest
from django.db import IntegrityError, connection, transaction

from apps.accounts import ledger, services
from apps.accounts.ledger import Leg
from apps.accounts.models import Account, Hold, JournalEntry, Posting
from apps.accounts.reconciliation import reconcile
from apps.core.errors import Conflict, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.models import OutboxMessage
from tests.factories.ledger import balance_of, funded_account
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


def test_book_transfer_moves_money_and_records_balanced_postings():
    payer, payee = funded_account(10_000), funded_account()
    entry_id = services.book_transfer(
        source_id=payer.pk, destination_id=payee.pk, amount_cents=2_550, description="rent"
    )
    assert balance_of(payer.pk) == (7_450, 7_450)
    assert balance_of(payee.pk) == (2_550, 2_550)
    postings = {p.account_id: p for p in Posting.objects.filter(entry_id=entry_id)}
    assert postings[payer.pk].amount == -2_550
    assert postings[payee.pk].amount == 2_550
    entry = JournalEntry.objects.get(pk=entry_id)
    assert entry.kind == "book_transfer" and entry.description == "rent"
    message = OutboxMessage.objects.get(topic="ledger.balance_changed", payload__entry_id=entry_id)
    assert sorted(message.payload["accounts"]) == sorted([payer.pk, payee.pk])
    assert reconcile().ok


def test_insufficient_funds_is_refused_and_changes_nothing():
    payer, payee = funded_account(1_000), funded_account()
    entries = JournalEntry.objects.count()
    with pytest.raises(ledger.InsufficientFunds), transaction.atomic():
        services.book_transfer(source_id=payer.pk, destination_id=payee.pk, amount_cents=1_001)
    assert balance_of(payer.pk) == (1_000, 1_000)
    assert JournalEntry.objects.count() == entries


def test_overdraft_limit_is_honoured():
    payer, payee = funded_account(1_000, overdraft_limit=500), funded_account()
    services.book_transfer(source_id=payer.pk, destination_id=payee.pk, amount_cents=1_500)
    assert balance_of(payer.pk) == (-500, -500)
    with pytest.raises(ledger.InsufficientFunds), transaction.atomic():
        services.book_transfer(source_id=payer.pk, destination_id=payee.pk, amount_cents=1)


@pytest.mark.parametrize(
    ("transition", "payer_can_send", "payee_can_receive"),
    [("block_debit", False, True), ("block", False, False), ("close", None, False)],
)
def test_account_states_govern_debits_and_credits(transition, payer_can_send, payee_can_receive):
    account, other = funded_account(1_000), funded_account(1_000)
    if transition == "close":
        services.book_transfer(source_id=account.pk, destination_id=other.pk, amount_cents=1_000)
        account.refresh_from_db()
    apply_transition(account, transition, by="test")
    if payer_can_send is not None:
        if payer_can_send:
            services.book_transfer(source_id=account.pk, destination_id=other.pk, amount_cents=1)
        else:
            with pytest.raises(ledger.AccountUnavailable), transaction.atomic():
                services.book_transfer(
                    source_id=account.pk, destination_id=other.pk, amount_cents=1
                )
    if payee_can_receive:
        services.book_transfer(source_id=other.pk, destination_id=account.pk, amount_cents=1)
    else:
        with pytest.raises(ledger.AccountUnavailable), transaction.atomic():
            services.book_transfer(source_id=other.pk, destination_id=account.pk, amount_cents=1)


@pytest.mark.parametrize("amount", [0, -5])
def test_non_positive_amount_is_refused(amount):
    payer, payee = funded_account(1_000), funded_account()
    with pytest.raises(ValidationFailed):
        services.book_transfer(source_id=payer.pk, destination_id=payee.pk, amount_cents=amount)


def test_self_transfer_and_unknown_account_are_refused():
    payer = funded_account(1_000)
    with pytest.raises(ValidationFailed):
        services.book_transfer(source_id=payer.pk, destination_id=payer.pk, amount_cents=1)
    with pytest.raises(ledger.UnknownAccount), transaction.atomic():
        services.book_transfer(source_id=payer.pk, destination_id=10**12, amount_cents=1)


def test_malformed_entries_are_refused_by_the_function():
    a, b = funded_account(1_000), funded_account()
    for legs in (
        [Leg(a.pk, -1)],
        [Leg(a.pk, -1), Leg(b.pk, 2)],
        [Leg(a.pk, 0), Leg(b.pk, 0)],
        [Leg(a.pk, -1), Leg(a.pk, 1)],
    ):
        with pytest.raises(ValidationFailed), transaction.atomic():
            ledger.post_entry(kind="test", legs=legs)


def test_internal_accounts_take_movements_in_shards_and_reconcile():
    reserves = services.internal_account("reserves_bacen")
    accounts = [funded_account(100) for _ in range(5)]
    reserves.refresh_from_db()
    assert reserves.balance == 0, "the internal account row itself is never updated"
    assert reserves.total_balance == -500
    assert all(a.total_balance == 100 for a in accounts)
    assert reconcile().ok


def test_holds_reduce_available_not_balance_and_capture_posts():
    account, merchant = funded_account(10_000), funded_account()
    hold = services.hold_place(account_id=account.pk, amount_cents=4_000, reason="card auth")
    assert balance_of(account.pk) == (10_000, 6_000)
    with pytest.raises(ledger.InsufficientFunds), transaction.atomic():
        services.book_transfer(source_id=account.pk, destination_id=merchant.pk, amount_cents=6_001)
    with pytest.raises(ledger.InsufficientFunds), transaction.atomic():
        services.hold_place(account_id=account.pk, amount_cents=6_001, reason="too much")
    services.hold_capture(
        hold_id=hold.pk, amount_cents=3_500, counterpart_id=merchant.pk, kind="card_purchase"
    )
    assert balance_of(account.pk) == (6_500, 6_500)
    assert balance_of(merchant.pk) == (3_500, 3_500)
    hold.refresh_from_db()
    assert hold.state == "captured" and hold.captured_amount == 3_500
    with pytest.raises(Conflict):
        services.hold_release(hold_id=hold.pk)
    assert reconcile().ok


def test_holds_expire():
    from datetime import timedelta

    from django.utils import timezone

    account = funded_account(1_000)
    past = timezone.now() - timedelta(minutes=1)
    services.hold_place(account_id=account.pk, amount_cents=700, reason="block", expires_at=past)
    services.hold_place(
        account_id=account.pk,
        amount_cents=200,
        reason="later",
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert balance_of(account.pk) == (1_000, 100)
    assert services.holds_expire_due() == 1
    assert balance_of(account.pk) == (1_000, 800)


def test_reversal_mirrors_the_entry_once():
    payer, payee = funded_account(5_000), funded_account()
    entry_id = services.book_transfer(
        source_id=payer.pk, destination_id=payee.pk, amount_cents=2_000
    )
    reversal_id = services.entry_reverse(entry_id=entry_id, reason="sent by mistake")
    assert balance_of(payer.pk) == (5_000, 5_000)
    assert balance_of(payee.pk) == (0, 0)
    assert JournalEntry.objects.get(pk=reversal_id).reverses_id == entry_id
    with pytest.raises(Conflict):
        services.entry_reverse(entry_id=entry_id, reason="again")
    assert reconcile().ok


def test_four_eyes_above_ten_thousand_reais(django_user_model):
    from apps.core.errors import Forbidden
    from tests.factories.users import UserFactory

    first, second = UserFactory(), UserFactory()
    payer, payee = funded_account(3_000_000), funded_account()
    small = services.book_transfer(
        source_id=payer.pk, destination_id=payee.pk, amount_cents=1_000_000
    )
    request = services.reversal_request(entry_id=small, reason="duplicate", actor=first)
    assert request.state == "executed", "R$ 10.000,00 or less needs no second operator"
    big = services.book_transfer(
        source_id=payer.pk, destination_id=payee.pk, amount_cents=1_000_001
    )
    request = services.reversal_request(entry_id=big, reason="fraud", actor=first)
    assert request.state == "pending"
    assert balance_of(payee.pk)[0] == 1_000_001
    with pytest.raises(Forbidden):
        services.reversal_approve(request_id=request.pk, actor=first)
    services.reversal_approve(request_id=request.pk, actor=second)
    request.refresh_from_db()
    assert request.state == "executed" and request.decided_by == second
    assert balance_of(payee.pk)[0] == 0


# --- The database refuses what breaks the ledger, even around the Python layer --------


def _raw(sql, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_database_refuses_an_unbalanced_entry():
    a, b = funded_account(1_000), funded_account()
    with pytest.raises(IntegrityError, match="unbalanced"):
        _raw(
            """WITH e AS (INSERT INTO accounts_journalentry (kind, description, reference_type,
                   reference_id, metadata, created_at) VALUES ('raw','','','','{}',now())
                   RETURNING id)
               INSERT INTO accounts_posting (entry_id, account_id, amount, kind, created_at)
               SELECT e.id, x.a, x.m, 'raw', now() FROM e,
                 (VALUES (%s::bigint, -100::bigint), (%s::bigint, 99::bigint)) AS x(a, m)""",
            [a.pk, b.pk],
        )


def test_database_refuses_an_entry_with_one_posting():
    a = funded_account(1_000)
    with pytest.raises(IntegrityError):
        _raw(
            """WITH e AS (INSERT INTO accounts_journalentry (kind, description, reference_type,
                   reference_id, metadata, created_at) VALUES ('raw','','','','{}',now())
                   RETURNING id)
               INSERT INTO accounts_journalentry (kind, description, reference_type,
                   reference_id, metadata, created_at)
               SELECT 'raw2','','','','{}',now() FROM e""",
        )
    assert a.pk


def test_database_refuses_updating_or_deleting_postings_and_entries():
    payer, payee = funded_account(1_000), funded_account()
    services.book_transfer(source_id=payer.pk, destination_id=payee.pk, amount_cents=10)
    for sql in (
        "UPDATE accounts_posting SET amount = amount + 1",
        "DELETE FROM accounts_posting",
        "UPDATE accounts_journalentry SET description = 'x'",
        f"DELETE FROM accounts_account WHERE id = {payee.pk}",
    ):
        with pytest.raises(IntegrityError, match="append-only"):
            _raw(sql)


def test_database_refuses_a_negative_balance():
    account = funded_account(1_000)
    with pytest.raises(IntegrityError, match="account_balance_within_overdraft"):
        _raw("UPDATE accounts_account SET balance = -1 WHERE id = %s", [account.pk])
    with pytest.raises(IntegrityError, match="account_balance_within_overdraft"):
        _raw("UPDATE accounts_account SET held = 1001 WHERE id = %s", [account.pk])
    assert Account.objects.get(pk=account.pk).total_balance == 1_000


def test_reconciliation_alerts_on_a_difference():
    from apps.accounts.models import LedgerAlert

    account = funded_account(1_000)
    # Break the cache behind the ledger's back (the CHECK allows a higher balance).
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_account SET balance = balance + 7 WHERE id = %s", [account.pk]
        )
    run = reconcile()
    assert not run.ok
    assert run.mismatches == [
        {"account_id": account.pk, "cached": 1_007, "derived": 1_000, "difference": 7}
    ]
    alert = LedgerAlert.objects.get(run=run)
    assert alert.state == "open" and "1 balance difference" in alert.message


def test_reconcile_command(capsys):
    from django.core.management import call_command

    funded_account(500)
    call_command("reconcile_ledger")
    assert "ledger reconciled" in capsys.readouterr().out


def test_a_hold_is_placed_in_one_call_with_its_first_history_row():
    """athena_hold_place writes the hold and the row django-simple-history would have
    written (created, by the actor), and a refusal writes nothing."""
    operator_user = UserFactory(is_staff=True)
    account = funded_account(5_000)
    hold = services.hold_place(
        account_id=account.pk, amount_cents=1_200, reason="cautionary", actor=operator_user
    )
    history = list(hold.history.all())
    assert [(h.history_type, h.state, h.amount) for h in history] == [("+", "active", 1_200)]
    assert history[0].history_user_id == operator_user.pk
    assert hold.reason == "cautionary" and hold.created_at is not None
    before = Hold.objects.count(), Hold.history.model.objects.count()
    with pytest.raises(ledger.InsufficientFunds), transaction.atomic():
        services.hold_place(account_id=account.pk, amount_cents=3_801, reason="too much")
    with pytest.raises(ledger.UnknownAccount), transaction.atomic():
        services.hold_place(
            account_id=services.internal_account_id("reserves_bacen"), amount_cents=1, reason="x"
        )
    assert (Hold.objects.count(), Hold.history.model.objects.count()) == before
    assert balance_of(account.pk) == (5_000, 3_800)
