"""Contract, disbursement through the ledger, collections on due dates (partial when the
balance is short, once per day), late charges, payments, prepayment and payoff."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections

from apps.accounts import services as accounts
from apps.accounts.models import JournalEntry, Posting
from apps.core.models import StateTransitionLog
from apps.loans import selectors, services, tasks
from apps.loans.models import Loan, LoanPayment
from tests.factories.ledger import balance_of
from tests.support.loans import borrower, contracted_loan

pytestmark = pytest.mark.django_db

BRT = dt.timezone(dt.timedelta(hours=-3))
RELEASE = dt.datetime(2026, 1, 15, 12, 0, tzinfo=BRT)
FIRST_DUE = dt.datetime(2026, 2, 15, 8, 0, tzinfo=BRT)


def _internal(code: str, loan: Loan) -> int:
    """What this loan's entries moved on an internal account."""
    return sum(
        Posting.objects.filter(
            account_id=accounts.internal_account_id(code),
            entry__reference_type="loan",
            entry__reference_id=str(loan.pk),
        ).values_list("amount", flat=True)
    )


def _loan(balance_cents: int = 0, **terms) -> Loan:
    _, account = borrower(balance_cents=balance_cents)
    return contracted_loan(account, now=RELEASE, **terms)


def test_contract_disburses_through_the_ledger_with_the_iof_withheld():
    loan = _loan()
    assert loan.state == Loan.State.ACTIVE
    assert loan.contract_number.startswith("CCB2026")
    # The worked example of the simulation API (PRICE, 10.000,00 at 2.5% in 12).
    assert (loan.principal_cents, loan.iof_cents, loan.released_cents) == (
        1_000_000,
        20_682,
        979_318,
    )
    assert str(loan.cet_annual_percent) == "40.26"
    assert balance_of(loan.account_id)[0] == 979_318
    assert _internal("loans_receivable", loan) == -1_000_000
    assert _internal("iof_payable", loan) == 20_682
    rows = list(loan.installments.order_by("number"))
    assert [r.amount_cents for r in rows] == [97_487] * 11 + [97_490]
    assert rows[0].due_date == dt.date(2026, 2, 15)
    assert sum(r.amortization_cents for r in rows) == 1_000_000
    names = list(
        StateTransitionLog.objects.filter(
            object_id=str(loan.pk), content_type__model="loan"
        ).values_list("transition", flat=True)
    )
    assert names[-3:] == ["contract", "disburse", "activate"]
    assert loan.history.count() >= 3


def test_a_collection_with_enough_balance_pays_the_installment_interest_first():
    loan = _loan(balance_cents=200_000)
    payment = services.loan_collect(loan_id=loan.pk, now=FIRST_DUE)
    assert (payment.amount_cents, payment.short_cents) == (97_487, 0)
    assert (payment.interest_cents, payment.principal_cents) == (25_000, 72_487)
    loan.refresh_from_db()
    assert loan.state == Loan.State.ACTIVE
    assert loan.installments.get(number=1).paid_at is not None
    assert _internal("interest_revenue", loan) == 25_000
    assert _internal("loans_receivable", loan) == -1_000_000 + 72_487
    entry = JournalEntry.objects.get(pk=payment.entry_id)
    assert entry.kind == "loan_collection"


def test_a_short_balance_is_collected_in_part_and_the_rest_is_in_arrears():
    loan = _loan(balance_cents=0)
    # The customer spent the loan but R$ 500,00.
    accounts.book_transfer(
        source_id=loan.account_id,
        destination_id=accounts.internal_account_id("suspense"),
        amount_cents=979_318 - 50_000,
    )
    payment = services.loan_collect(loan_id=loan.pk, now=FIRST_DUE)
    assert (payment.amount_cents, payment.short_cents) == (50_000, 47_487)
    assert (payment.interest_cents, payment.principal_cents) == (25_000, 25_000)
    assert balance_of(loan.account_id)[0] == 0
    loan.refresh_from_db()
    assert loan.state == Loan.State.IN_ARREARS
    first = loan.installments.get(number=1)
    assert (first.paid_cents, first.paid_at) == (50_000, None)


def test_late_charges_accrue_on_what_is_overdue_and_are_paid_first():
    loan = _loan(balance_cents=0)
    accounts.book_transfer(
        source_id=loan.account_id,
        destination_id=accounts.internal_account_id("suspense"),
        amount_cents=979_318,
    )
    assert services.loan_collect(loan_id=loan.pk, now=FIRST_DUE).short_cents == 97_487
    fifteen_days_late = FIRST_DUE + dt.timedelta(days=15)
    view = selectors.loan_view(loan=loan, today=fifteen_days_late.date())
    first = view.installments[0]
    # CMN Res. 4.882 on 974.87 at 2.5% for 15 days: the fixed late-charges API's example.
    assert first.status == "overdue" and first.days_late == 15
    assert (first.late_interest_cents, first.fine_cents, first.default_interest_cents) == (
        1_211,
        1_950,
        487,
    )
    assert first.owed_today_cents == 97_487 + 3_648
    accounts.deposit(account_id=loan.account_id, amount_cents=200_000, description="salary")
    payment = services.loan_collect(loan_id=loan.pk, now=fifteen_days_late)
    assert payment.amount_cents == 97_487 + 3_648
    assert (payment.late_interest_cents, payment.fine_cents, payment.default_interest_cents) == (
        1_211,
        1_950,
        487,
    )
    loan.refresh_from_db()
    assert loan.state == Loan.State.ACTIVE
    assert _internal("fee_revenue", loan) == 1_950
    assert _internal("interest_revenue", loan) == 25_000 + 1_211 + 487


def test_the_collection_task_run_twice_on_a_day_collects_once():
    loan = _loan(balance_cents=300_000)
    with time_machine.travel(FIRST_DUE, tick=False):
        assert tasks.collect_due_installments_task.apply().get() == 1
        assert tasks.collect_due_installments_task.apply().get() == 0
        assert services.loan_collect(loan_id=loan.pk, now=FIRST_DUE) is None
    assert LoanPayment.objects.filter(loan=loan, kind="collection").count() == 1
    assert balance_of(loan.account_id)[0] == 979_318 + 300_000 - 97_487


@pytest.mark.django_db(transaction=True)
def test_two_workers_collecting_the_same_loan_at_once_collect_once():
    loan = _loan(balance_cents=300_000)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            services.loan_collect(loan_id=loan.pk, now=FIRST_DUE)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(-p.amount), 0) FROM accounts_posting p "
            "JOIN accounts_journalentry e ON e.id = p.entry_id "
            "WHERE e.kind = 'loan_collection' AND p.account_id = %s",
            [loan.account_id],
        )
        assert cursor.fetchone() == (1, 97_487)


def test_paying_the_next_installment_early_gets_the_discount():
    loan = _loan(balance_cents=0)
    ten_days_before = FIRST_DUE - dt.timedelta(days=10)
    payment = services.loan_pay_installment(
        customer=loan.customer, loan_id=loan.public_id, now=ten_days_before
    )
    assert payment.installments == [1]
    assert 0 < payment.discount_cents < 97_487
    assert payment.amount_cents == 97_487 - payment.discount_cents
    assert payment.principal_cents == 72_487  # the amortization is recovered whole


def test_prepaying_the_last_installments_discounts_their_future_interest():
    loan = _loan(balance_cents=0)
    payment = services.loan_prepay(
        customer=loan.customer, loan_id=loan.public_id, installments=2, now=RELEASE
    )
    assert payment.installments == [11, 12]
    rows = loan.installments.filter(number__in=[11, 12])
    assert payment.principal_cents == sum(r.amortization_cents for r in rows)
    assert payment.amount_cents + payment.discount_cents == 97_487 + 97_490
    assert payment.discount_cents > sum(r.interest_cents for r in rows)  # beyond their interest
    assert loan.installments.filter(paid_at__isnull=True).count() == 10


def test_payoff_pays_everything_with_the_discount_and_closes_the_receivable():
    loan = _loan(balance_cents=100_000)
    services.loan_collect(loan_id=loan.pk, now=FIRST_DUE)
    day = FIRST_DUE + dt.timedelta(days=5)
    quote = selectors.loan_view(loan=loan, today=day.date()).payoff_cents
    payment = services.loan_payoff(customer=loan.customer, loan_id=loan.public_id, now=day)
    assert payment.amount_cents == quote
    loan.refresh_from_db()
    assert loan.state == Loan.State.PAID_OFF
    assert _internal("loans_receivable", loan) == 0
    # What the customer paid is principal plus interest net of the discounts, to the centavo.
    paid = sum(loan.payments.values_list("amount_cents", flat=True))
    assert paid == 1_000_000 + _internal("interest_revenue", loan)


def test_a_payoff_on_the_release_day_costs_the_principal_give_or_take_roundings():
    loan = _loan(balance_cents=0)
    accounts.deposit(account_id=loan.account_id, amount_cents=100_000, description="extra")
    quote = selectors.loan_view(loan=loan, today=RELEASE.date()).payoff_cents
    assert abs(quote - 1_000_000) <= 12  # one centavo of rounding per installment at most


def test_another_customers_loan_is_not_found():
    loan = _loan(balance_cents=0)
    stranger, _ = borrower(name="Outro Cliente Silva")
    with pytest.raises(services.applications.LoanNotFound):
        services.loan_payoff(customer=stranger, loan_id=loan.public_id, now=RELEASE)
    with pytest.raises(services.applications.LoanNotFound):
        services.loan_payoff(customer=stranger, loan_id="not-a-uuid", now=RELEASE)


def test_a_payment_the_balance_cannot_cover_changes_nothing():
    loan = _loan(balance_cents=0)
    accounts.book_transfer(
        source_id=loan.account_id,
        destination_id=accounts.internal_account_id("suspense"),
        amount_cents=979_318,
    )
    with pytest.raises(Exception) as refused:
        services.loan_payoff(customer=loan.customer, loan_id=loan.public_id, now=FIRST_DUE)
    assert getattr(refused.value, "status_code", 500) < 500
    assert not LoanPayment.objects.filter(loan=loan).exists()
    assert loan.installments.filter(paid_at__isnull=False).count() == 0
