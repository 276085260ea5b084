from django.core.management.base import BaseCommand, CommandError

from apps.accounts.reconciliation import reconcile


class Command(BaseCommand):
    help = "Prove cached balances equal derived ones and all postings sum to zero."

    def handle(self, *args, **options) -> None:
        run = reconcile()
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(
            f"{run.accounts_checked} accounts, {run.postings_checked} postings, "
            f"sum {run.postings_total}, {seconds:.2f}s"
        )
        if not run.ok:
            raise CommandError(f"MISMATCH: {run.mismatches[:5]} {run.unbalanced_entries[:5]}")
        self.stdout.write(self.style.SUCCESS("ledger reconciled"))
