"""The demo customers' verification (run by accounts' load_demo_data): they are at KYC level
2, and a level is granted by an approved request, which holds what was verified (the birth
date loans score the age from). Safe to run again."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Customer
from apps.kyc.models import KycRequest

DEMO_BIRTH_DATES = {
    "maria@athena.example": dt.date(1984, 3, 12),
    "joao@athena.example": dt.date(1990, 8, 25),
}


class Command(BaseCommand):
    help = "Record the demo customers' approved KYC (level 2, with birth dates); idempotent."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for email, birth in DEMO_BIRTH_DATES.items():
            customer = Customer.objects.filter(user__email=email).first()
            if customer is None or customer.kyc_requests.filter(state="approved").exists():
                continue
            KycRequest.objects.create(
                customer=customer,
                target_level=customer.kyc_level or 2,
                declared_name=customer.full_name,
                birth_date=birth,
                state=KycRequest.State.APPROVED,
                decided_at=timezone.now(),
                reasons="demo data",
            )
        self.stdout.write("Demo KYC ready.")
