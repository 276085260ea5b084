"""Boleto test helpers: issuers, payers, boletos registered at CIP by other banks, the
COMPE round trip (remittance, payment elsewhere, return file)."""

from __future__ import annotations

import datetime as dt

from apps.accounts.models import Account, Customer
from apps.boleto.issuing.services import BoletoRequest, boleto_issue
from apps.boleto.models import Boleto
from apps.boleto.settlement import services as settlement
from apps.core.timezones import brasilia_today
from apps.pix.keys.services import key_register
from apps.simulators.cip.simulator import register_third_party_boleto
from apps.simulators.compe.simulator import pay_from_other_bank
from tests.factories.customers import company, new_cnpj, new_cpf, person
from tests.factories.ledger import funded_account

ITAU = "341"


class Issuer:
    """A company that issues boletos: its funded account and, for hybrids, a Pix key."""

    def __init__(self, name: str = "Padaria Tres Irmaos Ltda", *, pix_key: bool = False) -> None:
        self.customer: Customer = company(name)
        self.account: Account = funded_account(10_000, customer=self.customer)
        self.key = (
            key_register(account=self.account, key_type="EVP", actor=self.customer.user).key
            if pix_key
            else None
        )

    def issue(self, *, amount_cents: int = 15_000, due_in_days: int = 10, **terms) -> Boleto:
        today = terms.pop("today", None) or brasilia_today()
        request = BoletoRequest(
            amount_cents=amount_cents,
            due_date=today + dt.timedelta(days=due_in_days),
            payer_name=terms.pop("payer_name", "Joao Carlos Pereira"),
            payer_tax_id=terms.pop("payer_tax_id", None) or new_cpf(),
            hybrid=terms.pop("hybrid", self.key is not None),
            **terms,
        )
        return boleto_issue(customer=self.customer, account_id=self.account.pk, request=request)


def payer(amount_cents: int = 500_000, name: str = "Maria Souza Lima") -> tuple[Customer, Account]:
    customer = person(name)
    return customer, funded_account(amount_cents, customer=customer)


def boleto_elsewhere(
    *,
    payer_customer: Customer | None = None,
    amount_cents: int = 25_000,
    due_date: dt.date | None = None,
    bank_code: str = ITAU,
    valid_days_after_due: int = 30,
    value_terms: dict | None = None,
    beneficiary_name: str = "Companhia de Luz do Estado SA",
):
    """A boleto another bank registered at CIP (against our customer when given)."""
    return register_third_party_boleto(
        bank_code=bank_code,
        beneficiary_name=beneficiary_name,
        beneficiary_tax_id=new_cnpj(),
        payer_name=payer_customer.full_name if payer_customer else "Fulano de Tal",
        payer_tax_id=payer_customer.tax_id if payer_customer else new_cpf(),
        amount_cents=amount_cents,
        due_date=due_date or brasilia_today() + dt.timedelta(days=5),
        valid_days_after_due=valid_days_after_due,
        value_terms=value_terms,
    )


def paid_elsewhere_and_returned(boleto: Boleto, *, paid_on: dt.date | None = None):
    """A payer at another bank pays our boleto; COMPE's next return file is processed."""
    pay_from_other_bank(boleto.barcode, paying_bank=ITAU, paid_on=paid_on)
    return settlement.returns_fetch()
