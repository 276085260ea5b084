"""Prints where the system answers and the demo logins (used by `make run`)."""

import os

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the URLs and demo logins."

    def handle(self, *args, **options) -> None:
        from apps.accounts.management.commands.load_demo_data import DEMO_PASSWORDS

        base = f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
        lines = [
            "",
            "Athena Pay is starting:",
            f"  portal        {base}/",
            f"  admin         {base}/admin/",
            f"  API docs      {base}/api/docs/",
            f"  health        {base}/healthz   readiness {base}/readyz   metrics {base}/metrics",
            "",
            "Demo logins (email / password):",
        ]
        lines += [f"  {email:<28} {password}" for email, password in DEMO_PASSWORDS.items()]
        lines.append("")
        self.stdout.write("\n".join(lines))
