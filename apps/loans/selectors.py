"""Reads of loans for views, APIs and other apps.

The two calculators are pure functions of their inputs (apps.loans.pricing), no database,
nothing written; a refusal of the pricing package becomes the app's 422. Then a customer's
loans with their schedule as of a day (what each installment asks, the quotes to pay or
pay off), the credit model's card, and the portfolio figures of the back office.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from apps.accounts.models import Customer

from .errors import invalid_terms
from .models import Loan
from .pricing import (
    AmortizationSystem,
    Borrower,
    LateCharges,
    PricingError,
    Simulation,
    late_charges,
    simulate,
)
from .scoring import scorecard
from .scoring.reasons import REASON_TEXT


def loan_simulation(
    *,
    principal: Decimal,
    monthly_rate: Decimal,
    installments: int,
    system: AmortizationSystem | str,
    release_date: date,
    first_due_date: date,
    fees: Decimal,
    borrower: Borrower | str = Borrower.NATURAL_PERSON,
) -> Simulation:
    """The schedule, IOF, amount released and CET of a loan (apps.loans.pricing.simulate)."""
    terms = {
        "principal": principal,
        "monthly_rate": monthly_rate,
        "installments": installments,
        "system": system,
        "release_date": release_date,
        "first_due_date": first_due_date,
        "fees": fees,
        "borrower": borrower,
    }
    try:
        return simulate(**terms)
    except PricingError as error:
        raise invalid_terms(error, value=terms.get(error.field or "")) from None


def late_charges_due(*, amount: Decimal, monthly_rate: Decimal, days_late: int) -> LateCharges:
    """Interest, fine and default interest of an installment overdue `days_late` days."""
    terms = {"amount": amount, "monthly_rate": monthly_rate, "days_late": days_late}
    try:
        return late_charges(**terms)
    except PricingError as error:
        raise invalid_terms(error, value=terms.get(error.field or "")) from None


# --- Loans: reads for the portal, the API and the back office -------------------------------


@dataclass(frozen=True)
class InstallmentView:
    number: int
    due_date: date
    amount_cents: int
    interest_cents: int
    amortization_cents: int
    balance_cents: int
    paid_cents: int
    discount_cents: int
    late_paid_cents: int
    status: str  # paid | overdue | due_today | partial | open, or offer (not contracted)
    days_late: int
    late_interest_cents: int  # the late charges owed today (overdue only)
    fine_cents: int
    default_interest_cents: int
    owed_today_cents: int  # what paying it today costs (charges included, or discounted)


@dataclass(frozen=True)
class LoanView:
    loan: Loan
    installments: list[InstallmentView]
    reasons: list[str]  # the decision's top factors, in the reader's language
    due_today_cents: int  # overdue and due today, with charges
    payoff_cents: int  # everything, future installments discounted
    next_payment_cents: int  # what "pay installment" takes now
    principal_outstanding_cents: int
    open_future: int  # installments that may be prepaid


def loans_of_customer(*, customer: Customer) -> QuerySet[Loan]:
    return Loan.objects.filter(customer=customer).select_related("account")


def reason_texts(codes: list[str]) -> list[str]:
    """The decision's reasons, in the active language (stored as codes, never prose)."""
    return [str(REASON_TEXT.get(code, code)) for code in codes]


def loan_view(*, loan: Loan, today: date) -> LoanView:
    """A loan with its schedule as of `today`: what each installment asks, the quotes."""
    from .services import collections, contracts, risk

    if loan.principal_cents and loan.contract_number is None:
        return _offer_view(loan, contracts.schedule_of(loan))
    rows: list[InstallmentView] = []
    due_total = payoff = 0
    open_future = 0
    first_open: int | None = None
    for installment in loan.installments.order_by("number"):
        charge = (
            None
            if installment.paid_at
            else collections.charge_of(installment, loan=loan, today=today)
        )
        if installment.paid_at:
            status = "paid"
        elif installment.due_date < today:
            status = "overdue"
        elif installment.due_date == today:
            status = "due_today"
        elif installment.paid_cents:
            status = "partial"
        else:
            status = "open"
        owed = charge.total if charge else 0
        if charge is not None:
            payoff += owed
            if installment.due_date <= today:
                due_total += owed
            else:
                open_future += 1
            if first_open is None:
                first_open = owed
        rows.append(
            InstallmentView(
                number=installment.number,
                due_date=installment.due_date,
                amount_cents=installment.amount_cents,
                interest_cents=installment.interest_cents,
                amortization_cents=installment.amortization_cents,
                balance_cents=installment.balance_cents,
                paid_cents=installment.paid_cents,
                discount_cents=installment.discount_cents,
                late_paid_cents=installment.late_paid_cents,
                status=status,
                days_late=charge.days_late if charge else 0,
                late_interest_cents=charge.late_interest if charge else 0,
                fine_cents=charge.fine if charge else 0,
                default_interest_cents=charge.default_interest if charge else 0,
                owed_today_cents=owed,
            )
        )
    return LoanView(
        loan=loan,
        installments=rows,
        reasons=reason_texts(loan.reasons),
        due_today_cents=due_total,
        payoff_cents=payoff,
        next_payment_cents=due_total or (first_open or 0),
        principal_outstanding_cents=risk.principal_outstanding(loan) if loan.principal_cents else 0,
        open_future=open_future,
    )


def _offer_view(loan: Loan, schedule: list) -> LoanView:
    """An offer not yet contracted: its schedule as priced, nothing owed yet."""
    rows = [
        InstallmentView(
            number=row.number,
            due_date=row.due_date,
            amount_cents=row.amount_cents,
            interest_cents=row.interest_cents,
            amortization_cents=row.amortization_cents,
            balance_cents=row.balance_cents,
            paid_cents=0,
            discount_cents=0,
            late_paid_cents=0,
            status="offer",
            days_late=0,
            late_interest_cents=0,
            fine_cents=0,
            default_interest_cents=0,
            owed_today_cents=0,
        )
        for row in schedule
    ]
    return LoanView(
        loan=loan,
        installments=rows,
        reasons=reason_texts(loan.reasons),
        due_today_cents=0,
        payoff_cents=0,
        next_payment_cents=0,
        principal_outstanding_cents=0,
        open_future=0,
    )


def model_card(version: str = "") -> dict:
    """The credit model's version, data set and training metrics, as its file records them
    (shown to customers and staff)."""
    data = json.loads(
        scorecard.model_path(version or scorecard.DEFAULT_VERSION).read_text(encoding="utf-8")
    )
    return {
        "version": data["version"],
        "dataset": data.get("dataset", {}),
        "metrics": data.get("metrics", {}),
    }


def portfolio_summary(*, today: date) -> dict:
    """The back office's view: loans by state, outstanding principal and provision by
    risk level, and the arrears aging buckets."""
    from django.db.models import Count, Sum

    live = Loan.objects.filter(state__in=Loan.LIVE)
    by_level = list(
        live.values("provision_level")
        .annotate(count=Count("pk"), provision=Sum("provision_cents"))
        .order_by("provision_level")
    )
    buckets = [(0, 0), (1, 15), (16, 30), (31, 60), (61, 90), (91, 180), (181, 10**6)]
    aging = [
        {
            "from": low,
            "to": high,
            "count": live.filter(days_past_due__gte=low, days_past_due__lte=high).count(),
        }
        for low, high in buckets
    ]
    return {
        "by_state": list(
            Loan.objects.values("state").annotate(count=Count("pk")).order_by("state")
        ),
        "by_level": by_level,
        "aging": aging,
        "provision_cents": live.aggregate(total=Sum("provision_cents"))["total"] or 0,
    }


def model_versions() -> list[dict]:
    """Every model file on disk with its metrics, newest version first."""
    names = sorted(
        (path.stem for path in scorecard.MODEL_DIR.glob("v*.json")),
        key=lambda name: int(name[1:]) if name[1:].isdigit() else 0,
        reverse=True,
    )
    return [model_card(name) for name in names]


# --- The operations dashboard (apps.core.console; registered in loans/console.py) -----


def disbursed_between(*, start, end):
    """Loans whose money was released in [start, end): how many, principal."""
    from apps.core.console import tally

    return tally(
        Loan.objects.filter(disbursed_at__gte=start, disbursed_at__lt=end),
        amount="principal_cents",
    )


def payments_between(*, start, end):
    """Installment payments collected in [start, end)."""
    from apps.core.console import tally

    from .models import LoanPayment

    return tally(
        LoanPayment.objects.filter(created_at__gte=start, created_at__lt=end),
        amount="amount_cents",
    )


def applications_waiting_for_analyst():
    """Scored applications a credit analyst decides (policy or an LGPD review sent them)."""
    from apps.core.console import tally

    return tally(
        Loan.objects.filter(state=Loan.State.SCORED), amount="requested_cents", oldest="scored_at"
    )
