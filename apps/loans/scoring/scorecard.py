"""Score an applicant with a versioned model file: integer points, a PD, and the reasons.

    score = base points + the points of each trained feature's bin + the overlay's points

The model file (model/<version>.json, written by training.py) holds only integers and
strings, so the score is exact and the same on every machine. The probability of default
follows from the scaling written in the file (pdo_odds: `scorecard_points` is the score at
`odds` good:bad, and every `pdo` points double the odds):

    odds = odds0 * 2 ** ((score - scorecard_points) / pdo)      PD = 1 / (1 + odds)

computed in Decimal and given to 4 places. The PD is calibrated to the training sample's
30% bad rate (docs/credit-score.md): a ranking measure until our own defaults recalibrate it.

Reasons: each factor's shortfall is how many points it cost against its best bin; the
reasons are the factors with the largest shortfalls (LGPD art. 20: the main criteria of an
automated decision). reasons.py holds their text.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from pathlib import Path
from typing import Any

from . import bins, overlay
from .features import REASON_CODES, Applicant, model_inputs

MODEL_DIR = Path(__file__).resolve().parent / "model"
DEFAULT_VERSION = "v1"
BASE = "base"  # the scorecard's intercept, shown as the first entry of ScoreResult.points
_VERSION = re.compile(r"v[0-9]{1,4}")
_PD_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class FeaturePoints:
    feature: str  # German's column name, an overlay signal, or "base"
    code: str  # the reason code (reasons.REASON_TEXT)
    points: int
    max_points: int
    shortfall: int  # max_points - points: what this factor cost


@dataclass(frozen=True)
class ScoreResult:
    score: int  # the sum of points (base included)
    probability_of_default: Decimal  # 4 places
    model_version: str
    points: tuple[FeaturePoints, ...]  # base, the trained features, then the overlay


@dataclass(frozen=True)
class Reason:
    code: str
    feature: str
    shortfall: int


@dataclass(frozen=True)
class Scaling:
    pdo: int
    odds: int
    scorecard_points: int


@dataclass(frozen=True)
class Model:
    version: str
    base_points: int
    scaling: Scaling
    features: tuple[bins.BinTable, ...]
    overlay: tuple[bins.BinTable, ...]
    overlay_table: Mapping[str, Any]  # as written in the file, to compare with overlay.py


def parse(data: Mapping[str, Any]) -> Model:
    """A Model from the model file's JSON, checked."""
    scaling = data["scaling"]
    if scaling["method"] != "pdo_odds":
        raise ValueError(f"unsupported scaling {scaling['method']!r}")
    features = tuple(
        bins.parse(item["name"], item["kind"], item["bins"]) for item in data["features"]
    )
    for table, item in zip(features, data["features"], strict=True):
        if table.name not in REASON_CODES:
            raise ValueError(f"{table.name} is no input features.py can give")
        if table.max_points != item["max_points"]:
            raise ValueError(f"{table.name}: max_points disagrees with its bins")
    signals = tuple(
        bins.parse(
            item["name"], item["kind"], item["bins"], unknown_points=item.get("unknown_points")
        )
        for item in data["overlay"]["signals"]
    )
    for table in signals:
        if table.name not in overlay.MEASURES:
            raise ValueError(f"{table.name} is no overlay signal overlay.py can measure")
    return Model(
        version=data["version"],
        base_points=bins.integer(data["intercept_points"], "intercept_points"),
        scaling=Scaling(
            pdo=bins.integer(scaling["pdo"], "pdo"),
            odds=bins.integer(scaling["odds"], "odds"),
            scorecard_points=bins.integer(scaling["scorecard_points"], "scorecard_points"),
        ),
        features=features,
        overlay=signals,
        overlay_table=data["overlay"],
    )


def model_path(version: str) -> Path:
    if not _VERSION.fullmatch(version):
        raise ValueError(f"not a model version: {version!r}")
    return MODEL_DIR / f"{version}.json"


@functools.cache
def load(version: str = DEFAULT_VERSION) -> Model:
    """The model of `version`, read once per process (the file never changes at run time)."""
    # parse_float keeps any decimal number exact; the files we write hold none.
    data = json.loads(model_path(version).read_text(encoding="utf-8"), parse_float=Decimal)
    if data["version"] != version:
        raise ValueError(f"{model_path(version)} says it is {data['version']!r}")
    return parse(data)


def probability_of_default(score: int, scaling: Scaling) -> Decimal:
    """PD = 1 / (1 + odds), odds good:bad from the pdo_odds scaling; 4 places, HALF EVEN."""
    with localcontext() as context:
        context.prec = 40
        context.Emax = 999_999
        context.Emin = -999_999
        exponent = Decimal(score - scaling.scorecard_points) / Decimal(scaling.pdo)
        odds = Decimal(scaling.odds) * Decimal(2) ** exponent
        return (Decimal(1) / (Decimal(1) + odds)).quantize(_PD_PLACES, rounding=ROUND_HALF_EVEN)


def _entry(table: bins.BinTable, code: str, value: int | str | None) -> FeaturePoints:
    points = table.points(value)
    return FeaturePoints(
        feature=table.name,
        code=code,
        points=points,
        max_points=table.max_points,
        shortfall=table.max_points - points,
    )


def feature_points(model: Model, inputs: Mapping[str, int | str]) -> tuple[FeaturePoints, ...]:
    """The base and the trained features' points for German-coded inputs (training scores
    its hold-out with this same function)."""
    base = FeaturePoints(
        feature=BASE, code=BASE, points=model.base_points, max_points=model.base_points, shortfall=0
    )
    return (base,) + tuple(
        _entry(table, REASON_CODES[table.name], inputs[table.name]) for table in model.features
    )


def result(model: Model, entries: tuple[FeaturePoints, ...]) -> ScoreResult:
    total = sum(entry.points for entry in entries)
    return ScoreResult(
        score=total,
        probability_of_default=probability_of_default(total, model.scaling),
        model_version=model.version,
        points=entries,
    )


def score(applicant: Applicant, model: Model | None = None) -> ScoreResult:
    """The applicant's score: deterministic, the same input always gives the same result."""
    model = model or load()
    measured = overlay.measures(applicant)
    entries = feature_points(model, model_inputs(applicant)) + tuple(
        _entry(table, table.name, measured[table.name]) for table in model.overlay
    )
    return result(model, entries)


def reasons(result: ScoreResult, n: int = 3) -> list[Reason]:
    """The `n` factors that cost the most points, largest shortfall first (ties in the
    model's order, so the answer is stable). A factor at its best bin is no reason."""
    costly = [entry for entry in result.points if entry.shortfall > 0]
    costly.sort(key=lambda entry: -entry.shortfall)  # stable: ties keep the model's order
    return [
        Reason(code=entry.code, feature=entry.feature, shortfall=entry.shortfall)
        for entry in costly[:n]
    ]
