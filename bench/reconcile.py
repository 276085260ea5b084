"""Reconciliation over a ledger of at least a million postings.

    .venv/bin/python bench/reconcile.py [--runs 3]

Makes sure the ledger holds at least 10^6 postings (reusing the statement benchmark's
account of 10^6 postings, loaded set-based once), then times
`apps.accounts.reconciliation.reconcile()` (every set-based proof, in one snapshot) and
prints the seconds of each run and the best. Target: under 10 s for 10^6 postings.
"""

from __future__ import annotations

import argparse
import time

from statement import ensure_postings  # sets Django up

from apps.accounts.reconciliation import reconcile

POSTINGS = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    ensure_postings(POSTINGS)
    times = []
    for _ in range(options.runs):
        started = time.perf_counter()
        run = reconcile()
        times.append(time.perf_counter() - started)
        status = "ok" if run.ok else f"MISMATCH {run.mismatches[:3]} {run.unbalanced_entries[:3]}"
        print(
            f"reconcile: {run.postings_checked} postings, {run.accounts_checked} accounts, "
            f"{times[-1]:.2f} s, {status}",
            flush=True,
        )
    print(
        f"reconcile over {run.postings_checked} postings: {min(times):.2f} s "
        f"(best of {options.runs})"
    )


if __name__ == "__main__":
    main()
