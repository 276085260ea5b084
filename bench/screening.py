"""Sanctions screening throughput against the full OFAC and UN lists.

    .venv/bin/python bench/screening.py [--names 10000] [--listed 0.3]

Uses a dedicated database (`athena_bench_screening` on the server of DATABASE_URL, or on the
embedded PostgreSQL of `make run`), migrated on first use, and loads the OFAC and UN copies
shipped in data/sanctions/ there (once: a re-run with the same files is a no-op). Then it
screens N names through `apps.compliance.services.screen` - the function the API and the
payment flows call - in one process: a mix of variants of listed names (reordered, accented,
one or two letters changed, aliases) and common Brazilian names. Prints the index build
time, names/s, and the hit counts of both groups. Target: >= 1000 names/s.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DATABASE = "athena_bench_screening"

FIRST = [
    "Maria", "José", "Ana", "João", "Antônio", "Francisco", "Carlos", "Paulo", "Pedro",
    "Lucas", "Luiz", "Marcos", "Gabriel", "Rafael", "Daniel", "Marcelo", "Bruno", "Eduardo",
    "Felipe", "Raimundo", "Rodrigo", "Manoel", "Mateus", "André", "Fernando", "Fábio",
    "Juliana", "Márcia", "Fernanda", "Patrícia", "Aline", "Sandra", "Camila", "Amanda",
    "Bruna", "Jéssica", "Letícia", "Júlia", "Luciana", "Vanessa", "Mariana", "Gabriela",
    "Vitória", "Larissa", "Cláudia", "Beatriz", "Rita", "Sônia", "Renata", "Eliane",
]  # fmt: skip
LAST = [
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira",
    "Lima", "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes",
    "Soares", "Fernandes", "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade",
    "Moreira", "Nunes", "Marques", "Machado", "Mendes", "Freitas", "Cardoso", "Ramos",
    "Gonçalves", "Santana", "Teixeira", "Araújo", "Melo", "Moura", "Cavalcanti", "Correia",
    "Castro", "Pinto", "Monteiro", "Batista", "Medeiros",
]  # fmt: skip


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return url
    from athena.embedded_pg import embedded_database_settings

    settings = embedded_database_settings(ROOT / "var" / "pgdata")  # keeps the server up
    return f"postgres://{settings['USER']}@{quote(settings['HOST'], safe='')}/{settings['NAME']}"


def _dedicated_database() -> str:
    import psycopg

    server = _server_url()
    with psycopg.connect(server, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DATABASE]
        ).fetchone()
        if found is None:
            conn.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return urlunsplit(urlsplit(server)._replace(path="/" + BENCH_DATABASE, query=""))


def _variant(name: str, rng: random.Random) -> str:
    tokens = name.replace(",", " ").split()
    kind = rng.randrange(4)
    if kind == 0:  # reordered
        rng.shuffle(tokens)
        return " ".join(tokens)
    if kind == 1:  # accented
        table = str.maketrans({"a": "á", "e": "é", "o": "ô", "A": "Á", "E": "É", "O": "Ô"})
        return " ".join(t.translate(table) if rng.random() < 0.5 else t for t in tokens)
    text = list(" ".join(tokens))
    for _ in range(kind - 1):  # one or two letters changed (not the first one)
        letters = [i for i, c in enumerate(text) if c.isalpha()][1:]
        if letters:
            text[rng.choice(letters)] = rng.choice("aeiourlnst")
    return "".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--listed", type=float, default=0.3, help="share of listed variants")
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()

    os.environ["DATABASE_URL"] = _dedicated_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "athena.settings")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"  # the post-import rescreen, inline
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from apps.compliance import services
    from apps.compliance.models import EntryName, ListVersion

    print(f"database {BENCH_DATABASE}: migrating (quick when up to date)...", flush=True)
    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    loaded = services.load_shipped_lists()
    if loaded:
        print(f"imported the shipped lists in {time.perf_counter() - started:.1f} s")
    versions = list(ListVersion.objects.filter(is_active=True).order_by("source"))
    for version in versions:
        print(f"  {version.source}: {version.entry_count} entries (version {version.pk})")
    names_total = EntryName.objects.filter(entry__version__in=versions).count()

    rng = random.Random(options.seed)
    listed_names = list(
        EntryName.objects.filter(entry__version__in=versions, entry__kind="individual").values_list(
            "name", flat=True
        )
    )
    n_listed = int(options.names * options.listed)
    listed = [_variant(rng.choice(listed_names), rng) for _ in range(n_listed)]
    brazilian = []
    for _ in range(options.names - n_listed):
        parts = [rng.choice(FIRST)]
        if rng.random() < 0.4:
            parts.append(rng.choice(["da", "de", "dos", *LAST]))
        parts.append(rng.choice(LAST))
        brazilian.append(" ".join(parts))

    started = time.perf_counter()
    services.screen("warm up")  # builds the process's index
    build = time.perf_counter() - started
    print(f"index of {names_total} names built in {build:.2f} s")

    mixed = [(True, n) for n in listed] + [(False, n) for n in brazilian]
    rng.shuffle(mixed)
    hits = {True: 0, False: 0}
    started = time.perf_counter()
    for is_listed, name in mixed:
        if services.screen(name):
            hits[is_listed] += 1
    elapsed = time.perf_counter() - started
    rate = len(mixed) / elapsed
    server = connection.cursor().connection.info.parameter_status("server_version")
    print(f"PostgreSQL {server}, threshold {services.alert_threshold()}")
    print(f"screened {len(mixed)} names in {elapsed:.2f} s: {rate:.0f} names/s (target >= 1000)")
    print(
        f"hits: {hits[True] + hits[False]} - listed variants {hits[True]}/{len(listed)} "
        f"({hits[True] / max(len(listed), 1):.1%}), Brazilian names {hits[False]}/"
        f"{len(brazilian)} ({hits[False] / max(len(brazilian), 1):.2%})"
    )
    print(f"screening names/s: {rate:.0f} {'ok' if rate >= 1000 else 'BELOW TARGET'}")


if __name__ == "__main__":
    main()
