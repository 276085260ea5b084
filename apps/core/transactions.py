"""Transaction helpers shared by every app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import connection, transaction

T = TypeVar("T")


def now_or_after_commit(callback: Callable[[], T]) -> T | None:
    """Run `callback` at once when no transaction is open; inside a caller's transaction,
    run it after that transaction commits (and return None). For calls to the outside world
    (SPI, DICT) that must only ever see committed ledger movements."""
    if connection.in_atomic_block:
        transaction.on_commit(callback)
        return None
    return callback()
