"""manage.py import_lists --source ofac|un|pep PATH (ofac: the folder with sdn/alt/add.csv)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.compliance import services
from apps.compliance.importers import PARSERS, ListImportError


class Command(BaseCommand):
    help = "Import a sanctions/PEP list as the new active version of its source."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--source", required=True, choices=sorted(PARSERS))
        parser.add_argument("path", help="OFAC: folder with sdn.csv, alt.csv, add.csv")

    def handle(self, *args, source: str, path: str, **options) -> None:
        try:
            outcome = services.import_list(source=source, path=path)
        except ListImportError as exc:
            raise CommandError(exc.message) from exc
        version = outcome.version
        if outcome.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{source}: version {version.pk} active, {version.entry_count} entries, "
                    f"{outcome.changed_count} added or renamed"
                )
            )
        else:
            self.stdout.write(f"{source}: unchanged (same checksum as version {version.pk})")
