"""Onboarding screening: every new customer is screened once their registration commits.

A receiver rather than a call from apps.accounts: the accounts domain does not know about
compliance; compliance listens. After commit, so a screening problem never undoes a sign-up
and the result (with its hits, for the compliance queue) is its own row."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.accounts.models import Customer

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Customer, dispatch_uid="compliance.screen_new_customer")
def screen_new_customer(sender, instance: Customer, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    customer_id = instance.pk
    transaction.on_commit(lambda: _screen(customer_id))


def _screen(customer_id: int) -> None:
    from apps.accounts.services import customer_onboarding_complete
    from apps.compliance.services import screen_customer

    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return
    try:
        screen_customer(customer, context="onboarding")
    except Exception:  # logged loudly; KYC upgrades and list imports screen them again
        logger.exception("onboarding screening failed", extra={"customer_id": customer_id})
        return
    # Committed: if the e-mail was confirmed already, the customer is activated now.
    customer_onboarding_complete(customer_id=customer_id)
