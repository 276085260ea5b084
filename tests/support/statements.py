"""Count every statement sent to PostgreSQL, Django's and those on psycopg's own cursors.

Django's `CaptureQueriesContext` sees only statements through its cursor wrapper; the
ledger's `athena_post_entry` and the card authorization's calls go on psycopg directly
(`apps.core.raw_sql`). A query budget counts round trips, whoever sends them, so the count
is taken at psycopg's cursor: every execute (and each parameter set of an executemany).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg


@dataclass
class Statements:
    sql: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # each execute's wall time

    def __len__(self) -> int:
        return len(self.sql)

    def listing(self) -> str:
        return "\n".join(
            f"{n:3} {ms * 1000:6.2f} ms  {' '.join(s.split())[:200]}"
            for n, (s, ms) in enumerate(zip(self.sql, self.seconds, strict=True), 1)
        )


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
        if threading.get_ident() != thread:
            return execute(self, query, params, **kwargs)
        began = time.perf_counter()
        try:
            return execute(self, query, params, **kwargs)
        finally:
            seen.sql.append(_text(query))
            seen.seconds.append(time.perf_counter() - began)

    def counting_executemany(self, query, params_seq, **kwargs):
        params_seq = list(params_seq)
        if threading.get_ident() != thread:
            return executemany(self, query, params_seq, **kwargs)
        began = time.perf_counter()
        try:
            return executemany(self, query, params_seq, **kwargs)
        finally:
            share = (time.perf_counter() - began) / max(len(params_seq), 1)
            seen.sql.extend([_text(query)] * len(params_seq))
            seen.seconds.extend([share] * len(params_seq))

    psycopg.Cursor.execute = counting_execute
    psycopg.Cursor.executemany = counting_executemany
    try:
        yield seen
    finally:
        psycopg.Cursor.execute = execute
        psycopg.Cursor.executemany = executemany
