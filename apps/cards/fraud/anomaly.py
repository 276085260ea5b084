"""The anomaly model: an IsolationForest (scikit-learn) over features of one authorization
relative to the card's own history, trained offline (`manage.py train_card_fraud_model`)
and scored inline.

The model file (`model/<version>.joblib`) holds the fitted estimator, for audit and
retraining, and the same forest "compiled" into flat numpy arrays (per tree: children,
feature, threshold and each leaf's path length), which `score()` walks for all trees at
once: a single row in some tens of microseconds, where the estimator's own
`score_samples()` spends milliseconds on input checks and a Python loop over its trees.
The training command checks that both give the same scores.

The raw IsolationForest score is turned into a percentile among the normal purchases it was
trained on (the file keeps 1001 quantiles): 0.99 means "more unusual than 99% of ordinary
purchases", which is what the `anomaly_model` rule's floor is set against.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import numpy as np

from apps.cards.fraud.rules import Context

MODEL_DIR = Path(__file__).resolve().parent / "model"

FEATURES = (
    "log_amount",
    "amount_z",
    "hour_sin",
    "hour_cos",
    "mcc_risk",
    "card_present",
    "abroad",
    "new_country",
    "new_device",
    "velocity_1h",
    "history_size",
)


def features(ctx: Context, *, mcc_risk: float) -> list[float]:
    """The model's input for one authorization (the order of FEATURES)."""
    amount = max(ctx.amount_cents, 1)
    if ctx.history_count >= 3 and ctx.log_mean is not None:
        z = (math.log(amount) - ctx.log_mean) / max(ctx.log_std or 0.0, 0.3)
        z = min(max(z, -5.0), 10.0)
    else:
        z = 0.0
    angle = 2 * math.pi * (ctx.hour_local % 24) / 24
    return [
        math.log10(amount / 100 + 1),
        z,
        math.sin(angle),
        math.cos(angle),
        mcc_risk,
        1.0 if ctx.card_present else 0.0,
        1.0 if ctx.abroad else 0.0,
        0.0 if ctx.country_known else 1.0,
        0.0 if (ctx.card_present or not ctx.device_id or ctx.device_known) else 1.0,
        float(min(ctx.velocity.get((60, True), 0), 20)),
        math.log1p(min(ctx.history_count, 500)),
    ]


def _average_path_length(n: np.ndarray) -> np.ndarray:
    """c(n) of Liu et al., as scikit-learn computes it."""
    n = np.asarray(n, dtype=float)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


def compile_forest(forest: Any) -> dict[str, Any]:
    """The fitted IsolationForest as padded arrays (trees x nodes)."""
    trees = [est.tree_ for est in forest.estimators_]
    if forest._max_features != forest.n_features_in_:
        raise ValueError("compile_forest needs max_features=1.0 (every tree sees every feature)")
    size = max(t.node_count for t in trees)
    n = len(trees)
    left = np.full((n, size), -1, dtype=np.int32)
    right = np.full((n, size), -1, dtype=np.int32)
    feature = np.zeros((n, size), dtype=np.int32)
    threshold = np.zeros((n, size), dtype=np.float64)
    leaf_value = np.zeros((n, size), dtype=np.float64)
    for i, t in enumerate(trees):
        k = t.node_count
        left[i, :k] = t.children_left
        right[i, :k] = t.children_right
        feature[i, :k] = np.where(t.feature >= 0, t.feature, 0)
        threshold[i, :k] = t.threshold
        leaf_value[i, :k] = (
            forest._decision_path_lengths[i] + forest._average_path_length_per_tree[i] - 1.0
        )
    depth = int(max(t.max_depth for t in trees)) + 1
    return {
        "left": left,
        "right": right,
        "feature": feature,
        "threshold": threshold,
        "leaf_value": leaf_value,
        "depth": depth,
        "denominator": float(n * _average_path_length(np.array([forest.max_samples_]))[0]),
    }


def raw_scores(compiled: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """IsolationForest's anomaly score (higher: more anomalous; = -score_samples) per row:
    every row down every tree at once, one level per step."""
    X = np.asarray(X, dtype=np.float32).astype(np.float64)  # the trees compare in float32
    left, right = compiled["left"], compiled["right"]
    feature, threshold = compiled["feature"], compiled["threshold"]
    n_rows, n_trees = X.shape[0], left.shape[0]
    trees = np.broadcast_to(np.arange(n_trees), (n_rows, n_trees))
    row_index = np.arange(n_rows)[:, None]
    node = np.zeros((n_rows, n_trees), dtype=np.int32)
    for _ in range(compiled["depth"]):
        lft = left[trees, node]
        go_left = X[row_index, feature[trees, node]] <= threshold[trees, node]
        node = np.where(lft == -1, node, np.where(go_left, lft, right[trees, node]))
    depths = compiled["leaf_value"][trees, node].sum(axis=1)
    return 2.0 ** (-depths / compiled["denominator"])


def percentile(bundle: dict[str, Any], raw: float) -> float:
    """Where a raw score falls among the training purchases' scores, 0..1."""
    q = bundle["quantiles"]
    return float(np.searchsorted(q, raw, side="right")) / len(q)


class _FlatForest:
    """The compiled forest as one flat array per attribute (every tree's nodes end to end,
    children as flat indexes), for one row at a time: each level is a handful of numpy
    calls on 1-D arrays, about a quarter of `raw_scores`'s per-row cost, which matters on
    the authorization path. Same scores (tests compare them)."""

    def __init__(self, compiled: dict[str, Any]) -> None:
        n_trees, size = compiled["left"].shape
        offsets = (np.arange(n_trees, dtype=np.int64) * size)[:, None]
        leaf = compiled["left"] == -1
        self.roots = offsets[:, 0].copy()
        self.left = np.where(leaf, 0, compiled["left"] + offsets).ravel()
        self.right = np.where(leaf, 0, compiled["right"] + offsets).ravel()
        self.leaf = leaf.ravel()
        self.feature = compiled["feature"].ravel()
        self.threshold = compiled["threshold"].ravel()
        self.leaf_value = compiled["leaf_value"].ravel()
        self.depth = compiled["depth"]
        self.denominator = compiled["denominator"]

    def raw_score(self, row: list[float]) -> float:
        x = np.asarray(row, dtype=np.float32).astype(np.float64)  # the trees compare in float32
        node = self.roots
        for _ in range(self.depth):
            at_leaf = self.leaf[node]
            if at_leaf.all():
                break
            go_left = x[self.feature[node]] <= self.threshold[node]
            step = np.where(go_left, self.left[node], self.right[node])
            node = np.where(at_leaf, node, step)
        return float(2.0 ** (-self.leaf_value[node].sum() / self.denominator))


class Model:
    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        self.version = bundle["version"]
        self.compiled = bundle["compiled"]
        self.flat = _FlatForest(self.compiled)

    def score(self, row: list[float]) -> float:
        """The anomaly percentile (0..1) of one feature row."""
        return percentile(self.bundle, self.flat.raw_score(row))


_lock = threading.Lock()
_loaded: dict[str, Model | None] = {}


def model_path(version: str, directory: Path | None = None) -> Path:
    return (directory or MODEL_DIR) / f"{version}.joblib"


def load(version: str | None = None, *, path: Path | None = None) -> Model | None:
    """The model, loaded once per process (None when the file is missing: the rules alone
    decide, and the engine logs it once)."""
    from django.conf import settings

    version = version or settings.CARDS_FRAUD_MODEL
    key = str(path or version)
    if key in _loaded:
        return _loaded[key]
    with _lock:
        if key not in _loaded:
            import joblib

            file = path or model_path(version)
            _loaded[key] = Model(joblib.load(file)) if file.exists() else None
    return _loaded[key]
