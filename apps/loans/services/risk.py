"""Credit risk of the running loans, refreshed every day: days past due, the risk level, the
provision for loss, and default.

The provision follows the days-past-due levels of CMN Res. 2.682 (art. 4 and 6): the
percentage of the principal still owed by the level of the oldest unpaid installment.
Res. 4.966 (in force from 2025) adds an expected-loss model on top for the accounting
standard; these levels stay the regulatory floor by delay, and are kept in a dated table so
a new rule is a new row, not an edit.

A loan more than 90 days past due is in default (Res. 4.966 art. 3: the "ativo
problemático" threshold), and stays so until paid off.

Each day the change of the loan's provision is one journal entry between internal accounts:

    loan_loss_provision  + increase (a contra-asset against loans_receivable)
    provision_expense    - increase
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from apps.accounts import services as accounts
from apps.core.fsm import apply_transition
from apps.core.timezones import brasilia_today

from ..models import Loan, LoanPayment

DEFAULT_AFTER_DAYS = 90


@dataclass(frozen=True)
class Level:
    code: str
    from_days: int  # the first day past due of the level
    percent: Decimal


# CMN Res. 2.682/1999, art. 4 (levels by days past due) and art. 6 (minimum provision).
PROVISION_TABLE: tuple[tuple[dt.date, tuple[Level, ...]], ...] = (
    (
        dt.date(2000, 3, 1),
        (
            Level("A", 0, Decimal("0.5")),
            Level("B", 15, Decimal("1")),
            Level("C", 31, Decimal("3")),
            Level("D", 61, Decimal("10")),
            Level("E", 91, Decimal("30")),
            Level("F", 121, Decimal("50")),
            Level("G", 151, Decimal("70")),
            Level("H", 181, Decimal("100")),
        ),
    ),
)


def level_for(days_past_due: int, *, on: dt.date) -> Level:
    levels = next(rows for start, rows in reversed(PROVISION_TABLE) if start <= on)
    return next(level for level in reversed(levels) if days_past_due >= level.from_days)


def principal_outstanding(loan: Loan) -> int:
    received = loan.payments.aggregate(total=Sum("principal_cents"))["total"] or 0
    return (loan.principal_cents or 0) - received


def days_past_due(loan: Loan, *, today: dt.date) -> int:
    oldest = (
        loan.installments.filter(paid_at__isnull=True, due_date__lt=today)
        .order_by("due_date")
        .values_list("due_date", flat=True)
        .first()
    )
    return (today - oldest).days if oldest else 0


def provision_for(outstanding: int, level: Level) -> int:
    exact = Decimal(outstanding) * level.percent / 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@transaction.atomic
def loan_refresh_risk(*, loan_id: int, now: dt.datetime | None = None) -> Loan:
    """Days past due, level and provision of one loan today; default past 90 days."""
    now = now or timezone.now()
    today = brasilia_today(now)
    loan = Loan.objects.select_for_update(of=("self",)).get(pk=loan_id)
    if loan.state == Loan.State.PAID_OFF:
        target, dpd, level_code = 0, 0, ""
    elif loan.state in Loan.LIVE:
        dpd = days_past_due(loan, today=today)
        level = level_for(dpd, on=today)
        level_code = level.code
        target = provision_for(principal_outstanding(loan), level)
    else:
        return loan
    change = target - loan.provision_cents
    if change:
        accounts.post_entry(
            kind="loan_provision",
            legs=[
                accounts.Leg(accounts.internal_account_id("loan_loss_provision"), change),
                accounts.Leg(accounts.internal_account_id("provision_expense"), -change),
            ],
            description=f"Provision {loan.contract_number} level {level_code or '-'}",
            reference_type="loan",
            reference_id=loan.pk,
            metadata={"loan": str(loan.public_id), "level": level_code, "day": today.isoformat()},
        )
    loan.days_past_due = dpd
    loan.provision_level = level_code
    loan.provision_cents = target
    if loan.state == Loan.State.IN_ARREARS and dpd > DEFAULT_AFTER_DAYS:
        apply_transition(loan, "default", by="system", reason=f"{dpd} days past due")
    else:
        loan._change_reason = "risk refreshed"
        loan.save(update_fields=["days_past_due", "provision_level", "provision_cents"])
    return loan


def loans_to_refresh() -> list[int]:
    """Running loans, and paid-off ones still carrying a provision to release."""
    return list(Loan.objects.filter(state__in=Loan.LIVE).values_list("pk", flat=True)) + list(
        Loan.objects.filter(state=Loan.State.PAID_OFF, provision_cents__gt=0).values_list(
            "pk", flat=True
        )
    )


def collection_shortfalls(loan: Loan) -> int:
    return LoanPayment.objects.filter(loan=loan, kind="collection", short_cents__gt=0).count()
