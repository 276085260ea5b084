"""Register demo boletos at the CIP simulator against payers' CPFs (DDA), as other banks do.

    manage.py seed_cip [--tax-id 52998224725 ...]

Defaults to the demo customers' CPFs (load_demo_data). Idempotent: a payer who already has
open boletos at CIP gets none more.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand

from apps.core.timezones import brasilia_today
from apps.simulators.cip.models import CipBoleto
from apps.simulators.cip.simulator import register_third_party_boleto

DEMO_PAYERS = {"52998224725": "Maria Silva", "11144477735": "Joao Souza"}
# (bank, beneficiary, CNPJ, amount in centavos, days to due, terms in the cobv shape)
BILLS = [
    ("341", "Companhia Paulista de Luz SA", "61695227000193", 18_742, 5, {}),
    (
        "237",
        "Colegio Horizonte Ltda",
        "11222333000181",
        129_000,
        20,
        {
            "multa": {"modalidade": 2, "valorPerc": "2.00"},
            "juros": {"modalidade": 3, "valorPerc": "1.00"},
        },
    ),
]


class Command(BaseCommand):
    help = "Register demo boletos at the CIP simulator against payers (DDA)."

    def add_arguments(self, parser):
        parser.add_argument("--tax-id", action="append", dest="tax_ids")

    def handle(self, *args, **options):
        payers = {t: DEMO_PAYERS.get(t, "Pagador") for t in options["tax_ids"] or DEMO_PAYERS}
        today = brasilia_today()
        created = 0
        for tax_id, name in payers.items():
            if CipBoleto.objects.filter(payer_tax_id=tax_id, status="open").exists():
                continue
            for bank, beneficiary, cnpj, amount, days, terms in BILLS:
                register_third_party_boleto(
                    bank_code=bank,
                    beneficiary_name=beneficiary,
                    beneficiary_tax_id=cnpj,
                    payer_name=name,
                    payer_tax_id=tax_id,
                    amount_cents=amount,
                    due_date=today + dt.timedelta(days=days),
                    value_terms=terms,
                )
                created += 1
        self.stdout.write(f"CIP simulator: {created} DDA boletos registered.")
