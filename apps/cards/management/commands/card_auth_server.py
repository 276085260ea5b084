"""`manage.py card_auth_server [--host H] [--port N] [--workers W] [--processes P]`: the
ISO 8583 authorization server (apps/cards/iso/server.py) until SIGINT or SIGTERM."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve ISO 8583 authorizations over TCP (2-byte length header, ASCII)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.CARDS_ISO_PORT)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="decisions at once per process, one database connection each (CARDS_ISO_WORKERS)",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=settings.CARDS_ISO_PROCESSES,
            help="server processes sharing the port (CARDS_ISO_PROCESSES)",
        )

    def handle(
        self, *args, host: str, port: int, workers: int | None, processes: int, **options
    ) -> None:
        from apps.cards.iso.server import serve

        def ready(server) -> None:
            size = server.pool.size if server else workers or settings.CARDS_ISO_WORKERS
            self.stdout.write(
                f"card authorization server on {host}:{port} "
                f"({max(processes, 1)} process(es) x {size} workers)"
            )
            self.stdout.flush()

        serve(host=host, port=port, workers=workers, processes=processes, on_ready=ready)
