"""Discrimination and calibration of an integer scorecard, in exact arithmetic.

Scores are integers and PDs Decimals, so every metric is a ratio of integers (Fraction):
the figures written in the model file do not depend on float summation order, and the test
suite recomputes them to the last digit. Each is written as a string with 4 places, rounded
HALF EVEN.

    auc          P(a good scores above a bad), ties counting one half
    ks           the largest gap between the cumulative score distributions of bads and goods
    gini         2 AUC - 1
    brier        the mean of (PD - outcome)^2, with the PD the scorecard gives (4 places)
    calibration  per score band: the mean PD given against the share that defaulted

`bad` is 1 for a default and 0 for a good loan; a higher score means a better applicant.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any


def fmt(value: Fraction | Decimal | int) -> str:
    """4 places, HALF EVEN ("0.7312")."""
    units = round(Fraction(value) * 10_000)  # Fraction rounds half to even
    return f"{Decimal(units).scaleb(-4):.4f}"


def _counts(scores: Sequence[int], bad: Sequence[int]) -> tuple[list[int], Counter, Counter]:
    if len(scores) != len(bad) or not scores:
        raise ValueError("scores and outcomes must be non-empty and of one length")
    if set(bad) - {0, 1}:
        raise ValueError("outcomes must be 0 (good) or 1 (bad)")
    goods = Counter(s for s, y in zip(scores, bad, strict=True) if y == 0)
    bads = Counter(s for s, y in zip(scores, bad, strict=True) if y == 1)
    if not goods or not bads:
        raise ValueError("need both goods and bads")
    return sorted(set(scores)), goods, bads


def auc(scores: Sequence[int], bad: Sequence[int]) -> Fraction:
    levels, goods, bads = _counts(scores, bad)
    below = 0  # bads scoring below the current level
    twice = 0  # 2 x (pairs a good wins) + (pairs tied)
    for level in levels:
        twice += goods[level] * (2 * below + bads[level])
        below += bads[level]
    return Fraction(twice, 2 * goods.total() * bads.total())


def ks(scores: Sequence[int], bad: Sequence[int]) -> Fraction:
    levels, goods, bads = _counts(scores, bad)
    n_good, n_bad = goods.total(), bads.total()
    cum_good = cum_bad = 0
    best = Fraction(0)
    for level in levels:
        cum_good += goods[level]
        cum_bad += bads[level]
        best = max(best, abs(Fraction(cum_bad, n_bad) - Fraction(cum_good, n_good)))
    return best


def brier(pds: Sequence[Decimal], bad: Sequence[int]) -> Fraction:
    if len(pds) != len(bad) or not pds:
        raise ValueError("PDs and outcomes must be non-empty and of one length")
    total = sum((Fraction(pd) - y) ** 2 for pd, y in zip(pds, bad, strict=True))
    return Fraction(total) / len(pds)


def band_label(edges: Sequence[int], index: int) -> str:
    if index == 0:
        return f"< {edges[0]}"
    if index == len(edges):
        return f">= {edges[-1]}"
    return f"{edges[index - 1]}-{edges[index] - 1}"


def calibration(
    scores: Sequence[int], pds: Sequence[Decimal], bad: Sequence[int], edges: Sequence[int]
) -> list[dict[str, Any]]:
    """Bands cut at `edges` (rising score bounds; a band holds scores from its lower edge up
    to the next one, exclusive). Empty bands are left out."""
    bands: list[list[tuple[Decimal, int]]] = [[] for _ in range(len(edges) + 1)]
    for score, pd, y in zip(scores, pds, bad, strict=True):
        bands[sum(1 for edge in edges if score >= edge)].append((pd, y))
    rows = []
    for index, members in enumerate(bands):
        if not members:
            continue
        count = len(members)
        rows.append(
            {
                "band": band_label(edges, index),
                "predicted_pd": fmt(sum(Fraction(pd) for pd, _ in members) / count),
                "observed_default_rate": fmt(Fraction(sum(y for _, y in members), count)),
                "count": count,
            }
        )
    return rows


def summary(
    scores: Sequence[int], pds: Sequence[Decimal], bad: Sequence[int], edges: Sequence[int]
) -> dict[str, Any]:
    area = auc(scores, bad)
    return {
        "rows": len(scores),
        "default_rate": fmt(Fraction(sum(bad), len(bad))),
        "auc": fmt(area),
        "ks": fmt(ks(scores, bad)),
        "gini": fmt(2 * area - 1),
        "brier": fmt(brier(pds, bad)),
        "calibration": calibration(scores, pds, bad, edges),
    }
