"""One-statement inserts for rows whose uniqueness the database decides."""

from __future__ import annotations

from django.db import connection, models


def insert_unless_taken(instance: models.Model) -> bool:
    """INSERT the new instance, or nothing when a unique constraint already holds its value:
    True when inserted (its pk is then set). One statement where `get_or_create` or a
    savepoint around `create` takes two to four; for append-only rows with no save() logic,
    history or post_save receivers (none of them runs here)."""
    meta = instance._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields
    ]
    placeholders = ", ".join(["%s"] * len(fields))
    # Table and column names come from the model, quoted; the values are parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # nosec B608
        f"ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    instance.pk = row[0]
    instance._state.adding = False
    return True
