"""Statements on psycopg's own connection, for the few hottest paths.

Django's cursor wrapper costs tens of microseconds per statement (wrapping, parameter
conversion, debug logging), and Django's psycopg connections bind parameters on the client
(`ClientCursor`: every value rendered into the SQL text in Python, every statement parsed
and planned again, `prepare=True` ignored). `fetch_one` runs a statement on a plain
`psycopg.Cursor` instead: the parameters go apart from the text, and the statement is
prepared once per connection and then only executed. One cursor is kept per connection,
so its adapters are looked up once, not per call. The card authorization's calls use it.

The connection is Django's own: the call joins the caller's `transaction.atomic` block
(Django switched psycopg's autocommit off for it) or, outside one, runs in autocommit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import connection, transaction


def raw_connection() -> psycopg.Connection:
    connection.ensure_connection()
    return connection.connection


def _server_cursor() -> psycopg.Cursor:
    raw = raw_connection()
    kept = getattr(connection, "_athena_server_cursor", None)
    if kept is None or kept.connection is not raw or kept.closed:
        kept = psycopg.Cursor(raw)  # server-side binding, whatever the connection's factory
        connection._athena_server_cursor = kept
    return kept


def fetch_one(sql: str, params: Sequence[Any]) -> tuple | None:
    """One row of a prepared statement with server-side parameters. A database error comes
    out as Django's (so callers catch `django.db.DatabaseError` as for any query), and an
    atomic block it happened in is marked for rollback, as Django's own cursor does."""
    with connection.wrap_database_errors:
        try:
            return _server_cursor().execute(sql, params, prepare=True).fetchone()
        except psycopg.Error:
            if connection.in_atomic_block:
                transaction.set_rollback(True)
            raise


def array_literal(values: Sequence[int | bool | str]) -> str:
    """A PostgreSQL array literal ('{1,2}', '{t,f}', '{"a","b"}') for a parameter the
    statement casts (`%s::integer[]`): psycopg's list adapters inspect every list on every
    call, a string goes as it is. Text elements are quoted and escaped."""
    items = []
    for value in values:
        if isinstance(value, bool):
            items.append("t" if value else "f")
        elif isinstance(value, int):
            items.append(str(int(value)))
        else:
            escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
            items.append(f'"{escaped}"')
    return "{" + ",".join(items) + "}"
