"""Count every statement sent to PostgreSQL, Django's and those on psycopg's own cursors.

Django's `CaptureQueriesContext` sees only statements through its cursor wrapper; the
ledger's `athena_post_entry` and the card authorization's calls go on psycopg directly
(`apps.core.raw_sql`). A query budget counts round trips, whoever sends them, so the count
is taken at psycopg's cursor: every execute (and each parameter set of an executemany).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg


@dataclass
class Statements:
    sql: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sql)

    def listing(self) -> str:
        return "\n".join(f"{n:3} {' '.join(s.split())[:220]}" for n, s in enumerate(self.sql, 1))


def _text(query) -> str:
    if isinstance(query, bytes):
        return query.decode(errors="replace")
    if isinstance(query, str):
        return query
    try:
        return query.as_string(None)
    except Exception:  # a Composed that needs a connection: its repr names it well enough
        return repr(query)


@contextmanager
def counted_statements() -> Iterator[Statements]:
    """Statements executed by this thread while the block runs."""
    seen = Statements()
    thread = threading.get_ident()
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany

    def counting_execute(self, query, params=None, **kwargs):
        if threading.get_ident() == thread:
            seen.sql.append(_text(query))
        return execute(self, query, params, **kwargs)

    def counting_executemany(self, query, params_seq, **kwargs):
        params_seq = list(params_seq)
        if threading.get_ident() == thread:
            seen.sql.extend([_text(query)] * len(params_seq))
        return executemany(self, query, params_seq, **kwargs)

    psycopg.Cursor.execute = counting_execute
    psycopg.Cursor.executemany = counting_executemany
    try:
        yield seen
    finally:
        psycopg.Cursor.execute = execute
        psycopg.Cursor.executemany = executemany
