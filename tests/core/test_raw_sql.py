"""apps.core.raw_sql: statements with server-side parameters on Django's own connection."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from apps.core.raw_sql import fetch_one

pytestmark = pytest.mark.django_db


def test_parameters_travel_apart_and_the_statement_joins_the_transaction():
    with transaction.atomic():
        assert fetch_one("SELECT %s::bigint + %s, %s::text", (40, 2, "o'clock")) == (
            42,
            "o'clock",
        )
        # The same connection and transaction as Django's cursor.
        fetch_one("SELECT set_config('athena.probe', %s, true)", ("seen",))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('athena.probe', true)")
            assert cursor.fetchone() == ("seen",)


def test_an_error_is_djangos_and_rolls_the_block_back():
    with transaction.atomic():
        with pytest.raises(DatabaseError):
            fetch_one("SELECT 1 / %s", (0,))
        assert transaction.get_rollback() is True
        # Unmarked, the block would go on in a transaction PostgreSQL has aborted: the mark
        # is what keeps Django from trying (as after an error of its own cursor).
        transaction.set_rollback(False)
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        transaction.set_rollback(True)


def test_array_literals_read_back_as_the_values():
    from apps.core.raw_sql import array_literal

    ints, bools, texts = [60, 10, 1440], [True, False], ["card_purchase", 'a "b" \\ c', ""]
    assert fetch_one(
        "SELECT %s::integer[], %s::boolean[], %s::text[], %s::integer[]",
        (array_literal(ints), array_literal(bools), array_literal(texts), array_literal([])),
    ) == (ints, bools, texts, [])
