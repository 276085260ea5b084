"""Reconciliation: set-based proof that the ledger is whole.

Three facts, read in one REPEATABLE READ snapshot so that concurrent postings are seen with
the balances they moved (both are written in one transaction):
1. every account's cached balance (row + shards) equals the sum of its postings;
2. every entry's postings sum to zero;
3. all postings together sum to zero.
Each is one aggregate query over the whole table (no per-account loop), so a million
postings take about a second.
"""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.utils import timezone

from .models import LedgerAlert, ReconciliationRun

logger = logging.getLogger(__name__)

MAX_REPORTED = 100

_MISMATCHES_SQL = """
WITH derived AS (
    SELECT account_id, sum(amount) AS total, count(*) AS n
      FROM accounts_posting GROUP BY account_id
), shards AS (
    SELECT account_id, sum(amount) AS total FROM accounts_balanceshard GROUP BY account_id
)
SELECT a.id, a.balance + coalesce(s.total, 0) AS cached, coalesce(d.total, 0) AS derived
  FROM accounts_account a
  LEFT JOIN derived d ON d.account_id = a.id
  LEFT JOIN shards s ON s.account_id = a.id
 WHERE a.balance + coalesce(s.total, 0) <> coalesce(d.total, 0)
 ORDER BY a.id
 LIMIT %s
"""

_UNBALANCED_SQL = """
SELECT entry_id, sum(amount) FROM accounts_posting
 GROUP BY entry_id HAVING sum(amount) <> 0 OR count(*) < 2
 ORDER BY entry_id LIMIT %s
"""

# A credit reads the account state without locking the row (that is what keeps hot
# accounts fast), so a credit racing an account's closure could land on a closed account:
# reconciliation reports any closed account that holds money.
_CLOSED_WITH_MONEY_SQL = """
SELECT a.id FROM accounts_account a
 WHERE a.state = 'closed' AND (a.balance <> 0 OR a.held <> 0 OR EXISTS (
       SELECT 1 FROM accounts_balanceshard s WHERE s.account_id = a.id AND s.amount <> 0))
 ORDER BY a.id LIMIT %s
"""

_ORPHANS_SQL = """
SELECT count(*) FROM accounts_posting p
 WHERE NOT EXISTS (SELECT 1 FROM accounts_account a WHERE a.id = p.account_id)
"""


def reconcile() -> ReconciliationRun:
    started = timezone.now()
    # Inside a caller's transaction (tests) its snapshot is used as it is.
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if own_transaction:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT count(*), coalesce(sum(amount), 0) FROM accounts_posting")
        postings_checked, postings_total = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM accounts_account")
        accounts_checked = cursor.fetchone()[0]
        cursor.execute(_MISMATCHES_SQL, [MAX_REPORTED])
        mismatches = [
            {"account_id": a, "cached": int(c), "derived": int(d), "difference": int(c - d)}
            for a, c, d in cursor.fetchall()
        ]
        cursor.execute(_UNBALANCED_SQL, [MAX_REPORTED])
        unbalanced = [{"entry_id": e, "sum": int(s)} for e, s in cursor.fetchall()]
        cursor.execute(_ORPHANS_SQL)
        orphans = cursor.fetchone()[0]
        cursor.execute(_CLOSED_WITH_MONEY_SQL, [MAX_REPORTED])
        closed_with_money = [row[0] for row in cursor.fetchall()]
    ok = (
        not mismatches
        and not unbalanced
        and postings_total == 0
        and orphans == 0
        and not closed_with_money
    )
    run = ReconciliationRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        accounts_checked=accounts_checked,
        postings_checked=postings_checked,
        postings_total=int(postings_total),
        mismatches=mismatches,
        unbalanced_entries=unbalanced
        + ([{"orphan_postings": orphans}] if orphans else [])
        + [{"closed_account_with_money": account_id} for account_id in closed_with_money],
        ok=ok,
    )
    if not ok:
        message = (
            f"Ledger reconciliation found {len(mismatches)} balance difference(s), "
            f"{len(unbalanced)} unbalanced entr(ies), {orphans} orphan posting(s), "
            f"{len(closed_with_money)} closed account(s) holding money; "
            f"all postings sum to {postings_total}."
        )
        logger.error(message, extra={"run": run.pk})
        LedgerAlert.objects.create(
            kind="reconciliation",
            message=message,
            run=run,
            detail={"mismatches": mismatches[:20], "unbalanced": unbalanced[:20]},
        )
    else:
        logger.info("ledger reconciliation ok", extra={"postings": postings_checked})
    return run
