"""Make the SPI simulator deliver a Pix from another PSP to one of our customers.

    manage.py simulate_inbound_pix --to <e-mail|key> --amount 150.00
        [--txid TXID] [--payer-name NAME] [--payer-ispb ISPB] [--description TEXT]

See apps.simulators.spi.inbound. Prints the endToEndId on stdout (one line, for scripts)
and a summary on stderr.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.core.money import AmountError, format_brl, parse_amount
from apps.pix import selectors as pix_selectors
from apps.simulators.spi.inbound import InboundPixRefused, find_recipient, simulate_inbound_pix


class Command(BaseCommand):
    help = (
        "Make the SPI simulator deliver a Pix from another PSP to one of our customers "
        "(by Pix key or sign-in e-mail); prints the endToEndId."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--to", required=True, help="one of our active Pix keys, or a customer's e-mail"
        )
        parser.add_argument("--amount", required=True, help='in reais, e.g. "150.00"')
        parser.add_argument("--txid", default=None, help="the txid of the charge this Pix pays")
        parser.add_argument("--payer-name", default=None)
        parser.add_argument(
            "--payer-ispb",
            default=None,
            help="the payer's institution; default: a random other Pix participant",
        )
        parser.add_argument("--description", default=None, help="remittance information")

    def handle(self, *args, **options) -> None:
        try:
            amount_cents = parse_amount(options["amount"], strict=False)
        except AmountError as exc:
            raise CommandError(f"--amount: {exc}.") from None
        recipient = find_recipient(options["to"])
        try:
            transfer = simulate_inbound_pix(
                recipient=recipient,
                amount_cents=amount_cents,
                txid=options["txid"],
                payer_name=options["payer_name"],
                payer_ispb=options["payer_ispb"],
                description=options["description"],
            )
        except InboundPixRefused as exc:
            raise CommandError(f"Refused by Athena (answered the SPI with RJCT {exc})") from None
        except DomainError as exc:
            raise CommandError(f"Refused: {exc.message}") from None
        except ValueError as exc:  # the ISO 20022 codec refusing a field (txid, name...)
            raise CommandError(f"Refused by the SPI simulator: {exc}") from None
        account = transfer.account
        self.stdout.write(transfer.end_to_end_id)
        self.stderr.write(
            f"Pix {transfer.end_to_end_id} of {format_brl(transfer.amount)} from "
            f"{transfer.counterparty_name} ({pix_selectors.name_of(transfer.counterparty_ispb)}) "
            f"to account {account.branch}/{account.number}: {transfer.get_state_display()}"
            + (f", paying charge {transfer.charge.txid}" if transfer.charge_id else "")
            + "."
        )
