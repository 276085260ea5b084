"""Boleto code decoding throughput: the pure codec, no Django, no database.

    .venv/bin/python bench/boleto_decode.py [--codes 100000] [--runs 5] [--seed 12]

Pre-generates N distinct valid codes outside the timing - a third 47-digit bank linhas (half
printed with dots and spaces), a third 44-digit barcodes (bank and collection) and a third
48-digit collection linhas (mod 10 and mod 11, half printed with hyphens) - then times
`apps.boleto.codecs.codes.decode` over all of them, best of `--runs`, and prints decodes/s.
Nothing is cached between calls: every code is distinct and decoded in full (every check
digit, the factor's date). Target: >= 100,000 decodes/s.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.boleto.codecs.codes import (  # noqa: E402
    bank_barcode,
    collection_barcode,
    decode,
    format_linha,
    linha_from_barcode,
)

TODAY = date(2026, 6, 1)
BANKS = ("001", "033", "104", "237", "341", "332", "756", "748")


def _digits(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(length))


def _bank(rng: random.Random) -> str:
    due = None if rng.random() < 0.05 else TODAY + timedelta(days=rng.randint(-2900, 5400))
    return bank_barcode(
        bank_code=rng.choice(BANKS),
        amount_cents=rng.randint(0, 10**8),
        due_date=due,
        free_field=_digits(rng, 25),
    )


def _collection(rng: random.Random) -> str:
    return collection_barcode(
        segment=rng.choice("1234569"),
        value_id=rng.choice("6789"),
        value=rng.randint(0, 10**7),
        free_field=_digits(rng, 29),
    )


def generate(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    codes: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        kind = len(out) % 3
        if kind == 0:  # bank linha, 47 digits
            code = linha_from_barcode(_bank(rng))
        elif kind == 1:  # barcode, 44 digits: 3 bank for 1 collection
            code = _bank(rng) if rng.random() < 0.75 else _collection(rng)
        else:  # collection linha, 48 digits
            code = linha_from_barcode(_collection(rng))
        if kind != 1 and rng.random() < 0.5:
            code = format_linha(code)
        if code not in codes:
            codes.add(code)
            out.append(code)
    rng.shuffle(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()

    started = time.perf_counter()
    codes = generate(args.codes, args.seed)
    print(f"generated {len(codes):,} distinct codes in {time.perf_counter() - started:.1f} s")
    kinds = {44: 0, 47: 0, 48: 0}
    for code in codes:
        kinds[len(code.replace(".", "").replace(" ", "").replace("-", ""))] += 1
    print("mix: " + ", ".join(f"{n:,} of {length} digits" for length, n in kinds.items()))

    best = float("inf")
    for run in range(args.runs):
        started = time.perf_counter()
        for code in codes:
            decode(code, today=TODAY)
        elapsed = time.perf_counter() - started
        best = min(best, elapsed)
        print(f"run {run + 1}: {len(codes) / elapsed:,.0f} decodes/s")
    rate = len(codes) / best
    verdict = "ok" if rate >= 100_000 else "BELOW TARGET"
    print(f"boleto decode: {rate:,.0f} decodes/s (best of {args.runs}; target 100,000) {verdict}")


if __name__ == "__main__":
    main()
