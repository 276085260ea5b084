"""`manage.py verify_audit_export FILE [--anchor HASH]`: check an audit export offline.

It reads the file only (no database): the same check as `python3 apps/core/audit_hash.py`."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from apps.core.audit_hash import verify_export


class Command(BaseCommand):
    help = "Verify an exported period of the audit chain; exits 1 at the first broken line."
    requires_system_checks: list = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--anchor", help="the hash you trust for the event before the period (optional)"
        )

    def handle(self, *args, **options) -> None:
        with open(options["file"], encoding="utf-8") as handle:
            result = verify_export(handle, trusted_anchor=options["anchor"])
        if result.ok:
            self.stdout.write(
                f"OK: {result.events} events; anchor {result.anchor_hash}; "
                f"last seq {result.last_seq} {result.last_hash}"
            )
            return
        self.stderr.write(f"BROKEN: {result.first_problem}")
        sys.exit(1)
