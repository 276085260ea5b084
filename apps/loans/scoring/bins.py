"""Bin tables, as the model file writes them, for the trained features and the overlay alike.

    numerical:   [{"upper": 12, "points": 31}, ..., {"upper": null, "points": 0}]
                 a value falls in the first bin whose upper bound is ABOVE it (upper is
                 exclusive; null is the open end). Bounds are integers: every input is one.
    categorical: [{"values": ["own"], "points": 18}, {"values": ["free", "rent"], ...}]

An overlay signal may also give "unknown_points": what it scores when the account has no
history to measure (a new account neither confirms nor contradicts the declared income).

Points are integers, so a score is a sum of integers and needs no rounding at run time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NUMERICAL = "numerical"
CATEGORICAL = "categorical"


@dataclass(frozen=True)
class Bin:
    points: int
    upper: int | None = None  # numerical
    values: frozenset[int | str] = frozenset()  # categorical


@dataclass(frozen=True)
class BinTable:
    name: str
    kind: str
    bins: tuple[Bin, ...]
    unknown_points: int | None = None

    @property
    def max_points(self) -> int:
        best = max(item.points for item in self.bins)
        return best if self.unknown_points is None else max(best, self.unknown_points)

    def points(self, value: int | str | None) -> int:
        if value is None:
            if self.unknown_points is None:
                raise ValueError(f"{self.name}: a value is required")
            return self.unknown_points
        if self.kind == NUMERICAL:
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{self.name}: {value!r} is not an integer")
            for item in self.bins:
                if item.upper is None or value < item.upper:
                    return item.points
        else:
            for item in self.bins:
                if value in item.values:
                    return item.points
        raise ValueError(f"{self.name}: no bin holds {value!r}")


def integer(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    return value


def parse(
    name: str,
    kind: str,
    raw: Sequence[Mapping[str, Any]],
    *,
    unknown_points: int | None = None,
) -> BinTable:
    """A bin table from the model file, checked: bounds rising to an open end, or
    categories that appear once."""
    if not raw:
        raise ValueError(f"{name}: no bins")
    bins: list[Bin] = []
    if kind == NUMERICAL:
        for position, item in enumerate(raw):
            upper = item["upper"]
            last = position == len(raw) - 1
            if (upper is None) != last:
                raise ValueError(f"{name}: only the last bin is open-ended")
            if upper is not None:
                integer(upper, f"{name} upper")
                if bins and bins[-1].upper is not None and upper <= bins[-1].upper:
                    raise ValueError(f"{name}: bounds must rise")
            bins.append(Bin(points=integer(item["points"], f"{name} points"), upper=upper))
    elif kind == CATEGORICAL:
        seen: set[int | str] = set()
        for item in raw:
            values = frozenset(item["values"])
            if not values or values & seen or len(values) != len(item["values"]):
                raise ValueError(f"{name}: every category belongs to exactly one bin")
            seen |= values
            bins.append(Bin(points=integer(item["points"], f"{name} points"), values=values))
    else:
        raise ValueError(f"{name}: unknown kind {kind!r}")
    if unknown_points is not None:
        integer(unknown_points, f"{name} unknown_points")
    return BinTable(name=name, kind=kind, bins=tuple(bins), unknown_points=unknown_points)
