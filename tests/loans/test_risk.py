"""Days past due, provision levels (CMN Res. 2.682) with their ledger entries, default."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.accounts import services as accounts
from apps.loans import selectors, services
from apps.loans.models import Loan
from apps.loans.services.risk import level_for
from tests.support.loans import borrower, contracted_loan

pytestmark = pytest.mark.django_db

BRT = dt.timezone(dt.timedelta(hours=-3))
RELEASE = dt.datetime(2026, 1, 15, 12, 0, tzinfo=BRT)
FIRST_DUE = dt.datetime(2026, 2, 15, 8, 0, tzinfo=BRT)


@pytest.mark.parametrize(
    ("days", "code"),
    [(0, "A"), (14, "A"), (15, "B"), (30, "B"), (31, "C"), (61, "D"), (91, "E"), (121, "F"),
     (151, "G"), (180, "G"), (181, "H"), (999, "H")],
)  # fmt: skip
def test_levels_by_days_past_due(days, code):
    assert level_for(days, on=dt.date(2026, 12, 7)).code == code


def _unpaid_loan() -> Loan:
    _, account = borrower()
    loan = contracted_loan(account, now=RELEASE)
    accounts.book_transfer(
        source_id=account.pk,
        destination_id=accounts.internal_account_id("suspense"),
        amount_cents=loan.released_cents,
    )
    services.loan_collect(loan_id=loan.pk, now=FIRST_DUE)
    return loan


def _provision_account() -> int:
    from apps.accounts.models import Account

    return Account.objects.with_balances().get(code="loan_loss_provision").total_balance


def test_a_new_loan_is_level_a_with_half_a_percent():
    _, account = borrower()
    loan = contracted_loan(account, now=RELEASE)
    before = _provision_account()
    loan = services.loan_refresh_risk(loan_id=loan.pk, now=RELEASE)
    assert (loan.days_past_due, loan.provision_level, loan.provision_cents) == (0, "A", 5_000)
    assert _provision_account() - before == 5_000
    # Run again the same day: nothing more is posted.
    services.loan_refresh_risk(loan_id=loan.pk, now=RELEASE)
    assert _provision_account() - before == 5_000


def test_arrears_move_the_level_and_default_comes_after_90_days():
    loan = _unpaid_loan()
    loan = services.loan_refresh_risk(loan_id=loan.pk, now=FIRST_DUE + dt.timedelta(days=20))
    assert (loan.days_past_due, loan.provision_level, loan.provision_cents) == (20, "B", 10_000)
    assert loan.state == Loan.State.IN_ARREARS
    loan = services.loan_refresh_risk(loan_id=loan.pk, now=FIRST_DUE + dt.timedelta(days=91))
    assert (loan.provision_level, loan.state) == ("E", Loan.State.DEFAULTED)
    assert loan.provision_cents == 300_000
    summary = selectors.portfolio_summary(today=(FIRST_DUE + dt.timedelta(days=91)).date())
    assert any(b["from"] == 91 and b["count"] >= 1 for b in summary["aging"])


def test_a_paid_off_loan_releases_its_provision():
    _, account = borrower(balance_cents=200_000)
    loan = contracted_loan(account, now=RELEASE)
    services.loan_refresh_risk(loan_id=loan.pk, now=RELEASE)
    before = _provision_account()
    services.loan_payoff(customer=loan.customer, loan_id=loan.public_id, now=RELEASE)
    assert loan.pk in services.loans_to_refresh()
    loan = services.loan_refresh_risk(loan_id=loan.pk, now=RELEASE)
    assert loan.provision_cents == 0
    assert _provision_account() - before == -5_000
