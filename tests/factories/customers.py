"""The one way tests build a customer: registered through the accounts service, as signup does."""

from __future__ import annotations

import itertools
import random
import uuid

from apps.accounts import services as account_services
from apps.accounts.models import Customer
from apps.core.documents import fake_cnpj, fake_cpf
from tests.factories.users import UserFactory

_documents = itertools.count(1)


def new_cpf() -> str:
    return fake_cpf(random.Random(f"cpf-{next(_documents)}-{uuid.uuid4()}"))


def new_cnpj() -> str:
    return fake_cnpj(random.Random(f"cnpj-{next(_documents)}-{uuid.uuid4()}"))


def person(name: str = "Maria Souza Lima", cpf: str | None = None) -> Customer:
    return account_services.customer_register(
        user=UserFactory(), full_name=name, tax_id=cpf or new_cpf()
    )


def company(name: str = "Padaria Tres Irmaos Ltda", cnpj: str | None = None) -> Customer:
    return account_services.customer_register(
        user=UserFactory(), full_name=name, tax_id=cnpj or new_cnpj()
    )
