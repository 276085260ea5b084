"""A customer whose portal has something on every page, as the demo data would leave it:
for the page-by-page checks (layout on a phone, accessibility) of tests/browser.

Built through the real services (and the simulators for the outside world), never by
writing rows the services own: KYC level 2 with an approved verification (every product
unlocked), a CPF key and a random key, a Pix received from another bank, a virtual card
with purchases, a contracted loan, an issued boleto, a boleto another bank registered
against her CPF (her DDA and something to pay), a refused erasure request, and João at
Athena with a CPF key to pay.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.utils import timezone

from apps.accounts.models import Account, Customer
from apps.boleto.codecs.codes import format_linha, linha_from_barcode
from apps.boleto.issuing.services import BoletoRequest, boleto_issue
from apps.boleto.models import Boleto
from apps.cards.models import Card
from apps.cards.services import authorize, card_issue
from apps.core.timezones import brasilia_today
from apps.loans.models import Loan
from apps.pix.keys import services as pix_keys
from apps.pix.models import PixTransfer
from apps.privacy.services import privacy_request_create
from apps.simulators.cip.simulator import register_third_party_boleto
from tests.factories.customers import new_cnpj, person
from tests.factories.ledger import funded_account
from tests.support.cards import purchase
from tests.support.loans import borrower, contracted_loan
from tests.support.pix_med import receive

PASSWORD = "secret-pass-123"  # UserFactory's


@dataclass(frozen=True)
class PortalDemo:
    account: Account
    email: str
    payee_key: str  # João's CPF key, digits only
    payee_account_number: str  # João's account at Athena, for a book transfer
    received: PixTransfer
    card: Card
    loan: Loan
    issued: Boleto
    linha_to_pay: str  # a boleto another bank registered against Maria's CPF


def _can_sign_in(customer: Customer) -> str:
    user = customer.user
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user.email


def portal_demo(*, now: dt.datetime | None = None) -> PortalDemo:
    now = now or timezone.now()
    customer, account = borrower(
        balance_cents=5_000_000, name="Maria Souza Santos", birth=dt.date(1980, 3, 14)
    )
    email = _can_sign_in(customer)
    pix_keys.key_register(account=account, key_type="CPF", key=customer.tax_id)
    pix_keys.key_register(account=account, key_type="EVP")
    received = receive(account, 12_345)

    joao = person("João Pereira Lima")
    joao_account = funded_account(0, customer=joao)
    pix_keys.key_register(account=joao_account, key_type="CPF", key=joao.tax_id)

    issued_card = card_issue(customer=customer, account_id=account.pk, kind="virtual")
    authorize(purchase(issued_card, 4_590, merchant_name="SUPERMERCADO BOM PRECO LTDA"))
    authorize(purchase(issued_card, 129_900, mcc="5732", merchant_name="LOJA DE ELETRONICOS"))

    loan = contracted_loan(account, now=now, principal_cents=800_000, installments=12)

    today = brasilia_today(now)
    issued = boleto_issue(
        customer=customer,
        account_id=account.pk,
        request=BoletoRequest(
            amount_cents=125_000,
            due_date=today + dt.timedelta(days=15),
            payer_name="Padaria Tres Irmaos Ltda",
            payer_tax_id=new_cnpj(),
            fine_percent=200,
            interest_monthly_percent=100,
            seu_numero="NF-77",
        ),
    )
    title = register_third_party_boleto(
        bank_code="341",
        beneficiary_name="Escola Aprender Ltda",
        beneficiary_tax_id=new_cnpj(),
        payer_name=customer.full_name,
        payer_tax_id=customer.tax_id,
        amount_cents=32_150,
        due_date=today + dt.timedelta(days=10),
    )
    # Refused at once (the account holds money): a long answer in the requests table.
    privacy_request_create(customer=customer, kind="erasure")
    return PortalDemo(
        account=account,
        email=email,
        payee_key=joao.tax_id,
        payee_account_number=joao_account.number,
        received=received,
        card=issued_card.card,
        loan=loan,
        issued=issued,
        linha_to_pay=format_linha(linha_from_barcode(title.barcode)),
    )
