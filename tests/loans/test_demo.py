"""The demo customers can apply for a loan right after `make run` (level 2 with a verified
birth date, as a real level-2 customer has)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.accounts.models import Customer
from apps.kyc import selectors as kyc
from apps.loans import services

pytestmark = pytest.mark.django_db


def test_maria_can_apply_after_the_demo_data_loads():
    call_command("load_demo_data")
    call_command("load_demo_data")  # idempotent
    maria = Customer.objects.get(user__email="maria@athena.example")
    assert maria.kyc_level == 2 and kyc.verified_birth_date(customer=maria) is not None
    assert maria.kyc_requests.count() == 1
    loan = services.loan_apply(
        customer=maria,
        account_id=maria.accounts.get().pk,
        amount="3000.00",
        installments=6,
        purpose="education",
        declared_income="12000.00",
        employment_years=6,
        housing="own",
    )
    assert loan.state in {"approved", "rejected"} and loan.score is not None
