"""Transaction helpers shared by every app."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db import connection, transaction

T = TypeVar("T")
logger = logging.getLogger(__name__)

_kept_writes: ContextVar[list[Callable[[], object]] | None] = ContextVar(
    "athena_kept_writes", default=None
)


def now_or_after_commit(callback: Callable[[], T]) -> T | None:
    """Run `callback` at once when no transaction is open; inside a caller's transaction,
    run it after that transaction commits (and return None). For calls to the outside world
    (SPI, DICT) that must only ever see committed ledger movements."""
    if connection.in_atomic_block:
        transaction.on_commit(callback)
        return None
    return callback()


def keep_despite_rollback(write: Callable[[], object]) -> None:
    """Run a write that must survive the refusal it documents (a payment stopped by
    sanctions screening: the stop is evidence for compliance, though the payment's own
    transaction rolls back). Inside `kept_writes()` it runs when that block ends, after the
    work inside it committed or rolled back; elsewhere it runs now, in whatever transaction
    is open."""
    pending = _kept_writes.get()
    if pending is None:
        write()
    else:
        pending.append(write)


@contextmanager
def kept_writes() -> Iterator[None]:
    """Around work whose failure is rolled back by a transaction or savepoint inside this
    block: the writes it asked to keep run at the end, each in its own (sub)transaction,
    in the enclosing transaction if there is one (the API's idempotency record commits
    with them). A write that fails is logged; it never hides the work's own outcome."""
    token = _kept_writes.set([])
    try:
        yield
    finally:
        pending = _kept_writes.get() or []
        _kept_writes.reset(token)
        for write in pending:
            if connection.needs_rollback:
                logger.error("a kept write was lost: the enclosing transaction is broken")
                break
            try:
                with transaction.atomic():
                    write()
            except Exception:
                logger.exception("a kept write failed")
