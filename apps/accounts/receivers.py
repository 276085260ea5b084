"""Signal receivers of accounts: allauth's e-mail confirmation completes the onboarding."""

from __future__ import annotations

from apps.accounts.models import Customer


def _on_email_confirmed(sender, request=None, email_address=None, **kwargs) -> None:
    """allauth confirmed an address: after the commit, try to complete the onboarding."""
    from django.db import transaction

    user_id = getattr(email_address, "user_id", None)
    if user_id is None:
        return
    customer_id = Customer.objects.filter(user_id=user_id).values_list("pk", flat=True).first()
    if customer_id is None:
        return

    def complete() -> None:
        from apps.accounts.services import customer_onboarding_complete

        customer_onboarding_complete(customer_id=customer_id)

    transaction.on_commit(complete)


def connect_receivers() -> None:
    from allauth.account.signals import email_confirmed

    email_confirmed.connect(_on_email_confirmed, dispatch_uid="accounts.receivers.email")
