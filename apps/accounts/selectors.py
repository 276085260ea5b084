"""Reads of the accounts domain for views, APIs and other apps."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.console import Tally, tally
from apps.core.errors import NotFound

from . import ledger_lines, money_gate
from .models import Account, Customer


def balance_group(user_id: int) -> str:
    """The channels group of one user's portal sessions (balances and payment news)."""
    return f"balances.user.{user_id}"


def customer_of_user(*, user) -> Customer | None:
    """The customer behind a signed-in user, or None (anonymous, staff, or not registered)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Customer.objects.filter(user_id=user.pk).first()


def accounts_of_user(*, user) -> QuerySet[Account]:
    return (
        Account.objects.with_balances()
        .filter(kind=Account.Kind.CUSTOMER, customer__user=user)
        .order_by("pk")
    )


def account_of_user(*, user, account_id: int) -> Account:
    """The caller's own account, or 404: another customer's account does not exist for them.

    One query, with its customer: the money-moving endpoints need the owner and never the
    balance, which `total_balance` reads on demand (lists use `accounts_of_user`)."""
    account = (
        Account.objects.select_related("customer")
        .filter(kind=Account.Kind.CUSTOMER, customer__user=user, pk=account_id)
        .first()
    )
    if account is None:
        raise NotFound(_("Account not found."))
    return account


def account_exists_for_credit(*, account_id: int) -> bool:
    return Account.objects.filter(pk=account_id, kind=Account.Kind.CUSTOMER).exists()


# === ONBOARD: reads other apps ask for (privacy) ===========================================


def customer_account_ids(*, customer_id: int) -> list[int]:
    """The ids of the customer's payment accounts, closed ones included, oldest first."""
    return list(
        Account.objects.filter(customer_id=customer_id, kind=Account.Kind.CUSTOMER)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Limits, feature levels and ledger lines, for other apps (helper GATE) --------------

KYC_LIMITS = money_gate.KYC_LIMITS
PRODUCT_KINDS = money_gate.PRODUCT_KINDS
FEATURE_LEVELS = money_gate.FEATURE_LEVELS
FEATURE_NAMES = money_gate.FEATURE_NAMES
level_required = money_gate.level_required
has_feature = money_gate.has_feature
require_level = money_gate.require_level  # raises errors.FeatureLocked
limit_period_starts = money_gate.period_starts
LedgerLine = ledger_lines.LedgerLine
RenderedLine = ledger_lines.RenderedLine
kind_label = ledger_lines.kind_label
render_ledger_lines = ledger_lines.render_lines  # [LedgerLine] -> [RenderedLine], active language


def product_refusal(*, customer: Customer, product: str) -> str | None:
    """Why the customer may not use the product (its KYC level, or a condition its app
    registered, such as loans for natural persons only), in the reader's language; None
    when they may. Products: the money gate's (`money_gate.PRODUCTS`)."""
    from .registry import product_refusal as refusal

    return refusal(customer, product)


def product_offered(*, customer: Customer, product: str) -> bool:
    """Whether the product is for this customer at some KYC level (a company is offered no
    loans at any level): what the KYC page may say an upgrade unlocks."""
    from .registry import condition_refusal

    return condition_refusal(customer, product) is None


def products_of(*, customer: Customer) -> frozenset[str]:
    """The products this customer may use now: what the portal may name to them."""
    return frozenset(
        code
        for code in money_gate.PRODUCTS
        if product_refusal(customer=customer, product=code) is None
    )


def onboarding_pending_reasons(*, customer: Customer) -> list[str]:
    """Why a pending customer is not active yet (empty: every onboarding gate is clear)."""
    from .registry import pending_reasons

    return pending_reasons(customer)


# --- The operations dashboard (apps.core.console; registered in accounts/console.py) -------


def book_transfers_between(*, start, end) -> Tally:
    """Transfers between Athena accounts posted in [start, end): how many and how much."""
    from django.db.models import Count, Sum

    from .models import Posting

    row = (
        Posting.objects.filter(
            kind="book_transfer", amount__gt=0, created_at__gte=start, created_at__lt=end
        )
        .order_by()
        .aggregate(count=Count("entry_id", distinct=True), amount=Sum("amount"))
    )
    return Tally(count=row["count"], amount_cents=int(row["amount"] or 0))


def reversal_requests_pending() -> Tally:
    """Reversals above the four-eyes threshold waiting for a second operator."""
    from .models import ReversalRequest

    return tally(
        ReversalRequest.objects.filter(state=ReversalRequest.State.PENDING),
        amount="amount",
        oldest="created_at",
    )


def ledger_alerts_open() -> Tally:
    from .models import LedgerAlert

    return tally(LedgerAlert.objects.exclude(state=LedgerAlert.State.RESOLVED), oldest="created_at")


def last_reconciliation():
    """The latest reconciliation report, or None before the first run."""
    from .models import ReconciliationRun

    return ReconciliationRun.objects.order_by("-started_at", "-pk").first()
