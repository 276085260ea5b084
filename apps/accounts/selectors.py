"""Reads of the accounts domain for views, APIs and other apps."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.core.errors import NotFound

from .models import Account, Customer


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
