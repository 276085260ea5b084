"""The ledger service: the only code that writes postings and balances.

Design (why it is shaped like this)
-----------------------------------
A hot account's throughput is one over the time its row lock is held, and PostgreSQL holds
a row lock until commit. A straightforward ORM ledger locks both rows first and then spends
six round trips inside the lock: about 380 transfers/s into one merchant however many
payers there are. Here the whole movement is one call of the PL/pgSQL function
`athena_post_entry` (migration 0004), and the rows it locks are the fewest it can be:

* Credits never lock the account. The amount goes to one of 16 `BalanceShard` rows of the
  account, picked at random (INSERT ... ON CONFLICT DO UPDATE), and the account's balance is
  its row plus its shards. Sixteen payers into one merchant, or every Pix crossing the
  reserves account, meet on a shard only by chance, never on one row.
* Internal accounts (reserves at BACEN, clearing, revenue, ...) have no floor, so every
  movement of theirs, debit or credit, is a shard update: they are never locked per entry.
* A debit on a customer account must be serialized (no overdraft, ever). One statement
  locks the row, folds the shards into it (adding exactly the amounts it zeroed) and is a
  conditional UPDATE (`... WHERE balance - held + amount >= -overdraft_limit`): the check
  and the move at once. The CHECK constraint refuses an overdraft whatever the caller.
* Legs are applied in account id order, and inside one account the row is locked before
  its shards, while a credit takes a single shard and nothing else: every writer takes locks
  in one global order, so entries cannot deadlock each other.
* The entry, its postings and the outbox message "ledger.balance_changed" are inserted by
  the same call; balancing is checked once per entry (a statement trigger at insert and a
  deferred constraint trigger at commit), not once per posting.
* Outside a caller's transaction the call runs in autocommit, i.e. it is its own
  transaction: one round trip in all. Inside one, it joins it.

Running balances for statements are not stamped on postings (a credit in a shard has no
single "balance after" at insert time); statements.py derives them from balance
checkpoints, which `athena_checkpoint_balances` writes once the postings below a watermark
can no longer change.

The function runs on psycopg's own connection object: this is the hottest path of the
system, and Django's cursor wrapper adds nothing it needs here. That connection's cursors
bind parameters on the client (Django's `ClientCursor` factory), so `prepare=True` below is
not honoured; `apps.core.raw_sql.fetch_one` (server-side parameters, prepared once per
connection) is the faster road, which the card authorization takes; the ledger keeps this
one until its own benchmark is rerun on it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from django.db import connection, transaction
from psycopg.types.json import Jsonb

from apps.core.errors import DomainError, ValidationFailed
from apps.core.raw_sql import raw_connection as _raw_connection

from .errors import AccountUnavailable, InsufficientFunds, UnknownAccount

SHARDS = 16

_POST_SQL = "SELECT athena_post_entry(%s, %s, %s, %s, %s, %s, %s, %s::bigint[], %s::bigint[], %s)"


_ERRORS = {
    "P0A01": ValidationFailed,
    "P0A02": InsufficientFunds,
    "P0A04": UnknownAccount,
    "P0A09": AccountUnavailable,
}


@dataclass(frozen=True, slots=True)
class Leg:
    """A signed amount in centavos on one account: positive raises its balance."""

    account_id: int
    amount: int


def _translate(exc: psycopg.Error) -> DomainError | None:
    error_class = _ERRORS.get(getattr(exc, "sqlstate", None) or "")
    if error_class is None:
        return None
    # "insufficient funds in account 42" -> "Insufficient funds in the account.": internal
    # ids stay in the logs, not in what a client reads.
    message = re.sub(r"account \d+", "the account", exc.diag.message_primary or str(exc))
    return error_class(message[:1].upper() + message[1:] + ".")


def _refused(exc: psycopg.Error) -> Exception:
    """What a call the database refused raises: the domain error of its SQLSTATE, or the
    database error itself. Inside a transaction it is unusable now (what Django's own
    cursor wrapper does)."""
    if connection.in_atomic_block:
        transaction.set_rollback(True)
    return _translate(exc) or exc


def post_entry(
    *,
    kind: str,
    legs: Sequence[Leg],
    description: str = "",
    reference_type: str = "",
    reference_id: str | int = "",
    created_by_id: int | None = None,
    reverses_id: int | None = None,
    metadata: dict | None = None,
) -> int:
    """Post one balanced entry; returns its id. Raises a DomainError when refused."""
    params = (
        kind,
        description[:200],
        reference_type,
        str(reference_id),
        created_by_id,
        reverses_id,
        Jsonb(metadata or {}),
        [leg.account_id for leg in legs],
        [leg.amount for leg in legs],
        SHARDS,
    )
    try:
        cursor = _raw_connection().execute(_POST_SQL, params, prepare=True)
        return cursor.fetchone()[0]
    except psycopg.Error as exc:
        raise _refused(exc) from None


@dataclass(frozen=True, slots=True)
class Entry:
    """One entry of a batch (`post_entries`): what `post_entry` takes, as a value."""

    kind: str
    legs: Sequence[Leg]
    description: str = ""
    reference_type: str = ""
    reference_id: str | int = ""
    metadata: dict | None = None


def post_entries(entries: Sequence[Entry], *, created_by_id: int | None = None) -> list[int]:
    """Post many entries in one round trip; returns their ids, in order.

    For settlement files (a CNAB return of thousands of payments): the same function and
    the same invariants as `post_entry` (balanced, no overdraft, the balance trigger, the
    outbox message), each entry checked by PostgreSQL as it is posted, but the calls go out
    as one pipeline (psycopg's executemany) instead of one network round trip each. Call it
    inside a transaction: a refused entry refuses the batch, and the caller's transaction
    rolls back every entry of it."""
    if not entries:
        return []
    params = [
        (
            entry.kind,
            entry.description[:200],
            entry.reference_type,
            str(entry.reference_id),
            created_by_id,
            None,
            Jsonb(entry.metadata or {}),
            [leg.account_id for leg in entry.legs],
            [leg.amount for leg in entry.legs],
            SHARDS,
        )
        for entry in entries
    ]
    try:
        cursor = _raw_connection().cursor()
        cursor.executemany(_POST_SQL, params, returning=True)
        ids = []
        while True:
            ids.append(cursor.fetchone()[0])
            if not cursor.nextset():
                break
        return ids
    except psycopg.Error as exc:
        raise _refused(exc) from None


# %b: the batch's arrays go over in binary, not rendered as text and parsed back.
_CREDITS_SQL = (
    "SELECT athena_post_credits(%b::text[], %b::text[], %b::text[], %b::text[], %b::jsonb, "
    "%s::bigint, %b::integer[], %b::bigint[], %b::bigint[], %s)"
)


def post_credits(entries: Sequence[Entry], *, created_by_id: int | None = None) -> list[int]:
    """Post many entries that debit no customer account in one set-based call; returns their
    ids, in order. A settlement file's credits (see migration 0007): the same checks, rows
    and triggers as `post_entry`, the credits summed per account into its shards. A leg that
    debits a customer account is refused (ValidationFailed): post it with `post_entry`."""
    if not entries:
        return []
    leg_entries, leg_accounts, leg_amounts = [], [], []
    for number, entry in enumerate(entries, start=1):
        for leg in entry.legs:
            leg_entries.append(number)
            leg_accounts.append(leg.account_id)
            leg_amounts.append(leg.amount)
    params = (
        [entry.kind for entry in entries],
        [entry.description[:200] for entry in entries],
        [entry.reference_type for entry in entries],
        [str(entry.reference_id) for entry in entries],
        Jsonb([entry.metadata or {} for entry in entries]),
        created_by_id,
        leg_entries,
        leg_accounts,
        leg_amounts,
        SHARDS,
    )
    try:
        cursor = _raw_connection().execute(_CREDITS_SQL, params)
        return list(cursor.fetchone()[0])
    except psycopg.Error as exc:
        raise _refused(exc) from None


_HOLD_SQL = "SELECT hold_id, refusal FROM athena_hold_place(%s, %s, %s, %s, %s, %s, %s, %s)"


@dataclass(frozen=True, slots=True)
class PlacedHold:
    hold_id: int | None
    refusal: str  # "" when placed; else unknown_account, account_unavailable, insufficient_funds


def hold_place(
    *,
    account_id: int,
    amount_cents: int,
    reason: str,
    expires_at,
    reference_type: str,
    reference_id: str,
    now,
    user_id: int | None = None,
) -> PlacedHold:
    """Raise the account's held amount and record the hold (and its first history row) in
    one call of `athena_hold_place` (migration 0009). A refusal changes nothing."""
    params = (
        account_id,
        amount_cents,
        reason[:200],
        expires_at,
        reference_type,
        reference_id,
        now,
        user_id,
    )
    try:
        hold_id, refusal = _raw_connection().execute(_HOLD_SQL, params).fetchone()
    except psycopg.Error as exc:
        raise _refused(exc) from None
    return PlacedHold(hold_id, refusal or "")


# What a customer account may still debit: the condition of the conditional UPDATE in
# `athena_post_entry` (balance + shards - held + amount >= -overdraft_limit), read here so
# that a check made before the debit (the portal's first step) judges by the same floor.
_SPENDABLE_SQL = """
SELECT a.balance + coalesce((SELECT sum(s.amount) FROM accounts_balanceshard s
                              WHERE s.account_id = a.id), 0)
       - a.held + a.overdraft_limit
  FROM accounts_account a WHERE a.id = %s
"""


def spendable(*, account_id: int) -> int:
    """Centavos the account may debit now (0 for no such account); reads, never locks."""
    with connection.cursor() as cursor:
        cursor.execute(_SPENDABLE_SQL, [account_id])
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


def advance_checkpoints() -> int:
    """Advance the statement watermark and write balance checkpoints below it.

    Run often (Celery beat, every few seconds): each run promotes the mark taken by the
    previous run once every transaction that was open then has ended. Returns the id up to
    which postings are final.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT athena_checkpoint_balances()")
        return cursor.fetchone()[0]
