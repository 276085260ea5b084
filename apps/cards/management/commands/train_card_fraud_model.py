"""Train the card fraud anomaly model offline on synthetic history and write
`<dir>/<version>.joblib` and `<dir>/<version>.json` (its metrics). Deterministic: the same
seed writes the same metrics, so the committed files can be checked by retraining."""

from __future__ import annotations

import json
import time
from pathlib import Path

import joblib
import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand

from apps.cards.fraud import anomaly, training


class Command(BaseCommand):
    help = "Train the card fraud anomaly model (IsolationForest) on synthetic history."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=training.SEED)
        parser.add_argument("--cards", type=int, default=400)
        parser.add_argument("--days", type=int, default=120)
        parser.add_argument("--out", default=str(anomaly.MODEL_DIR))

    def handle(self, *args, **options) -> None:
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        bundle, metrics = training.train(
            seed=options["seed"],
            cards=options["cards"],
            days=options["days"],
            thresholds=(
                settings.CARDS_FRAUD_REVIEW_THRESHOLD,
                settings.CARDS_FRAUD_DECLINE_THRESHOLD,
            ),
        )
        model_file = out / f"{bundle['version']}.joblib"
        joblib.dump(bundle, model_file, compress=3)
        (out / f"{bundle['version']}.json").write_text(
            json.dumps(metrics, indent=2, sort_keys=True) + "\n"
        )
        # The inline cost: one row through the compiled forest (median of many calls).
        model = anomaly.Model(bundle)
        row = list(np.zeros(len(anomaly.FEATURES)))
        timings = []
        for _ in range(2000):
            t0 = time.perf_counter()
            model.score(row)
            timings.append(time.perf_counter() - t0)
        timings.sort()
        self.stdout.write(
            f"{model_file}: AUC model {metrics['auc']['model']}, rules+model "
            f"{metrics['auc']['rules_and_model']}; legit review "
            f"{metrics['legit']['review_rate']} decline {metrics['legit']['decline_rate']}; "
            f"fraud flagged {metrics['fraud']['flagged_rate']} declined "
            f"{metrics['fraud']['decline_rate']}; one row {timings[1000] * 1e6:.0f} us "
            f"(p99 {timings[1980] * 1e6:.0f} us); trained in {time.perf_counter() - started:.1f} s"
        )
