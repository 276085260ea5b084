"""Embedded PostgreSQL for machines without a database server.

With no DATABASE_URL the project runs on a PostgreSQL 16 started from the `pgserver` wheel,
under `var/pgdata` of the project. Every process (web, worker, beat, manage.py, pytest) asks
for a handle; pgserver keeps one postmaster per data folder and stops it when the last handle
is gone. The server listens on a Unix socket only, so it never clashes with a system server.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

DATABASE_NAME = "athena"


def embedded_database_settings(data_dir: Path) -> dict:
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp: harmless here.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import pgserver  # imported lazily: only the embedded default needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    # bandit B608: DATABASE_NAME is the constant above, never input.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # nosec B608
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    # Tools such as pgbench and psql find the server through these.
    os.environ.setdefault("ATHENA_PG_SOCKET_DIR", socket_dir)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": "",
    }
