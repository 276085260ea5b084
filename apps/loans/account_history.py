"""What our own books say about an applicant: the account-history features of the score.

Read at the moment of scoring and stored with the decision (`Loan.features`), so the same
application scored again gives the same score, and a reviewer sees what the model saw.

* income inflows: money that arrived from outside (Pix, TED, boletos received, deposits) in
  the last 90 days, per month. Transfers between the customer's own accounts and our own
  loan disbursements are not income.
* balance: the end-of-day balance of each of the last 90 days (Brasilia days), from today's
  balance walked back through each day's postings; its mean, minimum and coefficient of
  variation (volatility).
* returned payments: in 12 months, payments of theirs that came back (a TED returned, a Pix
  the SPI rejected) and loan collections of ours that fell short.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from apps.accounts.models import Account, Posting
from apps.core.timezones import BRASILIA, brasilia_today

WINDOW_DAYS = 90
RETURNS_DAYS = 365
# Credits from outside the customer's own money: what an income looks like on a statement.
INCOME_KINDS = ("pix_in", "ted_in", "boleto_received", "deposit", "cash_deposit")
RETURN_KINDS = ("ted_return", "pix_return")


@dataclass(frozen=True)
class AccountHistory:
    average_balance_cents: int
    minimum_balance_cents: int
    monthly_inflow_cents: int
    balance_volatility: Decimal  # standard deviation over mean of the daily balances, 4 places
    returned_payments: int
    account_age_days: int


def _daily_balances(account: Account, today: dt.date, balance_now: int) -> list[int]:
    """End-of-day balances of the last WINDOW_DAYS days, oldest first (days before the
    account opened are left out)."""
    since = dt.datetime.combine(
        today - dt.timedelta(days=WINDOW_DAYS - 1), dt.time.min, tzinfo=BRASILIA
    )
    moved = dict(
        Posting.objects.filter(account_id=account.pk, created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=BRASILIA))
        .values("day")
        .annotate(total=Sum("amount"))
        .values_list("day", "total")
    )
    opened = account.created_at.astimezone(BRASILIA).date()
    balances = []
    balance = balance_now
    for back in range(WINDOW_DAYS):
        day = today - dt.timedelta(days=back)
        if day < opened:
            break
        balances.append(balance)  # the balance at the end of `day`
        balance -= moved.get(day, 0)
    balances.reverse()
    return balances


def _volatility(balances: list[int]) -> Decimal:
    """Coefficient of variation in Decimal (a score input: no float may decide it)."""
    if len(balances) < 2:
        return Decimal("0.0000")
    count = Decimal(len(balances))
    mean = sum(Decimal(b) for b in balances) / count
    if mean <= 0:
        # A balance that averages zero or below is as volatile as the scale allows.
        return Decimal("9.9999")
    variance = sum((Decimal(b) - mean) ** 2 for b in balances) / count
    return min(variance.sqrt() / mean, Decimal("9.9999")).quantize(Decimal("0.0001"))


def account_history(*, account: Account, now: dt.datetime, shortfalls: int = 0) -> AccountHistory:
    """The account-history features of `account` as of `now` (see the module);
    `shortfalls` adds the loan collections of ours that fell short (the loans app knows)."""
    today = brasilia_today(now)
    balance_now = Account.objects.with_balances().get(pk=account.pk).total_balance
    balances = _daily_balances(account, today, balance_now)
    since = now - dt.timedelta(days=WINDOW_DAYS)
    counts = Posting.objects.filter(account_id=account.pk).aggregate(
        inflow=Sum("amount", filter=Q(kind__in=INCOME_KINDS, amount__gt=0, created_at__gte=since)),
        returns=Count(
            "id",
            filter=Q(kind__in=RETURN_KINDS, created_at__gte=now - dt.timedelta(days=RETURNS_DAYS)),
        ),
    )
    months = Decimal(WINDOW_DAYS) / Decimal(30)
    inflow = Decimal(counts["inflow"] or 0) / months
    age_days = (today - account.created_at.astimezone(BRASILIA).date()).days
    return AccountHistory(
        average_balance_cents=(sum(balances) // len(balances) if balances else balance_now),
        minimum_balance_cents=min(balances) if balances else balance_now,
        monthly_inflow_cents=int(inflow.to_integral_value()),
        balance_volatility=_volatility(balances),
        returned_payments=(counts["returns"] or 0) + shortfalls,
        account_age_days=max(age_days, 0),
    )
