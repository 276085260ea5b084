"""ISO 8583 authorizations over TCP against the card authorization server, and the ledger's
book-transfer rate in the same run.

    .venv/bin/python bench/card_auth.py [--seconds 20] [--connections 16] [--cards 5000]
        [--workers 8] [--processes 1]

Starts `manage.py card_auth_server` on a free loopback port (a subprocess: its own GIL),
then N acquirer connections (asyncio, one process) each send 0100s one after the other for
the given time, at random over `--cards` funded cards (virtual, KYC level 3 so the money
gate's limits do not refuse; R$ 1 to R$ 100 each), measuring each answer's latency. Prints
authorizations/s, p50/p99, the response codes; then, as references of the same run, 0800
network echoes on the same server and connections for half the time (the transport floor:
framing, the worker threads, no decision) and bench/ledger_transfers.py's book transfers
(its accounts and `run_ledger`, "spread") with N processes for the same time, and the
ratio. Targets: p99 < 50 ms at 16 connections; authorizations/s >= 0.3 of
the ledger's transfers/s.

The cards are issued once on ledger_transfers.py's bench accounts and reused. Uses
DATABASE_URL when set, otherwise the embedded PostgreSQL of `make run`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ledger_transfers as ledger_bench
from django.db import connections

from apps.accounts.models import Account, Customer
from apps.cards.iso import codec
from apps.cards.models import Card
from apps.cards.services import card_issue

ROOT = ledger_bench.ROOT


def ensure_cards(count: int) -> list[tuple[str, str]]:
    """(PAN, expiry) of `count` active cards on the ledger bench's funded accounts. The PANs
    are read back from their encrypted column for this process only (never printed)."""
    payers, _ = ledger_bench.ensure_accounts()
    account_ids = payers[:count]
    cards = list(
        Card.objects.filter(account_id__in=account_ids, state=Card.State.ACTIVE).order_by("pk")
    )
    have = {card.account_id for card in cards}
    missing = [pk for pk in account_ids if pk not in have]
    if missing:
        print(f"issuing {len(missing)} bench cards (once)...", flush=True)
        Customer.objects.filter(accounts__pk__in=account_ids).update(kyc_level=3)
        for account in Account.objects.filter(pk__in=missing).select_related("customer"):
            card_issue(customer=account.customer, account_id=account.pk, kind="virtual")
        cards = list(
            Card.objects.filter(account_id__in=account_ids, state=Card.State.ACTIVE).order_by("pk")
        )
    return [(card.pan_encrypted, card.expiry) for card in cards]


def busy_cpu_seconds() -> float:
    """CPU time the whole machine spent busy so far (/proc/stat: everything but idle and
    I/O wait), to divide by the operations of a phase: server, PostgreSQL and clients
    together, the same way for the authorizations and the book transfers."""
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except OSError:
        return float("nan")
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, workers: int, processes: int) -> list[subprocess.Popen]:
    env = {**os.environ, "LOG_LEVEL": "WARNING", "DEBUG": os.environ.get("DEBUG", "true")}
    command = [sys.executable, "manage.py", "card_auth_server", "--port", str(port)]
    command += ["--workers", str(workers)]
    if processes > 1:
        command += ["--processes", str(processes)]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return [server]
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the card authorization server did not start")


def message(pan: str, expiry: str, amount: int, stan: int, rrn: str, terminal: str) -> bytes:
    return codec.frame(
        codec.encode(
            {
                "t": "0100",
                "2": pan,
                "3": "000000",
                "4": f"{amount:012d}",
                "7": time.strftime("%m%d%H%M%S"),
                "11": f"{stan % 10**6:06d}",
                "14": expiry,
                "18": "5411",
                "22": "051",
                "37": rrn,
                "41": terminal,
                "42": "BENCHMERCHANT01",
                "43": f"{'BENCH MERCADO':<25}{'SAO PAULO':<13}BR",
                "49": "986",
            }
        )
    )


def echo(stan: int) -> bytes:
    """An 0800 network echo (DE 70 301): the server's transport floor, no decision."""
    return codec.frame(
        codec.encode(
            {
                "t": "0800",
                "7": time.strftime("%m%d%H%M%S"),
                "11": f"{stan % 10**6:06d}",
                "70": "301",
            }
        )
    )


async def acquirer(n, port, cards, deadline, run_tag, latencies, codes, echo_only=False) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    # Seeded per run too: a run must not hit the cards the previous run hit (their velocity
    # windows would decline them as fraud, 59, which is not what this measures).
    rng = random.Random(f"{run_tag}-{n}")
    terminal = f"BENCH{n:03d}"
    count = 0
    while time.time() < deadline:
        count += 1
        pan, expiry = rng.choice(cards)
        rrn = f"{run_tag}{n:03d}{count:05d}"[-12:]
        if echo_only:
            data = echo(count)
        else:
            data = message(pan, expiry, rng.randint(100, 10_000), count, rrn, terminal)
        started = time.perf_counter()
        writer.write(data)
        await writer.drain()
        header = await reader.readexactly(2)
        answer = codec.decode(await reader.readexactly(codec.HEADER.unpack(header)[0]))
        latencies.append(time.perf_counter() - started)
        codes[answer.get("39", "??")] += 1
    writer.close()
    await writer.wait_closed()


async def run_acquirers(connections_count, port, cards, seconds, echo_only=False):
    latencies: list[float] = []
    codes: collections.Counter = collections.Counter()
    run_tag = f"{int(time.time()) % 10000:04d}"
    # Warm up: every worker thread opens its connection before the clock starts.
    warm = time.time() + 2
    await asyncio.gather(
        *(acquirer(900 + n, port, cards, warm, run_tag, [], codes) for n in range(4))
    )
    codes.clear()
    started = time.time()
    busy = busy_cpu_seconds()
    deadline = started + seconds
    await asyncio.gather(
        *(
            acquirer(n, port, cards, deadline, run_tag, latencies, codes, echo_only)
            for n in range(connections_count)
        )
    )
    elapsed = time.time() - started
    busy = busy_cpu_seconds() - busy
    latencies.sort()
    return {
        "cpu_ms": busy * 1000 / max(len(latencies), 1),
        "busy": busy / elapsed,
        "rate": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "count": len(latencies),
        "codes": dict(codes.most_common()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--skip-ledger", action="store_true")
    options = parser.parse_args()
    cards = ensure_cards(options.cards)
    connections.close_all()
    port = free_port()
    servers = start_server(port, options.workers, options.processes)
    try:
        result = asyncio.run(run_acquirers(options.connections, port, cards, options.seconds))
        floor = asyncio.run(
            run_acquirers(options.connections, port, cards, options.seconds / 2, echo_only=True)
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(30)
    print(
        f"card authorizations  connections={options.connections:>2}  "
        f"{result['rate']:9.0f} authorizations/s  p50 {result['p50']:.2f} ms  "
        f"p99 {result['p99']:.2f} ms  ({result['count']} answers, codes {result['codes']}; "
        f"{len(cards)} cards, {options.workers} workers x {options.processes} process)",
        flush=True,
    )
    print(
        f"  machine CPU per authorization {result['cpu_ms']:.2f} ms "
        f"(busy {result['busy']:.2f} of {os.cpu_count()} cores)",
        flush=True,
    )
    print(
        f"reference: 0800 echoes on the same server  {floor['rate']:9.0f} echoes/s  "
        f"p50 {floor['p50']:.2f} ms  p99 {floor['p99']:.2f} ms",
        flush=True,
    )
    if options.skip_ledger:
        return
    payers, _ = ledger_bench.ensure_accounts()
    busy = busy_cpu_seconds()
    ledger = ledger_bench.run_ledger(options.connections, options.seconds, payers, None)
    # The workers start a second after the call; the window includes that idle second.
    busy = busy_cpu_seconds() - busy
    print(
        f"ledger book transfers clients={options.connections:>2}  {ledger['rate']:9.0f} "
        f"transfers/s  p50 {ledger['p50']:.2f} ms  p99 {ledger['p99']:.2f} ms\n"
        f"  machine CPU per transfer {busy * 1000 / max(ledger['count'], 1):.2f} ms",
        flush=True,
    )
    print(
        f"authorizations/ledger at {options.connections} connections: "
        f"{result['rate'] / ledger['rate']:.2f}  (target >= 0.30); "
        f"p99 {result['p99']:.1f} ms (target < 50)"
    )


if __name__ == "__main__":
    main()
