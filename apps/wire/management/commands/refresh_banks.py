"""Reload the participant directory from a participants list (BancosBrasileiros'
bancos.csv layout): the shipped data/bancos.csv by default, or --file F (a newer copy).
A file that is not such a list is refused with the line that failed and changes nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.core.errors import DomainError
from apps.wire.services import directory_load


class Command(BaseCommand):
    help = "Reload the participant directory (COMPE, ISPB, names, STR and Pix participation)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--file", help="a bancos.csv-layout file (default: data/bancos.csv)")

    def handle(self, *args, **options) -> None:
        text = None
        if options.get("file"):
            path = Path(options["file"])
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: {exc}") from None
        try:
            result = directory_load(text=text, actor_label="manage.py refresh_banks")
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"directory: {result.created} added, {result.updated} updated, {result.removed} removed"
        )
