"""COPY rows into a model's table: the fastest way PostgreSQL takes many rows at once.

`bulk_create` renders one parameter per value through each field's Python preparation;
for the tens of thousands of plain rows a settlement file writes (its lines, the transition
logs) COPY streams them instead. Only for fields that need no Python-side preparation
(no encryption, no JSON adapters): the caller passes values as PostgreSQL takes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, models


def copy_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Write `rows` (one value per field name, in order) into the model's table; returns
    how many. Runs on the current connection, inside the caller's transaction."""
    meta = model._meta
    columns = ", ".join(connection.ops.quote_name(meta.get_field(f).column) for f in fields)
    table = connection.ops.quote_name(meta.db_table)
    connection.ensure_connection()
    count = 0
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count
