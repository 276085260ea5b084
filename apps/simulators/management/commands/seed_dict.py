"""Seed the DICT simulator with other PSPs' keys.

    manage.py seed_dict [--participants 20] [--owners 5] [--seed 20201116]

See apps.simulators.dict.seed: deterministic and idempotent.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.simulators.dict.seed import seed_directory


class Command(BaseCommand):
    help = "Seed the DICT simulator with other PSPs' keys (deterministic, idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=20)
        parser.add_argument("--owners", type=int, default=5, help="owners per participant")
        parser.add_argument("--seed", type=int, default=20201116)

    def handle(self, *args, **options):
        result = seed_directory(
            participants_count=options["participants"],
            owners_per_participant=options["owners"],
            seed=options["seed"],
        )
        self.stdout.write(
            f"DICT simulator: {result.created} entries created, {result.existing} already "
            f"there, {result.refused} refused, across {len(result.participants)} participants."
        )
