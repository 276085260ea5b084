"""`manage.py verify_audit_chain`: walk the audit hash chain; exit 1 at the first break."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from apps.core.audit_chain import verify_chain


def _anchor(value: str) -> tuple[int, str]:
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise CommandError(f"--expect takes SEQ:HASH (64 hex digits), not {value!r}")
    return int(seq), digest.lower()


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; prints the first broken event and exits 1."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--expect",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="A head printed by an earlier run: it must still be in the chain.",
        )

    def handle(self, *args, **options) -> None:
        anchors = dict(_anchor(value) for value in options["expect"])
        result = verify_chain(anchors=anchors)
        if result.ok:
            self.stdout.write(
                f"OK: {result.checked} events; head seq {result.head_seq} {result.head_hash}"
            )
            return
        self.stderr.write(f"BROKEN: {result.broken}")
        self.stderr.write(
            f"(the {result.checked} events before it verify; last good seq {result.head_seq} "
            f"{result.head_hash})"
        )
        sys.exit(1)
