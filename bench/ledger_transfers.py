"""Book transfers through the ledger service, against pgbench TPC-B on the same server.

    .venv/bin/python bench/ledger_transfers.py [--seconds 30] [--clients 1,4,16]

For each client count: N processes call `services.book_transfer` in a loop for the given
time, over random pairs of 10.000 accounts ("spread"), and again with every payer paying
one merchant account ("one merchant"). Then pgbench TPC-B (scale 10, -M prepared) runs with
the same client counts on the same PostgreSQL server. Prints transfers/s and p50/p99 latency
for each run; the last line is `ledger/pgbench at 4 clients: R`.

Uses DATABASE_URL when set, otherwise the embedded PostgreSQL of `make run`. The bench's
accounts live in the database it runs on (customers named "Bench ..."), created once.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "athena.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402

from apps.accounts import ledger, services  # noqa: E402
from apps.accounts.models import Account, Customer  # noqa: E402
from apps.core.documents import synthetic_cpf  # noqa: E402
from apps.core.models import User  # noqa: E402

ACCOUNTS = 10_000
FUNDING = 10**12  # centavos per account: nobody runs dry during a run
BENCH_EMAIL = "bench{:05d}@bench.athena.example"


def ensure_accounts() -> tuple[list[int], int]:
    """10.000 funded payer accounts and one merchant, created once and reused."""
    existing = list(
        Account.objects.filter(customer__user__email__endswith="@bench.athena.example")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(existing) >= ACCOUNTS + 1:
        return existing[:ACCOUNTS], existing[ACCOUNTS]
    print(f"creating {ACCOUNTS + 1} bench accounts (once)...", flush=True)
    from apps.accounts.services import tax_id_lookup_hash

    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(username=f"bench{n:05d}", email=BENCH_EMAIL.format(n), full_name=f"Bench {n}")
                for n in range(ACCOUNTS + 1)
            ]
        )
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    user=user,
                    kind="person",
                    full_name=user.full_name,
                    tax_id=synthetic_cpf(n, salt=2),
                    tax_id_hash=tax_id_lookup_hash(synthetic_cpf(n, salt=2)),
                    state="active",
                )
                for n, user in enumerate(users)
            ]
        )
        for customer in customers:
            services.account_open(customer=customer)
    ids = list(
        Account.objects.filter(customer__in=customers).order_by("pk").values_list("pk", flat=True)
    )
    for account_id in ids[:ACCOUNTS]:
        services.deposit(account_id=account_id, amount_cents=FUNDING, description="bench funding")
    with connection.cursor() as cursor:  # fresh tables: give the planner real statistics
        for table in ("accounts_account", "accounts_balanceshard", "accounts_posting"):
            cursor.execute(f"ANALYZE {table}")
    return ids[:ACCOUNTS], ids[ACCOUNTS]


def _worker(payers, merchant, seconds, seed, start_at, results):
    connections.close_all()  # never share the parent's socket
    rng = random.Random(seed)
    latencies = []
    refused = 0
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    while True:
        source = rng.choice(payers)
        destination = merchant if merchant else rng.choice(payers)
        if destination == source:
            continue
        started = time.perf_counter()
        try:
            services.book_transfer(
                source_id=source, destination_id=destination, amount_cents=rng.randint(1, 10_000)
            )
        except ledger.InsufficientFunds:
            refused += 1
        latencies.append(time.perf_counter() - started)
        if time.time() >= deadline:
            break
    connections.close_all()
    results.put((latencies, refused))


def run_ledger(clients: int, seconds: float, payers: list[int], merchant: int | None) -> dict:
    connections.close_all()
    ctx = mp.get_context("fork")
    results = ctx.Queue()
    start_at = time.time() + 1.0
    processes = [
        ctx.Process(target=_worker, args=(payers, merchant, seconds, i, start_at, results))
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    latencies: list[float] = []
    refused = 0
    for _ in processes:
        chunk, chunk_refused = results.get()
        latencies.extend(chunk)
        refused += chunk_refused
    for process in processes:
        process.join()
    latencies.sort()
    return {
        "rate": len(latencies) / seconds,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "count": len(latencies),
        "refused": refused,
    }


def pgbench_args() -> tuple[list[str], dict[str, str]]:
    settings = connection.settings_dict
    binary = shutil.which("pgbench")
    if settings["HOST"].startswith("/"):
        # The embedded server: use the pgbench shipped with it (same major version).
        import pgserver

        candidate = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
        binary = str(candidate) if candidate.exists() else binary
    if binary is None:
        raise SystemExit("pgbench not found")
    args = [binary, "-h", settings["HOST"], "-U", settings["USER"]]
    if settings.get("PORT"):
        args += ["-p", str(settings["PORT"])]
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = settings["PASSWORD"]
    return args, env


def run_pgbench(clients_list: list[int], seconds: float) -> dict[int, float]:
    args, env = pgbench_args()
    database = "athena_pgbench"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE DATABASE {database}")
    subprocess.run(
        [*args, "-i", "-s", "10", "-q", database], env=env, check=True, capture_output=True
    )
    rates = {}
    for clients in clients_list:
        out = subprocess.run(
            [
                *args,
                "-M",
                "prepared",
                "-c",
                str(clients),
                "-j",
                str(min(clients, 2)),
                "-T",
                str(int(seconds)),
                database,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
        latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
        rates[clients] = tps
        print(
            f"pgbench TPC-B   clients={clients:>2}  {tps:9.0f} tps   latency avg {latency:.2f} ms",
            flush=True,
        )
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", default="1,4,16")
    options = parser.parse_args()
    clients_list = [int(c) for c in options.clients.split(",")]
    payers, merchant = ensure_accounts()
    print(
        f"server: {connection.cursor().connection.info.parameter_status('server_version')}, "
        f"{options.seconds:.0f}s per run",
        flush=True,
    )
    spread: dict[int, dict] = {}
    for clients in clients_list:
        for label, target in (("spread", None), ("one merchant", merchant)):
            result = run_ledger(clients, options.seconds, payers, target)
            if target is None:
                spread[clients] = result
            print(
                f"ledger {label:<12} clients={clients:>2}  {result['rate']:9.0f} transfers/s  "
                f"p50 {result['p50']:.2f} ms  p99 {result['p99']:.2f} ms  "
                f"({result['count']} transfers, {result['refused']} refused)",
                flush=True,
            )
            if target is not None:
                ratio = result["rate"] / spread[clients]["rate"]
                print(f"one merchant / spread at {clients} clients: {ratio:.2f}", flush=True)
    pgbench = run_pgbench(clients_list, options.seconds)
    reference = 4 if 4 in clients_list else clients_list[0]
    print(
        f"ledger/pgbench at {reference} clients: "
        f"{spread[reference]['rate'] / pgbench[reference]:.2f}"
    )


if __name__ == "__main__":
    main()
