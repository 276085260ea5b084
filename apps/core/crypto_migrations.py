"""Data migrations that encrypt a column in place (and decrypt it back on the way down).

A migration that turns a clear column into one of the encrypted fields of apps.core.crypto
first alters the field (a wider column for a lookup-encrypted key), then calls
`encrypt_columns(...)` in a RunPython, whose reverse is `decrypt_columns(...)`. Rows are
read and written with SQL, a batch at a time by primary key, never through the models (a
historical model would already try to decrypt what is still clear). Each row is looked at
before it is written: a value already encrypted is left alone, so running a migration
again, or over rows written by the new code meanwhile, is safe.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from apps.core.crypto import (
    _FERNET_VERSION,
    _SIV_PREFIX,
    cipher,
    decrypt,
    decrypt_for_lookup,
    encrypt,
    encrypt_for_lookup,
)

TEXT, LOOKUP, JSON, BYTES = "text", "lookup", "json", "bytes"
_BATCH = 500


def _encrypt(kind: str, value):
    if kind == TEXT:
        return None if value.startswith(_FERNET_VERSION.decode()) else encrypt(value)
    if kind == LOOKUP:
        return None if value.startswith(_SIV_PREFIX) else encrypt_for_lookup(value)
    if kind == JSON:
        loaded = json.loads(value) if isinstance(value, str) else value
        if isinstance(loaded, str) and loaded.startswith(_FERNET_VERSION.decode()):
            return None
        return json.dumps(encrypt(json.dumps(loaded)))
    raw = bytes(value)
    return None if raw.startswith(_FERNET_VERSION) else cipher().encrypt(raw)


def _decrypt(kind: str, value):
    if kind == TEXT:
        return decrypt(value) if value.startswith(_FERNET_VERSION.decode()) else None
    if kind == LOOKUP:
        return decrypt_for_lookup(value) if value.startswith(_SIV_PREFIX) else None
    if kind == JSON:
        loaded = json.loads(value) if isinstance(value, str) else value
        if not isinstance(loaded, str):
            return None
        return json.dumps(json.loads(decrypt(loaded)))
    raw = bytes(value)
    return cipher().decrypt(raw) if raw.startswith(_FERNET_VERSION) else None


def _rewrite(connection, table: str, pk: str, columns: dict[str, str], change) -> None:
    quote = connection.ops.quote_name
    for column, kind in columns.items():
        # Identifiers come from the migration's own TABLES list, quoted; values are bound.
        pk_, col, tbl = quote(pk), quote(column), quote(table)
        read = f"{col}::text" if kind == JSON else col
        cast = "::jsonb" if kind == JSON else ""
        select = f"SELECT {pk_}, {read} FROM {tbl} WHERE {col} IS NOT NULL"  # nosec B608
        update = f"UPDATE {tbl} SET {col} = %s{cast} WHERE {pk_} = %s"  # nosec B608
        last = None
        while True:
            with connection.cursor() as cursor:
                after = "" if last is None else f" AND {pk_} > %s"
                cursor.execute(
                    f"{select}{after} ORDER BY {pk_} LIMIT {_BATCH}",
                    [] if last is None else [last],
                )
                rows = cursor.fetchall()
                for row_pk, value in rows:
                    if kind in (TEXT, LOOKUP) and value == "":
                        continue
                    new = change(kind, value)
                    if new is not None:
                        cursor.execute(update, [new, row_pk])
            if len(rows) < _BATCH:
                break
            last = rows[-1][0]


def _run(tables: Iterable[tuple[str, str, dict[str, str]]], change, disable_triggers=()):
    def operation(apps, schema_editor):
        connection = schema_editor.connection
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if disable_triggers:
                # ALTER TABLE refuses while deferred checks (the foreign keys of rows written
                # earlier in this transaction) are pending: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, trigger in disable_triggers:
                cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(trigger)}")
        for table, pk, columns in tables:
            _rewrite(connection, table, pk, columns, change)
        with connection.cursor() as cursor:
            for table, trigger in disable_triggers:
                cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {quote(trigger)}")
            if disable_triggers:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' default

    return operation


def encrypt_columns(tables, *, disable_triggers=()):
    """A RunPython function encrypting `tables`: [(table, pk column, {column: kind})].
    `disable_triggers` [(table, trigger)] are switched off around the rewrite (a guard
    that refuses any change to a finalized row would refuse its encryption too)."""
    return _run(tables, _encrypt, disable_triggers)


def decrypt_columns(tables, *, disable_triggers=()):
    """The reverse of `encrypt_columns` over the same arguments."""
    return _run(tables, _decrypt, disable_triggers)
