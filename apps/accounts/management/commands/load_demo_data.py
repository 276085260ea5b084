"""Demo users, fixed because our own checks sign in with them. Safe to run again."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.accounts.models import Customer
from apps.accounts.services import account_open, customer_register, deposit
from apps.core import roles
from apps.core.fsm import apply_transition
from apps.core.models import User

DEMO_CUSTOMERS = [
    # email, full name, CPF (valid check digits, fictitious people), opening balance
    ("maria@athena.example", "Maria Silva", "52998224725", 1_000_000),
    ("joao@athena.example", "Joao Souza", "11144477735", 50_000),
]
DEMO_KYC_LEVEL = 2
DEMO_STAFF = [
    ("operator@athena.example", "Olivia Operator", roles.OPERATOR),
    ("compliance@athena.example", "Carlos Compliance", roles.COMPLIANCE_OFFICER),
    ("admin@athena.example", "Ana Admin", roles.ADMIN),
]
DEMO_PASSWORDS = {
    "maria@athena.example": "Maria#Athena2026",
    "joao@athena.example": "Joao#Athena2026",
    "operator@athena.example": "Operator#Athena2026",
    "compliance@athena.example": "Compliance#Athena2026",
    "admin@athena.example": "Admin#Athena2026",
}


def _user(email: str, full_name: str, *, staff: bool = False, superuser: bool = False) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={
            "username": email.split("@")[0],
            "full_name": full_name,
            "is_staff": staff,
            "is_superuser": superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORDS[email])
        user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


class Command(BaseCommand):
    help = "Create the demo customers and one staff user per role (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        for email, name, cpf, opening_balance in DEMO_CUSTOMERS:
            user = _user(email, name)
            user.groups.add(Group.objects.get_or_create(name=roles.CUSTOMER)[0])
            customer = Customer.objects.filter(user=user).first()
            if customer is None:
                customer = customer_register(user=user, full_name=name, tax_id=cpf)
                apply_transition(customer, "activate", by="demo", reason="demo data")
                customer.kyc_level = DEMO_KYC_LEVEL
                customer.save(update_fields=["kyc_level"])
            if not customer.accounts.exists():
                account = account_open(customer=customer)
                # Funded like any money arriving from outside: a TED settled at BACEN.
                deposit(
                    account_id=account.pk,
                    amount_cents=opening_balance,
                    description="Demo opening balance (TED received)",
                    kind="ted_in",
                )
        for email, name, role in DEMO_STAFF:
            user = _user(email, name, staff=True, superuser=(role == roles.ADMIN))
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        # The shipped OFAC and UN lists, once (a no-op when a version is already active).
        from apps.compliance.services import load_shipped_lists

        load_shipped_lists(stdout=self.stdout)
        # Their approved verification, by name: accounts imports no kyc code.
        call_command("load_demo_kyc", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
