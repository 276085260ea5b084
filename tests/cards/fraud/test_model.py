"""The anomaly model: the committed file loads and scores like scikit-learn, one row fast;
the training command is deterministic."""

from __future__ import annotations

import io
import json
import time

import joblib
import numpy as np
from django.core.management import call_command

from apps.cards.fraud import anomaly, training


def test_the_committed_model_loads_scores_and_matches_its_metrics():
    model = anomaly.load("v1")
    assert model is not None and model is anomaly.load("v1")  # once per process
    assert model.bundle["features"] == anomaly.FEATURES
    metrics = json.loads((anomaly.MODEL_DIR / "v1.json").read_text())
    assert metrics["version"] == "v1" and metrics["auc"]["model"] >= 0.9
    rng = np.random.default_rng(0)
    X = np.column_stack(
        [
            rng.uniform(0, 4, 50),
            rng.normal(0, 2, 50),
            rng.uniform(-1, 1, 50),
            rng.uniform(-1, 1, 50),
            rng.choice([0, 0.4, 1], 50),
            rng.integers(0, 2, 50),
            rng.integers(0, 2, 50),
            rng.integers(0, 2, 50),
            rng.integers(0, 2, 50),
            rng.integers(0, 6, 50),
            rng.uniform(0, 5, 50),
        ]
    )
    ours = anomaly.raw_scores(model.compiled, X)
    theirs = -model.bundle["estimator"].score_samples(X)
    assert np.allclose(ours, theirs, atol=1e-12)
    ordinary = [np.log10(81), 0.1, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 3.5]
    odd = [np.log10(5001), 6.0, 0.5, 0.87, 1.0, 0.0, 1.0, 1.0, 1.0, 6.0, 3.5]
    assert 0 <= model.score(ordinary) < 0.9 < model.score(odd) <= 1


def test_one_row_scores_well_under_a_millisecond():
    model = anomaly.load("v1")
    row = [1.9, 0.3, 0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 3.5]
    timings = []
    for _ in range(300):
        t0 = time.perf_counter()
        model.score(row)
        timings.append(time.perf_counter() - t0)
    assert sorted(timings)[150] < 0.002  # median; typically 0.1-0.2 ms


def test_training_is_deterministic(tmp_path, settings):
    for name in ("a", "b"):
        call_command(
            "train_card_fraud_model",
            cards=40,
            days=60,
            out=str(tmp_path / name),
            stdout=io.StringIO(),
        )
    first = json.loads((tmp_path / "a" / "v1.json").read_text())
    assert first == json.loads((tmp_path / "b" / "v1.json").read_text())
    assert first["seed"] == training.SEED and first["training"]["cards"] == 40
    a = joblib.load(tmp_path / "a" / "v1.joblib")
    b = joblib.load(tmp_path / "b" / "v1.joblib")
    assert np.array_equal(a["quantiles"], b["quantiles"])
    assert np.array_equal(a["compiled"]["threshold"], b["compiled"]["threshold"])


def test_the_single_row_walk_scores_as_the_batch_walk():
    """Model.score (one row, flat arrays, the authorization path) and raw_scores (the
    batch walk the training command checks against scikit-learn) give the same scores."""
    model = anomaly.load()
    rows = np.random.default_rng(7).normal(size=(300, len(anomaly.FEATURES))) * 3
    batch = anomaly.raw_scores(model.compiled, rows)
    single = np.array([model.flat.raw_score(list(row)) for row in rows])
    # The same walk; the depths' float sums may differ in the last bit (numpy's SIMD sums
    # start at the array's memory alignment, which varies between runs), never the decision.
    np.testing.assert_allclose(single, batch, rtol=1e-12, atol=0)
    assert [anomaly.percentile(model.bundle, s) for s in single] == [
        anomaly.percentile(model.bundle, b) for b in batch
    ]
