"""Train the credit scorecard offline and write apps/loans/scoring/model/<version>.json.

Needs the training requirements (`pip install -r requirements-train.txt`). Deterministic:
the same data, seed and pins write the same bytes, so a committed model file can be checked
by retraining it. A new version needs its overlay table first (scoring/overlay.py).
"""

from __future__ import annotations

import importlib.util
import json

from django.core.management.base import BaseCommand, CommandError

from apps.loans.scoring import training


class Command(BaseCommand):
    help = "Train the credit scorecard (optbinning) on the German Credit data."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # `--version v2` names the model; "resolve" lets it replace Django's own --version
        # (which prints Django's version), as the docs and the model card spell the command.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--version",
            dest="model_version",
            default=training.VERSION,
            help="the model version to write (v1, v2, ...); its overlay table must exist",
        )
        parser.add_argument("--seed", type=int, default=training.SEED, help="the split's seed")
        parser.add_argument("--output", help="write here instead of scoring/model/<version>.json")

    def handle(self, *args, **options) -> None:
        if importlib.util.find_spec("optbinning") is None:
            raise CommandError(
                "optbinning is not installed: training runs offline with "
                "`pip install -r requirements-train.txt`."
            )
        try:
            path = training.main(
                output=options["output"],
                version=options["model_version"],
                seed=options["seed"],
            )
        except (LookupError, ValueError) as error:
            raise CommandError(str(error)) from None
        test = json.loads(path.read_text(encoding="utf-8"))["metrics"]["test"]
        self.stdout.write(
            f"{path}: test AUC {test['auc']}, KS {test['ks']}, Gini {test['gini']}, "
            f"Brier {test['brier']} ({test['rows']} rows)"
        )
