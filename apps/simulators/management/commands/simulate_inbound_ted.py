"""Play another bank's customer sending a TED to one of ours, through the simulated STR.

    manage.py simulate_inbound_ted --to maria@example.com --amount 150.00 [--bank 341]
    manage.py simulate_inbound_ted --branch 0001 --account 001000014 --tax-id 52998224725 ...

`--to` is a customer's sign-in e-mail (their first account and CPF/CNPJ are used); or give
the account data as another bank's customer would type it (a wrong one gets the TED
returned with its reason). The STR settles it and queues the STR0008R2; the command then
processes our queue (as beat does every 30 s) and prints the outcome.
"""

from __future__ import annotations

import random

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Account
from apps.core.documents import fake_cpf
from apps.core.errors import DomainError
from apps.core.money import parse_amount
from apps.simulators.people import FIRST_NAMES, SURNAMES
from apps.simulators.str.simulator import StrSimulator
from apps.wire import selectors as wire_selectors
from apps.wire import services as wire_services
from apps.wire.models import InboundWire


class Command(BaseCommand):
    help = "Send a TED from another bank to one of our customers (STR simulator)."

    def add_arguments(self, parser):
        parser.add_argument("--to", help="the customer's sign-in e-mail")
        parser.add_argument("--branch")
        parser.add_argument("--account")
        parser.add_argument("--tax-id")
        parser.add_argument("--amount", required=True, help='reais, e.g. "150.00"')
        parser.add_argument("--bank", default="341", help="the sender's COMPE code or ISPB")

    def handle(self, *args, **options):
        try:
            amount = parse_amount(options["amount"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        bank = wire_selectors.bank_by_code(options["bank"])
        if bank is None or not bank.in_str:
            raise CommandError(f"{options['bank']} is not an STR participant")
        branch, number, tax_id = options["branch"], options["account"], options["tax_id"]
        if options["to"]:
            account = (
                Account.objects.filter(
                    customer__user__email__iexact=options["to"], kind=Account.Kind.CUSTOMER
                )
                .select_related("customer")
                .order_by("pk")
                .first()
            )
            if account is None:
                raise CommandError(f"no customer account for {options['to']}")
            branch, number, tax_id = account.branch, account.number, account.customer.tax_id
        if not (branch and number and tax_id):
            raise CommandError("give --to, or --branch, --account and --tax-id")
        rng = random.Random()
        str_number = StrSimulator().inbound_ted(
            sender_ispb=bank.ispb,
            sender_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
            sender_tax_id=fake_cpf(rng),
            branch=branch,
            account_number=number,
            holder_tax_id=tax_id,
            amount_cents=amount,
        )
        wire_services.wires_inbox_run()
        inbound = InboundWire.objects.filter(str_control_number=str_number).first()
        self.stdout.write(str_number)
        if inbound is None:
            raise CommandError("the TED is queued; the inbox will process it")
        if inbound.state == InboundWire.State.RETURNED:
            raise CommandError(f"returned with reason {inbound.return_code}")
        self.stderr.write(f"credited {options['amount']} to account {inbound.account_id}")
