"""The customer portal's boleto pages (Django test client, real database and services).

Only the outside world is simulated, by the project's own simulators (CIP, COMPE). Every
refusal a customer can cause is a form error (400/422) with nothing changed, never a 500;
another customer's boleto or payment does not exist (404).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.boleto.codecs.codes import format_linha, linha_from_barcode
from apps.boleto.models import Boleto, BoletoPayment
from apps.core.due_amounts import B3
from apps.core.timezones import brasilia_today
from apps.simulators.cip.models import CipBoleto
from apps.simulators.cip.simulator import register_third_party_boleto
from tests.factories.customers import new_cnpj, person
from tests.factories.ledger import balance_of, funded_account
from tests.support.portal_confirm import confirm, shown_of

pytestmark = pytest.mark.django_db

PAY = reverse("portal:boleto:pay")
DDA = reverse("portal:boleto:dda")
PAYMENTS = reverse("portal:boleto:payments")
ISSUE = reverse("portal:boleto:issue")
ISSUED = reverse("portal:boleto:issued")


def customer_account(name: str, amount_cents: int = 0):
    return funded_account(amount_cents, customer=person(name))


def signed_in(account) -> Client:
    client = Client()
    client.force_login(account.customer.user)
    return client


def boleto_for(account, amount_cents: int = 25_000, due_in_days: int = 10):
    """A boleto another bank (Itau, 341) registered at CIP against the customer's CPF."""
    return register_third_party_boleto(
        bank_code="341",
        beneficiary_name="Escola Aprender Ltda",
        beneficiary_tax_id=new_cnpj(),
        payer_name=account.customer.full_name,
        payer_tax_id=account.customer.tax_id,
        amount_cents=amount_cents,
        due_date=brasilia_today() + dt.timedelta(days=due_in_days),
    )


def pasted(barcode: str) -> str:
    """The linha as a person copies it from a PDF: dots and spaces."""
    return format_linha(linha_from_barcode(barcode))


def start_payment(client: Client, account, code: str, **fields):
    return client.post(PAY, {"account": account.pk, "code": code, **fields})


def confirm_url(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    url = response["Location"]
    assert re.fullmatch(r"/boletos/pay/[0-9a-f-]{36}/confirm/", url)
    return url


def errors_of(response) -> str:
    html = response.content.decode()
    match = re.search(r'<div class="alert alert--error form-errors".*?</div>', html, re.S)
    assert match, "no form errors on the page"
    return match.group(0)


def next_business_day(after: dt.date) -> dt.date:
    day = after + dt.timedelta(days=1)
    while not B3.is_business_day(day):
        day += dt.timedelta(days=1)
    return day


def test_a_new_customer_sees_a_boleto_in_dda_pays_it_and_cannot_pay_it_twice():
    maria = customer_account("Maria Souza Lima", 100_000)
    title = boleto_for(maria)
    client = signed_in(maria)

    dda = client.get(DDA)
    assert dda.status_code == 200
    assert f'data-testid="dda-row-{title.barcode}"' in dda.content.decode()
    assert "Escola Aprender Ltda" in dda.content.decode()

    # The DDA's "Pay" posts the barcode to the pay form: straight to the confirmation.
    url = confirm_url(client.post(PAY, {"account": maria.pk, "code": title.barcode}))
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="beneficiary">Escola Aprender Ltda<' in html
    assert 'data-testid="amount"><strong>R$ 250,00</strong>' in html
    assert pasted(title.barcode) in html
    assert balance_of(maria.pk) == (100_000, 100_000)  # nothing moved yet
    assert 'name="amount"' not in html and 'name="scheduled_for"' not in html  # fixed text

    shown = shown_of(html)
    done = client.post(url, {"shown": shown})
    assert done.status_code == 302
    receipt = client.get(done["Location"])
    assert receipt.status_code == 200
    payment = BoletoPayment.objects.get()
    assert payment.state == BoletoPayment.State.PAID and payment.amount == 25_000
    assert str(payment.public_id) in receipt.content.decode()
    assert balance_of(maria.pk) == (75_000, 75_000)
    assert CipBoleto.objects.get(barcode=title.barcode).status == "paid"

    # Reposting the same confirmation pays nothing more.
    again = client.post(url, {"shown": shown})
    assert again.status_code == 302 and again["Location"] == done["Location"]
    assert BoletoPayment.objects.count() == 1

    # Paid: gone from DDA, listed in my payments; a second payment is a form error.
    assert title.barcode not in client.get(DDA).content.decode()
    assert f"payment-row-{payment.public_id}" in client.get(PAYMENTS).content.decode()
    second = start_payment(client, maria, pasted(title.barcode))
    assert second.status_code == 422
    assert "id_code" in errors_of(second)
    assert BoletoPayment.objects.count() == 1
    assert balance_of(maria.pk) == (75_000, 75_000)


@pytest.mark.parametrize("language", ["pt-br", "en"])
def test_an_invalid_code_names_the_rule_in_the_customer_language(language):
    maria = customer_account("Maria Souza Lima", 100_000)
    title = boleto_for(maria)
    client = signed_in(maria)
    client.cookies["django_language"] = language
    linha = linha_from_barcode(title.barcode)
    wrong = linha[:12] + str((int(linha[12]) + 1) % 10) + linha[13:]  # field 2 changed
    response = start_payment(client, maria, wrong)
    assert response.status_code == 400
    expected = {
        "pt-br": "o dígito verificador do campo 2 está errado",
        "en": "the check digit of field 2 is wrong",
    }[language]
    assert expected in errors_of(response)
    short = start_payment(client, maria, "1234")
    assert short.status_code == 400
    assert {"pt-br": "44 dígitos", "en": "44 digits"}[language] in errors_of(short)
    assert not BoletoPayment.objects.exists()


def test_an_unregistered_boleto_is_a_form_error_not_a_500():
    maria = customer_account("Maria Souza Lima", 100_000)
    client = signed_in(maria)
    other = customer_account("Outro Pagador")
    title = boleto_for(other)
    CipBoleto.objects.filter(barcode=title.barcode).delete()
    response = start_payment(client, maria, title.barcode)
    assert response.status_code == 422
    assert "CIP" in errors_of(response)


def test_insufficient_funds_are_refused_on_the_first_step_naming_what_is_available():
    maria = customer_account("Maria Souza Lima", 1_000)
    title = boleto_for(maria, amount_cents=25_000)
    client = signed_in(maria)
    response = start_payment(client, maria, pasted(title.barcode))
    assert response.status_code == 422
    assert "id_amount" in errors_of(response) and "R$ 10,00" in errors_of(response)
    assert not client.session.get("portal_pending_boletos")
    assert not BoletoPayment.objects.exists()
    assert CipBoleto.objects.get(barcode=title.barcode).status == "open"


def test_funds_gone_between_the_steps_stay_on_the_confirmation_with_a_form_error():
    from apps.accounts import services as account_services

    maria = customer_account("Maria Souza Lima", 30_000)
    other = customer_account("Outra Pessoa")
    title = boleto_for(maria, amount_cents=25_000)
    client = signed_in(maria)
    url = confirm_url(start_payment(client, maria, pasted(title.barcode)))
    account_services.transfer_send(source_id=maria.pk, destination_id=other.pk, amount_cents=10_000)
    response = confirm(client, url)
    assert response.status_code == 422
    errors_of(response)
    assert not BoletoPayment.objects.exists()
    assert CipBoleto.objects.get(barcode=title.barcode).status == "open"


def test_a_boleto_above_the_daily_limit_is_refused_on_the_first_step():
    from apps.accounts.models import Customer

    maria = customer_account("Maria Souza Lima", 100_000)
    Customer.objects.filter(pk=maria.customer_id).update(kyc_level=0)  # R$ 500,00 a day
    title = boleto_for(maria, amount_cents=50_001)
    client = signed_in(maria)
    response = start_payment(client, maria, pasted(title.barcode))
    assert response.status_code == 422
    assert "id_amount" in errors_of(response) and "R$ 500,00" in errors_of(response)
    assert not client.session.get("portal_pending_boletos")
    assert not BoletoPayment.objects.exists()


def test_a_schedule_on_a_day_that_is_no_business_day_is_refused_on_the_first_step():
    maria = customer_account("Maria Souza Lima", 100_000)
    title = boleto_for(maria, due_in_days=20)
    client = signed_in(maria)
    day = brasilia_today() + dt.timedelta(days=1)
    while B3.is_business_day(day):
        day += dt.timedelta(days=1)
    response = start_payment(client, maria, title.barcode, scheduled_for=day.isoformat())
    assert response.status_code == 422
    assert "id_scheduled_for" in errors_of(response)
    assert not BoletoPayment.objects.exists()


def test_sanctions_and_limits_refusals_are_form_errors_on_the_confirmation(monkeypatch):
    """The screening and the money gate are the services' own (tested with them); here,
    only that their refusals reach the customer as form errors with nothing paid."""
    from apps.accounts import services as account_services
    from apps.accounts.errors import LimitExceeded
    from apps.compliance import services as screening

    maria = customer_account("Maria Souza Lima", 100_000)
    title = boleto_for(maria)
    client = signed_in(maria)
    client.cookies["django_language"] = "en"
    url = confirm_url(start_payment(client, maria, pasted(title.barcode)))
    shown = shown_of(client.get(url).content.decode())

    monkeypatch.setattr(screening, "payee_blocking_lists", lambda **kwargs: {"ofac"})
    stopped = client.post(url, {"shown": shown})
    assert stopped.status_code == 422
    assert "compliance screening" in errors_of(stopped)
    monkeypatch.undo()

    def over_the_limit(**kwargs):
        raise LimitExceeded("Daily boleto limit exceeded.", field="amount")

    monkeypatch.setattr(account_services, "money_gate_check", over_the_limit)
    limited = client.post(url, {"shown": shown})
    assert limited.status_code == 422
    assert "above your boleto limits" in errors_of(limited)
    assert not BoletoPayment.objects.exists()
    assert balance_of(maria.pk) == (100_000, 100_000)
    assert CipBoleto.objects.get(barcode=title.barcode).status == "open"


def test_a_boleto_without_amount_asks_the_payer_for_it_on_the_first_step():
    maria = customer_account("Maria Souza Lima", 30_000)
    title = boleto_for(maria, amount_cents=0)
    client = signed_in(maria)
    missing = start_payment(client, maria, title.barcode)
    assert missing.status_code == 422 and "id_amount" in errors_of(missing)
    too_much = start_payment(client, maria, title.barcode, amount="400,00")  # > her balance
    assert too_much.status_code == 422
    assert "id_amount" in errors_of(too_much) and "R$ 300,00" in errors_of(too_much)
    url = confirm_url(start_payment(client, maria, title.barcode, amount="123,45"))
    page = client.get(url).content.decode()
    assert "R$ 123,45" in page and 'name="amount"' not in page
    assert confirm(client, url).status_code == 302
    assert BoletoPayment.objects.get().amount == 12_345


def test_a_boleto_with_an_amount_refuses_another_typed_amount():
    maria = customer_account("Maria Souza Lima", 100_000)
    title = boleto_for(maria, amount_cents=25_000)
    client = signed_in(maria)
    response = start_payment(client, maria, title.barcode, amount="10,00")
    assert response.status_code == 422
    assert "id_amount" in errors_of(response) and "R$ 250,00" in errors_of(response)
    assert confirm_url(start_payment(client, maria, title.barcode, amount="250,00"))


def test_a_scheduled_payment_can_be_cancelled():
    maria = customer_account("Maria Souza Lima", 100_000)
    title = boleto_for(maria, due_in_days=20)
    client = signed_in(maria)
    day = next_business_day(brasilia_today())
    url = confirm_url(start_payment(client, maria, pasted(title.barcode), scheduled_for=day))
    assert day.strftime("%d/%m/%Y") in client.get(url).content.decode()
    done = confirm(client, url)
    assert done.status_code == 302
    payment = BoletoPayment.objects.get()
    assert payment.state == BoletoPayment.State.SCHEDULED and payment.scheduled_for == day
    assert balance_of(maria.pk) == (100_000, 100_000)
    page = client.get(PAYMENTS).content.decode()
    cancel = reverse("portal:boleto:payment_cancel", args=[payment.public_id])
    assert cancel in page
    assert client.post(cancel).status_code == 302
    payment.refresh_from_db()
    assert payment.state == BoletoPayment.State.CANCELLED
    # Cancelled: the boleto is in DDA again.
    assert title.barcode in client.get(DDA).content.decode()


def issue_form(account, **changes) -> dict:
    data = {
        "account": account.pk,
        "payer_name": "João Pereira Santos",
        "payer_tax_id": "529.982.247-25",
        "amount": "1.500,00",
        "due_date": (brasilia_today() + dt.timedelta(days=15)).isoformat(),
        "fine_percent": "2,00",
        "interest_monthly_percent": "1",
        "discount": "50,00",
        "discount_until": (brasilia_today() + dt.timedelta(days=5)).isoformat(),
        "valid_days_after_due": "30",
        "seu_numero": "NF-123",
        "description": "Mensalidade de março",
        "hybrid": "on",
    }
    data.update(changes)
    return data


def test_issue_a_boleto_see_its_linha_and_cancel_it():
    padaria = customer_account("Ana Padaria", 0)
    client = signed_in(padaria)
    assert client.get(ISSUE).status_code == 200
    response = client.post(ISSUE, issue_form(padaria))
    assert response.status_code == 302, response.content.decode()[:3000]
    boleto = Boleto.objects.get()
    assert response["Location"] == reverse("portal:boleto:issued_detail", args=[boleto.public_id])
    assert boleto.amount == 150_000 and boleto.seu_numero == "NF-123"
    assert boleto.value_terms["multa"]["valorPerc"] == "2.00"
    assert boleto.value_terms["juros"]["valorPerc"] == "1.00"
    assert boleto.value_terms["desconto"]["descontoDataFixa"][0]["valorPerc"] == "50.00"

    detail = client.get(response["Location"]).content.decode()
    assert format_linha(boleto.linha) in detail
    assert "data-copy-target" in detail and "js/copy.js" in detail
    listed = client.get(ISSUED, {"state": "registered"}).content.decode()
    assert f"boleto-row-{boleto.public_id}" in listed
    assert (
        f"boleto-row-{boleto.public_id}"
        not in client.get(ISSUED, {"state": "paid"}).content.decode()
    )

    cancel = reverse("portal:boleto:issued_cancel", args=[boleto.public_id])
    assert client.post(cancel).status_code == 302
    boleto.refresh_from_db()
    assert boleto.state == Boleto.State.CANCELLED
    # Cancelled: a second cancel is a message, not an error page.
    assert client.post(cancel, follow=True).status_code == 200


def test_issue_refusals_are_form_errors():
    padaria = customer_account("Ana Padaria", 0)
    client = signed_in(padaria)
    bad = client.post(ISSUE, issue_form(padaria, payer_tax_id="111.111.111-11", amount="abc"))
    assert bad.status_code == 400
    assert "id_payer_tax_id" in errors_of(bad) and "id_amount" in errors_of(bad)
    # A person's late fine is capped at 2% by law: the service says so, on the field.
    over = client.post(ISSUE, issue_form(padaria, fine_percent="3,00"))
    assert over.status_code == 422
    assert "id_fine_percent" in errors_of(over)
    assert not Boleto.objects.exists()


def test_the_pdf_of_an_issued_boleto_downloads():
    padaria = customer_account("Ana Padaria", 0)
    client = signed_in(padaria)
    client.post(ISSUE, issue_form(padaria))
    boleto = Boleto.objects.get()
    response = client.get(reverse("portal:boleto:issued_pdf", args=[boleto.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_another_customers_boleto_and_payment_do_not_exist():
    maria = customer_account("Maria Souza Lima", 100_000)
    title = boleto_for(maria)
    mine = signed_in(maria)
    confirm(mine, confirm_url(start_payment(mine, maria, title.barcode)))
    payment = BoletoPayment.objects.get()
    mine.post(ISSUE, issue_form(maria))
    boleto = Boleto.objects.get()

    intruder = customer_account("Carlos Intruso", 100_000)
    other = signed_in(intruder)
    for name, key in [
        ("payment_detail", payment.public_id),
        ("issued_detail", boleto.public_id),
        ("issued_pdf", boleto.public_id),
    ]:
        assert other.get(reverse(f"portal:boleto:{name}", args=[key])).status_code == 404
    for name, key in [("payment_cancel", payment.public_id), ("issued_cancel", boleto.public_id)]:
        assert other.post(reverse(f"portal:boleto:{name}", args=[key])).status_code == 404
    boleto.refresh_from_db()
    assert boleto.state == Boleto.State.REGISTERED
    assert f"payment-row-{payment.public_id}" not in other.get(PAYMENTS).content.decode()
    assert f"boleto-row-{boleto.public_id}" not in other.get(ISSUED).content.decode()
    # Nor does another customer's confirmation token.
    url = confirm_url(start_payment(mine, maria, boleto_for(maria).barcode))
    assert other.get(url).status_code == 302  # unknown here: back to the form


def test_pages_need_a_sign_in():
    for url in (PAY, DDA, PAYMENTS, ISSUE, ISSUED):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
