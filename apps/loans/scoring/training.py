"""Offline training of the credit scorecard on the German Credit data -> model/<version>.json.

Needs requirements-train.txt (optbinning, pandas and their solvers), imported inside the
functions that use them: this module imports anywhere (the test suite reads its helpers
without optbinning) and imports no Django, so it also runs in a bare training virtualenv:

    PYTHONPATH=. python -c "from apps.loans.scoring import training; training.main()"

or `manage.py train_credit_model`. Steps:

1. Read data/credit/german_credit.csv.gz (dmba's copy of the UCI data, shipped in the repo)
   and code each row as the model's inputs (features.py explains the choice of columns).
   The target is a default: bad = 1 - RESPONSE.
2. Split 70/30, stratified on the target, with scikit-learn's train_test_split and SEED.
3. On the 70%: optbinning's BinningProcess finds each input's bins (at least 5% of the rows
   a bin, at most 6 bins; numerical inputs monotonic in the default rate, so a longer term
   or a larger installment share never earns points) and a LogisticRegression on the bins'
   WoE, inside optbinning's Scorecard with scaling "pdo_odds": 600 points at odds 50:1
   good:bad, 20 points to double the odds (the common 600/50/20 convention: scores in the
   hundreds, a few points per fact).
4. Make the card explainable and exact: each feature's bins are shifted so its worst bin
   is worth 0 (what is shifted goes to the base points), and every value is ROUNDED to an
   integer. The JSON is that integer card; the run time adds integers.
5. Score the 70% and the 30% with the integer card through scorecard.py, the code that runs
   in production, and record AUC, KS, Gini, Brier and calibration (metrics.py).

Everything is seeded and single-threaded (optbinning's CP-SAT solver runs with one worker
and seed 0), and the JSON carries no timestamp: training twice writes the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import math
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from . import metrics, overlay, scorecard
from .features import CATEGORICAL_VALUES, REASON_CODES

SEED = 15
VERSION = "v1"
TEST_SIZE = 0.3
REPO = Path(__file__).resolve().parents[3]
DATA_PATH = REPO / "data" / "credit" / "german_credit.csv.gz"
DATA_LABEL = "data/credit/german_credit.csv.gz"

FEATURES = (
    "CHK_ACCT",
    "SAV_ACCT",
    "DURATION",
    "INSTALL_RATE",
    "EMPLOYMENT",
    "AGE",
    "HOUSING",
    "PURPOSE",
)
CATEGORICAL = ("CHK_ACCT", "SAV_ACCT", "HOUSING", "PURPOSE")
# The direction of the DEFAULT rate as each numerical input grows (optbinning's "trend").
MONOTONIC = {
    "DURATION": "ascending",
    "INSTALL_RATE": "ascending",
    "EMPLOYMENT": "descending",
    "AGE": "descending",
}
BINNING = {"min_bin_size": 0.05, "max_n_bins": 6}
LOGISTIC = {"C": 1.0, "solver": "lbfgs", "max_iter": 1000}
SCALING = {"method": "pdo_odds", "pdo": 20, "odds": 50, "scorecard_points": 600}
# Score bands of the calibration table: 20 points each (one doubling of the odds).
CALIBRATION_EDGES = (460, 480, 500, 520, 540, 560, 580, 600)
TRAINING_PACKAGES = ("optbinning", "scikit-learn", "pandas", "numpy", "ortools")

EXCLUDED = {
    "MALE_DIV, MALE_SINGLE, MALE_MAR_or_WID": "sex and marital status: discriminatory",
    "FOREIGN": "nationality: discriminatory",
    "TELEPHONE": "a landline in one's name means nothing today",
    "AMOUNT": "a 1970s DM amount has no BRL meaning; INSTALL_RATE measures affordability",
    "HISTORY": "documented codes run against their meaning here; loan history is overlay",
    "NUM_CREDITS": "no signal (IV 0.01); more credits looked safer; open loans is overlay",
    "CO-APPLICANT, GUARANTOR, REAL_ESTATE, PROP_UNKN_NONE, OTHER_INSTALL, JOB, "
    "PRESENT_RESIDENT, NUM_DEPENDENTS": "not collected by us",
}

# dmba's purpose dummies -> features.PURPOSE_CODES' values. RETRAINING is business: it holds
# 97 rows, the original's count for "business" (A49); "retraining" (A48) has 9 and sits,
# with appliances, repairs and others, in the rows where no dummy is set.
_PURPOSE_COLUMNS = (
    ("NEW_CAR", "car"),
    ("USED_CAR", "car"),
    ("FURNITURE", "furniture"),
    ("RADIO/TV", "electronics"),
    ("EDUCATION", "education"),
    ("RETRAINING", "business"),
)


def read_rows(path: Path = DATA_PATH) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def target(row: dict[str, str]) -> int:
    """1 for a bad loan (a default), 0 for a good one."""
    return 1 - int(row["RESPONSE"])


def german_inputs(row: dict[str, str]) -> dict[str, int | str]:
    """One data row as the model's inputs (the same keys features.model_inputs gives)."""
    purposes = {name for column, name in _PURPOSE_COLUMNS if row[column] == "1"}
    if len(purposes) > 1:
        raise ValueError(f"row {row['OBS#']} has two purposes")
    if row["RENT"] == "1" and row["OWN_RES"] == "1":
        raise ValueError(f"row {row['OBS#']} both rents and owns")
    housing = "rent" if row["RENT"] == "1" else "own" if row["OWN_RES"] == "1" else "free"
    return {
        "CHK_ACCT": int(row["CHK_ACCT"]),
        "SAV_ACCT": int(row["SAV_ACCT"]),
        "DURATION": int(row["DURATION"]),
        "INSTALL_RATE": int(row["INSTALL_RATE"]),
        "EMPLOYMENT": int(row["EMPLOYMENT"]),
        "AGE": int(row["AGE"]),
        "HOUSING": housing,
        "PURPOSE": purposes.pop() if purposes else "other",
    }


def split(labels: Sequence[int], seed: int = SEED) -> tuple[list[int], list[int]]:
    """Row positions of the training and the test part: 70/30, stratified, seeded."""
    from sklearn.model_selection import train_test_split

    train, test = train_test_split(
        list(range(len(labels))), test_size=TEST_SIZE, stratify=list(labels), random_state=seed
    )
    return [int(i) for i in train], [int(i) for i in test]


def _numerical_bins(splits: Sequence[Any], points: Sequence[int]) -> list[dict[str, Any]]:
    """optbinning's float split s means x < s; on integer inputs that is x < ceil(s)."""
    uppers = [math.ceil(s) for s in splits]
    if len(set(uppers)) != len(uppers) or uppers != sorted(uppers):
        raise ValueError(f"splits {list(splits)} do not fall between distinct integers")
    bounds: list[int | None] = [*uppers, None]
    return [{"upper": upper, "points": p} for upper, p in zip(bounds, points, strict=True)]


def _categorical_bins(
    name: str, groups: Sequence[Sequence[Any]], points: Sequence[int]
) -> list[dict[str, Any]]:
    rows = []
    for group, p in zip(groups, points, strict=True):
        values = sorted(v.item() if hasattr(v, "item") else v for v in group)
        rows.append({"values": values, "points": p})
    covered = {v for row in rows for v in row["values"]}
    if not CATEGORICAL_VALUES[name] <= covered:
        missing = sorted(CATEGORICAL_VALUES[name] - covered, key=str)
        raise ValueError(f"{name}: no bin for {missing}, which features.py can give")
    return rows


def fit_card(inputs: list[dict[str, int | str]], labels: list[int]) -> dict[str, Any]:
    """The integer scorecard fitted on these rows: base points, bins and IVs."""
    import pandas as pd
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    frame = pd.DataFrame(inputs, columns=list(FEATURES))
    process = BinningProcess(
        list(FEATURES),
        categorical_variables=list(CATEGORICAL),
        binning_fit_params={name: {"monotonic_trend": t} for name, t in MONOTONIC.items()},
        **BINNING,
    )
    card = Scorecard(
        binning_process=process,
        estimator=LogisticRegression(**LOGISTIC),
        scaling_method=SCALING["method"],
        scaling_method_params={k: SCALING[k] for k in ("pdo", "odds", "scorecard_points")},
    )
    card.fit(frame, pd.Series(labels))
    selected = list(card.binning_process_.get_support(names=True))
    if selected != list(FEATURES):
        raise RuntimeError(f"the binning process dropped inputs: kept {selected}")
    coefficients = card.estimator_.coef_.ravel()
    if any(c >= 0 for c in coefficients):
        # WoE grows with the share of goods, so a positive weight would make a safer bin
        # cost points: the card would be unexplainable. Refuse to write it.
        raise RuntimeError(
            f"a coefficient has the wrong sign: {dict(zip(FEATURES, coefficients, strict=True))}"
        )
    table = card.table(style="detailed")
    base = 0.0
    features = []
    for name, coefficient in zip(FEATURES, coefficients, strict=True):
        binned = card.binning_process_.get_binned_variable(name)
        rows = table[(table["Variable"] == name) & ~table["Bin"].isin(["Special", "Missing"])]
        scaled = [float(p) for p in rows["Points"]]
        # Special and Missing bins never occur (features.py always gives a value): dropped.
        floor = min(scaled)
        base += floor
        points = [round(p - floor) for p in scaled]
        if name in CATEGORICAL:
            bin_rows = _categorical_bins(name, binned.splits, points)
        else:
            bin_rows = _numerical_bins(binned.splits, points)
        iv = float(binned.binning_table.build()["IV"].iloc[-1])
        features.append(
            {
                "name": name,
                "kind": "categorical" if name in CATEGORICAL else "numerical",
                "reason_code": REASON_CODES[name],
                "information_value": f"{iv:.4f}",
                "coefficient": f"{float(coefficient):.4f}",
                "bins": bin_rows,
                "max_points": max(points),
            }
        )
    return {"intercept_points": round(base), "features": features}


def _json_safe(settings: dict[str, Any]) -> dict[str, Any]:
    """Floats as strings: the model file holds integers and strings only."""
    return {k: str(v) if isinstance(v, float) else v for k, v in settings.items()}


def _package_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in TRAINING_PACKAGES}


def evaluate(
    model: scorecard.Model, inputs: list[dict[str, int | str]], labels: list[int]
) -> dict[str, Any]:
    """Metrics of the integer card as it runs: the trained features only (German rows have
    nothing for the overlay to measure)."""
    results = [scorecard.result(model, scorecard.feature_points(model, row)) for row in inputs]
    scores = [r.score for r in results]
    pds = [r.probability_of_default for r in results]
    return metrics.summary(scores, pds, labels, CALIBRATION_EDGES)


def train(*, version: str = VERSION, seed: int = SEED, data: Path = DATA_PATH) -> dict[str, Any]:
    """The model file's content (a dict ready for json.dumps)."""
    overlay_table = overlay.table(version)  # before the work: a version needs its overlay
    raw = data.read_bytes()
    rows = read_rows(data)
    inputs = [german_inputs(row) for row in rows]
    labels = [target(row) for row in rows]
    train_rows, test_rows = split(labels, seed)
    card = fit_card([inputs[i] for i in train_rows], [labels[i] for i in train_rows])
    model: dict[str, Any] = {
        "version": version,
        "trained_at_seed": seed,
        "dataset": {
            "source": "dmba 0.2.4 (PyPI, MIT), csvFiles/GermanCredit.csv.gz: the UCI Statlog "
            "German Credit data (Hofmann 1994, CC BY 4.0)",
            "path": DATA_LABEL,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "rows": len(rows),
            "target": "bad = 1 - RESPONSE",
            "bad_rows": sum(labels),
            "split": {
                "method": "sklearn.model_selection.train_test_split, stratified on the target",
                "test_size": f"{TEST_SIZE:.2f}",
                "random_state": seed,
                "train_rows": len(train_rows),
                "test_rows": len(test_rows),
            },
        },
        "trained_with": _package_versions(),
        "binning": {
            **_json_safe(BINNING),
            "categorical": list(CATEGORICAL),
            "monotonic_default_rate": MONOTONIC,
        },
        "estimator": {
            "class": "sklearn.linear_model.LogisticRegression",
            **_json_safe(LOGISTIC),
        },
        "scaling": {
            **SCALING,
            "meaning": "score = scorecard_points at odds good:bad = odds; +pdo points double "
            "the odds; PD = 1 / (1 + odds * 2 ** ((score - scorecard_points) / pdo))",
        },
        "intercept_points": card["intercept_points"],
        "features": card["features"],
        "excluded": EXCLUDED,
        "overlay": overlay_table,
    }
    parsed = scorecard.parse(model)
    model["metrics"] = {
        "computed_with": "the integer card, trained features only (no overlay)",
        "train": evaluate(parsed, [inputs[i] for i in train_rows], [labels[i] for i in train_rows]),
        "test": evaluate(parsed, [inputs[i] for i in test_rows], [labels[i] for i in test_rows]),
    }
    return model


def render(model: dict[str, Any]) -> str:
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def main(*, output: Path | str | None = None, version: str = VERSION, seed: int = SEED) -> Path:
    """Train and write the model file (model/<version>.json unless `output` says where)."""
    path = Path(output) if output else scorecard.model_path(version)
    text = render(train(version=version, seed=seed))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path
