"""Statement pages at depth: the first page and a deep one, for 10^4 and 10^6 postings.

    .venv/bin/python bench/statement.py [--runs 20] [--sizes 10000,1000000]

Creates (once, reused afterwards) one customer account per size, with that many postings
over the last two years, written set-based: per batch one INSERT ... SELECT generate_series
of journal entries feeding the INSERT of their two legs (the bench account and the reserves
account), with every trigger on (immutability, balancing). The account's cached balance and
the reserves account's shard are moved to match. After each batch of 10^4 entries the real
checkpoint job (`athena_checkpoint_balances()`) runs, as it would periodically in
production, so the running balance of a middle page has a checkpoint within reach.

Then, for each size, it times `apps.accounts.statements.statement_page` (page query, anchor
query and running-balance window, as the API and the portal call it): the first page, a
deep page (cursor 100 postings above the oldest) and a middle page; median of --runs runs
after a warm-up. It prints the EXPLAIN shape of both queries of the first and the deep
page, the times in ms, the deep/first ratio per size and the 10^6/10^4 ratios.
Target: deep/first under 2, every page under 20 ms.

Uses DATABASE_URL when set, otherwise the embedded PostgreSQL of `make run`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "athena.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.accounts import services, statements  # noqa: E402
from apps.accounts.models import Account, Posting  # noqa: E402
from apps.core.documents import synthetic_cpf  # noqa: E402
from apps.core.models import User  # noqa: E402

BATCH = 10_000
PAGE = statements.DEFAULT_PAGE_SIZE
EMAIL = "statement-{size}@statement-bench.athena.example"  # not "@bench.athena.example"
COUNTERPART = "reserves_bacen"

# Posting i (1-based) of a bench account: a large opening credit, then three credits of
# R$ 5-15 for each debit of R$ 10-20 (Pix out), so the balance never goes below zero.
# (%% is the modulo operator: the queries go through the driver with parameters.)
AMOUNT = (
    "(CASE WHEN i = 1 THEN 100000000 WHEN i %% 4 = 0 THEN -(1000 + i %% 997)"
    " ELSE 500 + i %% 1013 END)::bigint"
)
KIND = (
    "CASE WHEN i %% 4 = 0 THEN 'pix_out' WHEN i %% 4 = 1 THEN 'pix_in'"
    " WHEN i %% 4 = 2 THEN 'deposit' ELSE 'book_transfer' END"
)

LOAD_SQL = f"""
WITH series AS (
    SELECT i, {AMOUNT} AS amount, {KIND} AS kind,
           %(start)s::timestamptz + i * %(step)s * interval '1 millisecond' AS created_at
      FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
), entries AS (
    INSERT INTO accounts_journalentry
        (kind, description, reference_type, reference_id, metadata, created_at)
    SELECT kind, 'Bench statement ' || i, 'bench_statement', %(tag)s || ':' || i,
           jsonb_build_object('amount', amount), created_at
      FROM series ORDER BY i
    RETURNING id, kind, created_at, (metadata ->> 'amount')::bigint AS amount
)
INSERT INTO accounts_posting (entry_id, account_id, amount, kind, created_at)
SELECT e.id, leg.account_id, leg.amount, e.kind, e.created_at
  FROM entries AS e
 CROSS JOIN LATERAL (VALUES (%(account)s::bigint, e.amount),
                            (%(counterpart)s::bigint, -e.amount)) AS leg(account_id, amount)
 ORDER BY e.id, leg.account_id = %(counterpart)s
"""

BATCH_TOTAL_SQL = (
    f"SELECT sum({AMOUNT}) FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i"
)


def bench_account(size: int) -> Account:
    email = EMAIL.format(size=size)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(
            username=f"statement-bench-{size}", email=email, full_name=f"Statement Bench {size}"
        )
        user.set_unusable_password()
        user.save()
    customer = getattr(user, "customer", None)
    if customer is None:
        n = size
        while services.customer_tax_id_taken(synthetic_cpf(n, salt=3)):
            n += 1
        customer = services.customer_register(
            user=user, full_name=f"Statement Bench {size}", tax_id=synthetic_cpf(n, salt=3)
        )
    account = customer.accounts.order_by("pk").first()
    return account or services.account_open(customer=customer)


def checkpoint(upto: int) -> None:
    """Run the checkpoint job until postings up to `upto` are final (two runs, normally:
    the first one takes the mark, the next one promotes it once no older transaction runs)."""
    for _ in range(600):
        with connection.cursor() as cursor:
            cursor.execute("SELECT athena_checkpoint_balances()")
            if cursor.fetchone()[0] >= upto:
                return
        time.sleep(0.1)
    print(f"  (checkpoint not final up to {upto}: a long transaction is running)", flush=True)


def ensure_postings(size: int) -> Account:
    account = bench_account(size)
    have = Posting.objects.filter(account_id=account.pk).count()
    if have >= size:
        return account
    counterpart = services.internal_account(COUNTERPART).pk
    first_at = Posting.objects.filter(account_id=account.pk).order_by("id").first()
    span = timedelta(days=730)
    start = (first_at.created_at if first_at else timezone.now() - span) - span / size
    step_ms = span.total_seconds() * 1000 / size
    print(f"loading {size - have} postings into account {account.pk} (once)...", flush=True)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_posting")  # plans of the triggers' lookups
    for first in range(have + 1, size + 1, BATCH):
        last = min(first + BATCH - 1, size)
        params = {
            "first": first,
            "last": last,
            "start": start,
            "step": step_ms,
            "tag": f"{account.pk}",
            "account": account.pk,
            "counterpart": counterpart,
        }
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(LOAD_SQL, params)
            cursor.execute(BATCH_TOTAL_SQL, params)
            total = int(cursor.fetchone()[0])
            cursor.execute(
                "UPDATE accounts_account SET balance = balance + %s WHERE id = %s",
                [total, account.pk],
            )
            cursor.execute(
                "INSERT INTO accounts_balanceshard AS s (account_id, shard, amount)"
                " VALUES (%s, 0, %s) ON CONFLICT (account_id, shard)"
                " DO UPDATE SET amount = s.amount + EXCLUDED.amount",
                [counterpart, -total],
            )
            cursor.execute("SELECT last_value FROM accounts_posting_id_seq")
            upto = cursor.fetchone()[0]
        checkpoint(upto)
        if (last // BATCH) % 10 == 0 or last == size:
            print(f"  {last:>9} postings  {time.perf_counter() - began:6.1f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE accounts_posting")
        cursor.execute("VACUUM ANALYZE accounts_journalentry")
        cursor.execute("ANALYZE accounts_balancecheckpoint")
    return account


def median_ms(fn, runs: int) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def plan_shape(sql: str, params) -> str:
    """The nodes of a plan, compact: 'Limit > Nested Loop > Index Scan posting_account_id_idx'."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    nodes = []
    for line in lines:
        text = line.strip().removeprefix("->  ")
        if text.startswith(("Filter", "Index Cond", "Sort Key", "Cache", "Join", "Hash Cond")):
            continue
        node = text.split("  (cost")[0]
        node = node.replace(" on accounts_posting", "").replace(" on accounts_journalentry", "")
        nodes.append(node)
    return " > ".join(nodes)


def check_plans(account_id: int, deep_before: int) -> None:
    for label, before_id in (("first", None), ("deep", deep_before)):
        sql, params = statements.statement_query_sql(account_id=account_id, before_id=before_id)
        page_plan = plan_shape(sql, params)
        page = statements.statement_page(account_id=account_id, before_id=before_id)
        sql, params = statements.running_balance_sql(
            account_id=account_id, lo=page.lines[-1].id, hi=page.lines[0].id
        )
        balance_plan = plan_shape(sql, params)
        print(f"  EXPLAIN {label:<5} page:    {page_plan}")
        print(f"  EXPLAIN {label:<5} balance: {balance_plan}")
        if (
            not page_plan.startswith("Limit")
            or "Sort" in page_plan
            or "posting_account_id_idx" not in page_plan
        ):
            print("  WARNING: the page is not an index range scan with LIMIT")


def check_balances(account_id: int, before_id: int | None) -> None:
    """The window's running balances equal plain sums of the postings (spot check)."""
    page = statements.statement_page(account_id=account_id, before_id=before_id)
    for line in (page.lines[0], page.lines[-1]):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT sum(amount) FROM accounts_posting WHERE account_id = %s AND id <= %s",
                [account_id, line.id],
            )
            assert cursor.fetchone()[0] == line.balance_after, line


def others_active() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )
        return cursor.fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sizes", default="10000,1000000")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    accounts = {size: ensure_postings(size) for size in sizes}
    server = connection.cursor().connection.info.parameter_status("server_version")
    print(f"server: PostgreSQL {server}; page of {PAGE} lines; median of {options.runs} runs")
    if others_active():
        print(f"note: {others_active()} other sessions are running queries on this server")
    results: dict[int, dict[str, float]] = {}
    for size, account in accounts.items():
        ids = Posting.objects.filter(account_id=account.pk).order_by("id")
        oldest = list(ids.values_list("id", flat=True)[:101])
        count = ids.count()
        middle = ids.values_list("id", flat=True)[count // 2]
        deep_before = oldest[100]  # the page just above the 100 oldest postings
        print(f"account {account.pk}: {count} postings")
        check_plans(account.pk, deep_before)
        for before_id in (None, middle, deep_before):
            check_balances(account.pk, before_id)
        timings = {
            "first": median_ms(
                lambda a=account.pk: statements.statement_page(account_id=a), options.runs
            ),
            "middle": median_ms(
                lambda a=account.pk, b=middle: statements.statement_page(account_id=a, before_id=b),
                options.runs,
            ),
            "deep": median_ms(
                lambda a=account.pk, b=deep_before: statements.statement_page(
                    account_id=a, before_id=b
                ),
                options.runs,
            ),
        }
        results[size] = timings
        print(
            f"{size:>9} postings: first page {timings['first']:6.2f} ms   "
            f"deep page {timings['deep']:6.2f} ms   middle page {timings['middle']:6.2f} ms   "
            f"deep/first {timings['deep'] / timings['first']:.2f}",
            flush=True,
        )
    if len(sizes) >= 2:
        small, large = results[min(sizes)], results[max(sizes)]
        print(
            f"{max(sizes)} vs {min(sizes)} postings: first page x"
            f"{large['first'] / small['first']:.2f}, deep page x{large['deep'] / small['deep']:.2f}"
        )


if __name__ == "__main__":
    main()
