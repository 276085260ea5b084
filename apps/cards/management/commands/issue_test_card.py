"""Sandbox helper for acquirers' testing: issue an active virtual card on a customer's
account and print its data as one JSON line on stdout:

    manage.py issue_test_card --email maria@example.com
    {"pan": "5067270123456789", "expiry": "3112", "cvv2": "123"}

The card data goes to stdout only (never to a log): the acquirer types it into its terminal
simulator. Refuses to run unless settings.DEBUG is on, so it cannot hand out card data in
production. The customer must have an active payment account and KYC level 1 (cards' level
in the money gate).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.accounts import services as accounts
from apps.accounts.models import Account, Customer
from apps.cards.models import Card
from apps.cards.services import card_issue
from apps.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Sandbox only (DEBUG): issue an active virtual card on the customer's account and "
        'print one JSON line {"pan", "expiry", "cvv2"}.'
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", required=True, help="The customer's sign-in e-mail.")

    def handle(self, *args, email: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "issue_test_card is a sandbox helper: it runs only with DEBUG on, never in "
                "production."
            )
        user = get_user_model().objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user signs in with the e-mail {email!r}.")
        customer = Customer.objects.filter(user=user).first()
        if customer is None:
            raise CommandError(f"{email} is not a customer (no customer record).")
        level = accounts.money_gate.level_required("cards")
        if customer.kyc_level < level:
            raise CommandError(
                f"{email} is at KYC level {customer.kyc_level}; cards need level {level}."
            )
        account = (
            Account.objects.filter(
                customer=customer, kind=Account.Kind.CUSTOMER, state=Account.State.ACTIVE
            )
            .order_by("pk")
            .first()
        )
        if account is None:
            raise CommandError(f"{email} has no active payment account to issue a card on.")
        try:
            issued = card_issue(
                customer=customer,
                account_id=account.pk,
                kind=Card.Kind.VIRTUAL,
                actor="issue_test_card",
            )
        except DomainError as exc:
            raise CommandError(f"The card was not issued: {exc.message}") from None
        self.stdout.write(
            json.dumps({"pan": issued.pan, "expiry": issued.expiry, "cvv2": issued.cvv2})
        )
        self.stderr.write(f"Issued {issued.card.masked_pan} on account {account.number}.")
