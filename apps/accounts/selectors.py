"""Reads of the accounts domain for views, APIs and other apps."""

from __future__ import annotations

from django.db.models import QuerySet

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
        raise NotFound("Account not found.")
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


def onboarding_pending_reasons(*, customer: Customer) -> list[str]:
    """Why a pending customer is not active yet (empty: every onboarding gate is clear)."""
    from .registry import pending_reasons

    return pending_reasons(customer)
