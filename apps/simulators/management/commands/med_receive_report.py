"""Make the payer's institution report a Pix one of our customers received (MED).

    manage.py med_receive_report <endToEndId> [--situation SCAM] [--details "..."]
                                 [--reporter ISPB]

With the DICT simulator (the default), the report is created in the simulated DICT as the
payer's PSP (`--reporter`, by default the Pix's payer institution) and delivered to us, with
the DICT's rules; otherwise it is handed to our service directly. Either way what the
customer still has of the money is blocked for up to 72 h and the report waits in the
compliance queue. For the demo and for operations drills.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.core.money import format_brl
from apps.pix.adapters import client_class
from apps.pix.med.services import infraction_report_received
from apps.pix.models import InfractionReport, PixTransfer
from apps.simulators.dict.other_psps import report_infraction_as_other_psp
from apps.simulators.dict.simulator import DictSimulator


class Command(BaseCommand):
    help = "Receive a MED infraction report about a Pix one of our customers received."

    def add_arguments(self, parser):
        parser.add_argument("end_to_end_id")
        parser.add_argument(
            "--situation",
            default=InfractionReport.Situation.SCAM,
            choices=InfractionReport.Situation.values,
        )
        parser.add_argument("--details", default="")
        parser.add_argument("--reporter", default="", help="ISPB of the reporting institution")

    def handle(self, *args, **options):
        e2e = options["end_to_end_id"]
        reporter = options["reporter"]
        if not reporter:
            transfer = PixTransfer.objects.filter(end_to_end_id=e2e).first()
            if transfer is None:
                raise CommandError(f"No Pix has the endToEndId {e2e}.")
            reporter = transfer.counterparty_ispb
        try:
            if issubclass(client_class("PIX_DICT_CLIENT", "PIX_DICT_CLIENTS"), DictSimulator):
                report = report_infraction_as_other_psp(
                    reporter=reporter,
                    end_to_end_id=e2e,
                    situation=options["situation"],
                    details=options["details"],
                )
            else:
                report = infraction_report_received(
                    end_to_end_id=e2e,
                    situation=options["situation"],
                    details=options["details"],
                    reporter_ispb=reporter,
                )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        blocked = sum(b.amount for b in report.cautionary_blocks.all())
        self.stdout.write(
            f"Infraction report #{report.pk} ({report.get_state_display()}) from {reporter}; "
            f"blocked {format_brl(blocked)}."
        )
