"""Pix sends through the HTTP API, against book transfers of the ledger on the same machine.

    .venv/bin/python bench/pix_api.py [--seconds 30] [--clients 16] [--workers 4]
                                      [--server gunicorn|uvicorn] [--spi-latency 0,0]
                                      [--payees 200] [--reference-seconds 10]

Starts the application as deploy/ serves HTTP (gunicorn sync workers on athena.wsgi, one
persistent connection each; `--server uvicorn`: ASGI workers with a pool, as before),
with production settings (DEBUG off, behind a TLS-terminating proxy as nginx would be, told
by X-Forwarded-Proto) on loopback, against
a dedicated database (`athena_bench_pix` on the server of DATABASE_URL, or on the embedded
PostgreSQL of `make run`), migrated on first use. For each run it creates one customer per
client (companies, so BACEN's night limit for natural persons does not apply; KYC level 3;
funded; each with a random key at Athena) and makes sure the DICT simulator holds keys of
customers of other PSPs (`seed_dict`'s directory; only accounts the SPI simulator settles).

Each client signs in for real (allauth's login form: CSRF token, e-mail and password; the
session cookie and CSRF header then authenticate the API as the portal's would), then POSTs
`/api/v1/pix/transfers` with a fresh Idempotency-Key each time, to a random key at another
PSP, for the given time after a short warm-up. The SPI simulator answers inside the request
(after the debit commits), with the latency printed. Throttles are raised through their
environment settings so they never refuse a request (they still run), and so are the DICT
simulator's anti-scan buckets (every look-up of a payment spends a token and the simulator
has no payer refill fast enough for a benchmark).

Database connections under uvicorn: ASGI runs each request's synchronous code in a thread of
its own, and a persistent connection (CONN_MAX_AGE > 0) belongs to its thread: it is never
reused and stays open until the dead thread is collected (measured here: 4 workers held 58
connections after a few seconds and PostgreSQL refused more). settings.py therefore keeps
CONN_MAX_AGE at 0 there and the ASGI process takes a psycopg pool (DB_POOL_MAX_SIZE, per
worker process, as docker-compose's ws service sets it); --pool sets its size (0: none).

Then, on the same server with the same signed-in clients, two references for
`--reference-seconds` each: `GET /api/v1/me` (session auth and the middleware, no write) and
`POST /api/v1/transfers` (the ledger's book transfer through the same HTTP stack with its
Idempotency-Key): the ceiling of any money-moving endpoint here.

Then the server is stopped and bench/ledger_transfers.py's own measurement runs with the
same number of processes for the same time ("spread": random pairs of its 10.000 accounts,
created once in the same database). Prints requests/s, p50/p99 latency, errors, the outcome
of the transfers, the book-transfer rate and the API/ledger ratio.

Before the server starts, one Pix send and one book transfer go through Django's test client
in this process and their statements are counted (tests/support/statements.py); with
`--profile N`, N sends run under cProfile first and one send's statements are listed.

Targets (issue #17), same run, same server, 16 clients: Pix send >= 0.7 of the book
transfer's requests/s, Pix p99 <= 1.5x the book transfer's; at most 20 statements per send.
No assertions: figures only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BENCH_DATABASE = "athena_bench_pix"
KEYS_FILE = ROOT / "var" / "bench-pix-api-keys.json"
PASSWORD = "Bench#Pix#2026"  # noqa: S105 (throwaway customers of the bench database)
FUNDING = 10**10  # centavos per customer (R$ 100 million): nobody runs dry
UNLIMITED = "100000000/min"
BUCKET = str(10**9)


def _bench_keys() -> dict[str, str]:
    """SECRET_KEY and FIELD_ENCRYPTION_KEY of the bench database: production settings refuse
    the development ones. Generated once, kept beside the embedded database (var/)."""
    if KEYS_FILE.exists():
        return json.loads(KEYS_FILE.read_text())
    from cryptography.fernet import Fernet

    keys = {
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    KEYS_FILE.parent.mkdir(parents=True, exist_ok=True)
    KEYS_FILE.write_text(json.dumps(keys))
    KEYS_FILE.chmod(0o600)
    return keys


def _server_url() -> str:
    """The PostgreSQL server the other benches use: DATABASE_URL's, else the embedded one."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    from athena.embedded_pg import embedded_database_settings

    settings = embedded_database_settings(ROOT / "var" / "pgdata")  # keeps the server up
    return f"postgres://{settings['USER']}@{quote(settings['HOST'], safe='')}/{settings['NAME']}"


def _dedicated_database() -> str:
    """Create the bench database once; returns its URL."""
    import psycopg

    server = _server_url()
    parts = urlsplit(server)
    with psycopg.connect(server, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]
        ).fetchone()
        if found is None:
            conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return urlunsplit(parts._replace(path="/" + BENCH_DATABASE, query=""))


def _environment(spi_latency: str, pool: int) -> dict[str, str]:
    """The settings of this process and of the server: production shape, bench database."""
    return {
        **_bench_keys(),
        "DJANGO_SETTINGS_MODULE": "athena.settings",
        "DATABASE_URL": _dedicated_database(),
        "DEBUG": "false",
        "ATHENA_TESTING": "false",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "0",
        # The pool is the server's (start_server): this process forks the ledger bench's
        # workers, which must not inherit a pool.
        "BENCH_SERVER_POOL": str(pool),
        "THROTTLE_USER_RATE": UNLIMITED,
        "THROTTLE_IP_RATE": UNLIMITED,
        "PIX_DICT_CLIENT": "simulator",
        "PIX_SPI_CLIENT": "simulator",
        "PIX_DICT_BUCKET_PERSON": BUCKET,
        "PIX_DICT_BUCKET_COMPANY": BUCKET,
        "PIX_SPI_LATENCY_MS": spi_latency,
        "PIX_SPI_TIMEOUT_RATE": "0",
        # No Celery workers here: the kicks after commit (outbox, webhooks) go to an
        # in-process broker, so the API pays for publishing them and nothing more.
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="server worker processes")
    parser.add_argument(
        "--server",
        choices=("gunicorn", "uvicorn"),
        default="gunicorn",
        help="gunicorn: WSGI sync workers (how deploy/ serves HTTP); uvicorn: ASGI",
    )
    parser.add_argument(
        "--spi-latency", default="0,0", help='SPI simulator latency "min,max" ms ("5,40": real)'
    )
    parser.add_argument("--payees", type=int, default=200, help="keys at other PSPs to pay")
    parser.add_argument(
        "--pool",
        type=int,
        default=4,
        help="DB_POOL_MAX_SIZE: pooled connections per server process (0: none)",
    )
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds not measured")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        help="first profile N in-process sends (cProfile) and list one send's statements",
    )
    parser.add_argument(
        "--reference-seconds",
        type=float,
        default=10,
        help="then, on the same server: GET /api/v1/me and POST /api/v1/transfers (0: skip)",
    )
    return parser.parse_args()


OPTIONS = _options()
os.environ.update(_environment(OPTIONS.spi_latency, OPTIONS.pool))

import django  # noqa: E402

django.setup()

import ledger_transfers  # noqa: E402  (bench/ledger_transfers.py: the book-transfer measurement)
import requests  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.models import Count  # noqa: E402

from apps.accounts import services as account_services  # noqa: E402
from apps.accounts.models import Customer  # noqa: E402
from apps.core.documents import fake_cnpj  # noqa: E402
from apps.core.fsm import apply_transition  # noqa: E402
from apps.core.models import User  # noqa: E402
from apps.pix.codecs.keys import KeyType  # noqa: E402
from apps.pix.keys import services as pix_services  # noqa: E402
from apps.pix.models import PixTransfer  # noqa: E402
from apps.simulators.dict.seed import seed_directory  # noqa: E402
from apps.simulators.models import DictEntry  # noqa: E402
from apps.simulators.spi.simulator import other_psp_account_status  # noqa: E402

# --- Data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchCustomer:
    email: str
    account_id: int


def create_customers(count: int, run: str) -> list[BenchCustomer]:
    """Fresh customers for this run (limits count what an account sent today: reusing them
    run after run would bench a fuller month each time)."""
    from allauth.account.models import EmailAddress

    created = []
    for n in range(count):
        email = f"pix-{run}-{n:03d}@pix-bench.athena.example"
        user = User(username=f"pix-{run}-{n:03d}", email=email, full_name=f"Bench Pix {n}")
        user.set_password(PASSWORD)
        user.save()
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        rng = random.Random(f"{run}-{n}")
        while True:
            cnpj = fake_cnpj(rng)
            if not account_services.customer_tax_id_taken(cnpj):
                break
        customer = account_services.customer_register(
            user=user, full_name=f"Bench Pix {run} {n} Ltda", tax_id=cnpj
        )
        customer.refresh_from_db()  # registering may move it on (screening, onboarding)
        if customer.state == Customer.State.PENDING:
            apply_transition(customer, "activate", by="bench", reason="bench customer")
        Customer.objects.filter(pk=customer.pk).update(kyc_level=3)
        account = account_services.account_open(customer=customer)
        account_services.deposit(
            account_id=account.pk, amount_cents=FUNDING, description="bench funding", kind="ted_in"
        )
        pix_services.key_register(account=account, key_type=KeyType.EVP)
        created.append(BenchCustomer(email=email, account_id=account.pk))
    return created


def payee_keys(limit: int) -> list[str]:
    """Keys of other PSPs' customers whose accounts the SPI simulator settles to."""
    seed_directory()  # idempotent: the same directory every time
    own = settings.ATHENA_ISPB
    keys = [
        entry.key
        for entry in DictEntry.objects.exclude(participant=own).order_by("pk")
        if other_psp_account_status(entry.account_number) is None
    ]
    return keys[:limit]


# --- The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


APPLICATIONS = {"gunicorn": "athena.wsgi", "uvicorn": "athena.asgi"}


def server_command(server: str, port: int, workers: int) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of the server, as deploy/ runs it."""
    if server == "gunicorn":
        # One request at a time per process: a persistent connection per process, no pool.
        command = [
            sys.executable, "-m", "gunicorn", "athena.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            "--log-level", "warning",
        ]  # fmt: skip
        return command, {"DB_POOL_MAX_SIZE": "0", "DB_CONN_MAX_AGE": "600"}
    command = [
        sys.executable, "-m", "uvicorn", "athena.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--lifespan", "off", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return command, {"DB_POOL_MAX_SIZE": os.environ["BENCH_SERVER_POOL"]}


def start_server(server: str, port: int, workers: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("w")
    command, settings_env = server_command(server, port, workers)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **settings_env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped; see {log_path}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit(f"the server did not come up; see {log_path}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- Clients ------------------------------------------------------------------------------------


class Client:
    """One signed-in customer. Production cookies are Secure (the proxy speaks TLS to the
    browser); over loopback the client carries them itself, with the proxy's header."""

    def __init__(self, base: str, customer: BenchCustomer) -> None:
        self.base = base
        self.customer = customer
        self.http = requests.Session()
        self.http.trust_env = False
        self.origin = "https://" + urlsplit(base).netloc
        self.cookies: dict[str, str] = {}

    def _headers(self, path: str, **extra: str) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {
            "X-Forwarded-Proto": "https",
            "Referer": self.origin + path,
            "Cookie": cookie,
            **extra,
        }

    def _keep(self, response: requests.Response) -> None:
        for cookie in response.cookies:
            self.cookies[cookie.name] = cookie.value

    def login(self) -> None:
        path = "/accounts/login/"
        form = self.http.get(self.base + path, headers=self._headers(path), timeout=30)
        self._keep(form)
        answer = self.http.post(
            self.base + path,
            data={
                "login": self.customer.email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
            headers=self._headers(path),
            allow_redirects=False,
            timeout=30,
        )
        self._keep(answer)
        if answer.status_code != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login of {self.customer.email} failed: HTTP {answer.status_code}")

    def _post_json(self, path: str, body: dict) -> requests.Response:
        return self.http.post(
            self.base + path,
            data=json.dumps(body),
            headers=self._headers(
                path,
                **{
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "X-CSRFToken": self.cookies.get("csrftoken", ""),
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            ),
            timeout=60,
        )

    def me(self) -> requests.Response:
        path = "/api/v1/me"
        return self.http.get(self.base + path, headers=self._headers(path), timeout=60)

    def book_transfer(self, destination_id: int, amount_cents: int) -> requests.Response:
        """The ledger's own operation through the same HTTP stack (auth, idempotency)."""
        return self._post_json(
            "/api/v1/transfers",
            {
                "source_account": self.customer.account_id,
                "destination_account": destination_id,
                "amount": f"{amount_cents // 100}.{amount_cents % 100:02d}",
            },
        )

    def send_pix(self, key: str, amount_cents: int) -> requests.Response:
        body = {
            "account": self.customer.account_id,
            "key": key,
            "amount": f"{amount_cents // 100}.{amount_cents % 100:02d}",
            "description": "bench",
        }
        return self._post_json("/api/v1/pix/transfers", body)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    client_cores: float = 0.0  # CPU the load generator itself used, in cores


def run_clients(
    clients: list[Client],
    call: Callable[[Client, random.Random], requests.Response],
    warmup: float,
    seconds: float,
    expected: int = 201,
) -> Tally:
    tally = Tally()
    start = time.monotonic() + 0.5
    measured_from = start + warmup
    deadline = measured_from + seconds

    def work(client: Client, seed: int) -> None:
        rng = random.Random(seed)
        latencies, errors, statuses, samples = [], 0, {}, []
        while time.monotonic() < start:
            time.sleep(0.001)
        while True:
            began = time.monotonic()
            if began >= deadline:
                break
            try:
                response = call(client, rng)
                ok = response.status_code == expected
                label = response.json().get("state", "ok") if ok else f"HTTP {response.status_code}"
            except (requests.RequestException, ValueError) as exc:
                ok, label, response = False, type(exc).__name__, None
            if began < measured_from:
                continue
            latencies.append(time.monotonic() - began)
            statuses[label] = statuses.get(label, 0) + 1
            if not ok:
                errors += 1
                if len(samples) < 3:
                    samples.append(f"{label}: {response.text[:300] if response else ''}")
        with tally.lock:
            tally.latencies.extend(latencies)
            tally.errors += errors
            for label, count in statuses.items():
                tally.statuses[label] = tally.statuses.get(label, 0) + count
            tally.samples.extend(samples[: max(0, 5 - len(tally.samples))])

    threads = [
        threading.Thread(target=work, args=(client, n), daemon=True)
        for n, client in enumerate(clients)
    ]
    wall, cpu = time.monotonic(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.client_cores = (time.process_time() - cpu) / (time.monotonic() - wall)
    return tally


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * fraction) - 1, 0)]


@dataclass(frozen=True)
class Figures:
    rate: float
    p50: float
    p99: float
    errors: int
    count: int
    client_cores: float


def figures_of(tally: Tally, seconds: float) -> Figures:
    count = len(tally.latencies)
    if not count:
        return Figures(0.0, float("nan"), float("nan"), tally.errors, 0, tally.client_cores)
    return Figures(
        count / seconds,
        statistics.median(tally.latencies) * 1000,
        percentile(tally.latencies, 0.99) * 1000,
        tally.errors,
        count,
        tally.client_cores,
    )


def run_references(clients: list[Client], options: argparse.Namespace) -> list[tuple]:
    """What the same server and clients do without Pix: the ceiling of the HTTP stack."""
    seconds = options.reference_seconds
    accounts = [client.customer.account_id for client in clients]

    def book(client: Client, rng: random.Random) -> requests.Response:
        others = [a for a in accounts if a != client.customer.account_id]
        return client.book_transfer(rng.choice(others), rng.randint(1, 1_000))

    me = run_clients(clients, lambda client, rng: client.me(), 1.0, seconds, expected=200)
    transfers = run_clients(clients, book, 1.0, seconds)
    return [
        ("GET /api/v1/me", figures_of(me, seconds)),
        ("POST /api/v1/transfers", figures_of(transfers, seconds)),
    ]


def statements_per_send(customer: BenchCustomer, keys: list[str]) -> tuple[int, int]:
    """Statements one Pix send and one book transfer send to PostgreSQL, counted in this
    process through Django's test client (the same middleware, session and view as the
    server's; tests/support/statements.py counts at psycopg's cursor), steady state."""
    from django.test import Client as DjangoClient

    from tests.support.statements import counted_statements

    user = User.objects.get(email=customer.email)
    client = DjangoClient(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(user)
    other = Customer.objects.exclude(user=user).filter(accounts__isnull=False).first()

    def post(url: str, body: dict):
        return client.post(
            url,
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            secure=True,
        )

    pix = {"account": customer.account_id, "amount": "1.00"}
    book = {
        "source_account": customer.account_id,
        "destination_account": other.accounts.first().pk,
        "amount": "0.01",
    }
    counts = []
    for url, body in (("/api/v1/pix/transfers", pix), ("/api/v1/transfers", book)):
        for attempt in range(2):  # the first warms the per-process caches
            if url.endswith("pix/transfers"):
                body = {**body, "key": keys[attempt]}
            with counted_statements() as statements:
                response = post(url, body)
            if response.status_code != 201:
                raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
        counts.append(len(statements))
    return counts[0], counts[1]


def profile_sends(customer: BenchCustomer, keys: list[str], count: int) -> None:
    """cProfile over `count` in-process sends (Django's test client, the server's stack
    without the WSGI server), the functions by own and cumulative time, and one send's
    statements."""
    import cProfile
    import io
    import pstats

    from django.test import Client as DjangoClient

    from tests.support.statements import counted_statements

    client = DjangoClient(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    client.force_login(User.objects.get(email=customer.email))

    def send(key: str):
        return client.post(
            "/api/v1/pix/transfers",
            {"account": customer.account_id, "amount": "1.00", "key": key},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            secure=True,
        )

    send(keys[0])
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for n in range(count):
        send(keys[n % len(keys)])
    profiler.disable()
    elapsed = (time.perf_counter() - began) / count * 1000
    print(f"profile: {count} sends in-process, {elapsed:.2f} ms each (profiler on)", flush=True)
    top = int(os.environ.get("BENCH_TOP", "25"))
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(top)
        print(out.getvalue(), flush=True)
    if os.environ.get("BENCH_OWN"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats("apps/", 45)
        print(out.getvalue(), flush=True)
    if os.environ.get("BENCH_CALLERS"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).print_callers(os.environ["BENCH_CALLERS"])
        print(out.getvalue(), flush=True)
    with counted_statements() as statements:
        send(keys[1])
    print(f"one send's statements ({len(statements)}):\n{statements.listing()}", flush=True)


# --- Main -----------------------------------------------------------------------------------------


def main() -> None:
    options = OPTIONS
    print(f"database {BENCH_DATABASE}: migrating (quick when up to date)...", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    run = time.strftime("%m%d%H%M%S")
    customers = create_customers(options.clients, run)
    keys = payee_keys(options.payees)
    participants = DictEntry.objects.filter(key__in=keys).values("participant").distinct().count()
    ledger_payers, _merchant = ledger_transfers.ensure_accounts()
    if options.profile:
        profile_sends(customers[0], keys, options.profile)
    pix_statements, book_statements = statements_per_send(customers[0], keys)
    print(
        f"statements per request (in-process, steady state): Pix send {pix_statements} "
        f"(target <= 20), book transfer {book_statements}",
        flush=True,
    )
    server_version = connection.cursor().connection.info.parameter_status("server_version")
    connections.close_all()

    port = free_port()
    log_path = ROOT / "var" / "bench-pix-api-server.log"
    print(
        f"server: {options.server} ({APPLICATIONS[options.server]}), "
        f"{options.workers} workers on 127.0.0.1:{port}, "
        f"DEBUG off, behind X-Forwarded-Proto https; PostgreSQL {server_version}, "
        f"database {BENCH_DATABASE}",
        flush=True,
    )
    print(
        f"SPI simulator latency {options.spi_latency} ms (timeouts 0); DICT simulator buckets "
        f"{BUCKET} tokens; throttles user {UNLIMITED}, ip {UNLIMITED}; "
        + (
            "one persistent connection per worker"
            if options.server == "gunicorn"
            else f"DB_POOL_MAX_SIZE {options.pool} per process"
        ),
        flush=True,
    )
    print(
        f"{len(customers)} customers (companies, KYC 3, one client each, signed in through "
        f"/accounts/login/); {len(keys)} payee keys at {participants} other PSPs",
        flush=True,
    )
    server = start_server(options.server, port, options.workers, log_path)
    try:
        base = f"http://127.0.0.1:{port}"
        clients = [Client(base, customer) for customer in customers]
        for client in clients:
            client.login()
        since = time.time()
        tally = run_clients(
            clients,
            lambda client, rng: client.send_pix(rng.choice(keys), rng.randint(1, 1_000)),
            options.warmup,
            options.seconds,
        )
        references = run_references(clients, options) if options.reference_seconds else []
    finally:
        stop_server(server)

    count = len(tally.latencies)
    rate = count / options.seconds
    p50 = statistics.median(tally.latencies) * 1000 if count else float("nan")
    p99 = percentile(tally.latencies, 0.99) * 1000 if count else float("nan")
    print(
        f"API POST /api/v1/pix/transfers  clients={options.clients:>2}  {rate:8.0f} requests/s  "
        f"p50 {p50:.2f} ms  p99 {p99:.2f} ms  errors {tally.errors} of {count}",
        flush=True,
    )
    print(f"  answers: {dict(sorted(tally.statuses.items()))}", flush=True)
    print(
        f"  load generator (this process's threads): {tally.client_cores:.2f} of a core",
        flush=True,
    )
    for sample in tally.samples:
        print(f"  error sample: {sample}", flush=True)
    if tally.errors:
        print(f"  server errors are logged in {log_path}", flush=True)
    states = dict(
        PixTransfer.objects.filter(
            account_id__in=[c.account_id for c in customers],
            created_at__gte=datetime.fromtimestamp(since, UTC),
        )
        .values_list("state")
        .order_by("state")
        .annotate(n=Count("pk"))
    )
    print(f"  transfers now (warm-up included): {states}", flush=True)
    connections.close_all()

    ledger = ledger_transfers.run_ledger(options.clients, options.seconds, ledger_payers, None)
    print(
        f"ledger book_transfer spread  clients={options.clients:>2}  {ledger['rate']:8.0f} "
        f"transfers/s  p50 {ledger['p50']:.2f} ms  p99 {ledger['p99']:.2f} ms  "
        f"({ledger['count']} transfers, {ledger['refused']} refused)",
        flush=True,
    )
    for label, reference in references:
        print(
            f"reference {label:<26} {reference.rate:8.0f} requests/s  p50 {reference.p50:.2f} "
            f"ms  p99 {reference.p99:.2f} ms  errors {reference.errors} of {reference.count}  "
            f"(/ledger: {reference.rate / ledger['rate']:.2f}; load generator "
            f"{reference.client_cores:.2f} of a core)",
            flush=True,
        )
    ratio = rate / ledger["rate"] if ledger["rate"] else float("nan")
    print(f"API/ledger at {options.clients} clients: {ratio:.2f}", flush=True)
    book = dict(references).get("POST /api/v1/transfers")
    if book is not None and book.rate:
        rate_ratio, p99_ratio = rate / book.rate, p99 / book.p99
        print(
            f"Pix send / book transfer over HTTP, same server and clients: requests/s "
            f"{rate_ratio:.2f} (target >= 0.7: {'met' if rate_ratio >= 0.7 else 'missed'}); "
            f"p99 {p99_ratio:.2f}x (target <= 1.5x: {'met' if p99_ratio <= 1.5 else 'missed'})",
            flush=True,
        )


if __name__ == "__main__":
    main()
