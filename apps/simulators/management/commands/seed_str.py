"""Open demo accounts at other banks in the STR simulator, so a TED sent to them settles
(a TED to an account the simulated bank does not have is returned, reason 2).

    manage.py seed_str

Idempotent. Prints the accounts (bank, branch, account, holder, CPF/CNPJ): the demo's
payees. The documents are synthetic (valid check digits, nobody's).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.core.documents import mask_tax_id
from apps.simulators.str.simulator import register_bank_account

# (COMPE, ISPB, branch, account, holder, CPF/CNPJ, state)
ACCOUNTS = [
    ("260", "18236120", "0001", "12345678", "Ana Beatriz Rocha", "39053344705", "open"),
    ("341", "60701190", "1500", "998877", "Carlos Eduardo Lima", "15350946056", "open"),
    ("001", "00000000", "3420", "45001", "Padaria Tres Irmaos Ltda", "11222333000181", "open"),
    ("237", "60746948", "0450", "778899", "Fernanda Costa", "31487375719", "closed"),
    ("033", "90400888", "2001", "13000555", "Gabriel Nascimento", "31497848679", "open"),
]


class Command(BaseCommand):
    help = "Open demo accounts at other banks in the STR simulator (TED payees)."

    def handle(self, *args, **options):
        for compe, ispb, branch, number, holder, document, state in ACCOUNTS:
            register_bank_account(
                ispb=ispb,
                branch=branch,
                number=number,
                holder_name=holder,
                holder_tax_id=document,
                state=state,
            )
            self.stdout.write(
                f"{compe} ag {branch} cc {number} {holder} {mask_tax_id(document)} ({state})"
            )
