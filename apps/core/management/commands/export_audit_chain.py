"""`manage.py export_audit_chain --from DATE --to DATE [-o FILE]`: a period of the audit
log as JSON lines that verify offline (`manage.py verify_audit_export FILE`, or
`python3 apps/core/audit_hash.py FILE` on any machine)."""

from __future__ import annotations

import sys
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date, parse_datetime

from apps.core.audit import Action, record_event
from apps.core.audit_chain import export_period
from apps.core.timezones import BRASILIA


def _when(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"not a date or date-time: {value!r}")
        moment = datetime.combine(day, time.min)
    if moment.tzinfo is None:  # a bare date is a Brasilia day, as operators read dates
        moment = moment.replace(tzinfo=BRASILIA)
    return moment


class Command(BaseCommand):
    help = "Export the audit events of [--from, --to) with their hashes, as JSON lines."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="date or ISO date-time")
        parser.add_argument("--to", dest="end", required=True, help="exclusive")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, **options) -> None:
        start, end = _when(options["start"]), _when(options["end"])
        if end <= start:
            raise CommandError("--to must be after --from")
        # The export holds personal data (who did what, from which address): it is itself
        # an audited data export. Recorded first, so it is inside a period that reaches now.
        record_event(
            Action.DATA_EXPORT,
            actor_label="manage.py export_audit_chain",
            detail={"format": "jsonl", "what": "audit chain", "from": str(start), "to": str(end)},
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                count = export_period(out, start=start, end=end)
        else:
            count = export_period(sys.stdout, start=start, end=end)
        self.stderr.write(f"{count} events exported")
