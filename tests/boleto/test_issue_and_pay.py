"""Issuing a boleto and paying boletos: the services, CIP and the money gate."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.accounts.models import JournalEntry
from apps.boleto.codecs.codes import decode, format_linha
from apps.boleto.errors import BoletoAlreadyPaid, BoletoNotPayable, InvalidBoletoCode
from apps.boleto.issuing.services import boleto_cancel
from apps.boleto.models import Boleto, BoletoPayment
from apps.boleto.payments.services import boleto_pay, boleto_quote, scheduled_payments_run
from apps.core.errors import ValidationFailed
from apps.core.timezones import brasilia_today
from apps.simulators.cip.models import CipBoleto
from apps.simulators.compe.models import CompeItem
from tests.factories.ledger import balance_of
from tests.support.boletos import Issuer, boleto_elsewhere, payer

pytestmark = pytest.mark.django_db


def test_issued_boleto_is_registered_at_cip_with_a_valid_code():
    issuer = Issuer()
    boleto = issuer.issue(amount_cents=12_345, due_in_days=10)
    assert boleto.state == Boleto.State.REGISTERED
    assert boleto.barcode.startswith("3329")
    decoded = decode(format_linha(boleto.linha), today=brasilia_today())
    assert decoded.barcode == boleto.barcode
    assert decoded.amount_cents == 12_345
    assert decoded.due_date == boleto.due_date
    assert CipBoleto.objects.get(barcode=boleto.barcode).status == "open"


def test_nosso_numero_is_a_sequence_per_issuer():
    issuer = Issuer()
    first, second = issuer.issue(), issuer.issue()
    assert int(second.nosso_numero[-10:]) == int(first.nosso_numero[-10:]) + 1
    assert first.nosso_numero[:7] == second.nosso_numero[:7]
    other = Issuer("Outra Empresa Ltda").issue()
    assert other.nosso_numero[:7] != first.nosso_numero[:7]


def test_bad_issue_requests_change_nothing():
    issuer = Issuer()
    for terms, field in [
        ({"amount_cents": 0}, "amount"),
        ({"due_in_days": -1}, "due_date"),
        ({"payer_tax_id": "111.111.111-11"}, "payer_tax_id"),
        ({"fine_percent": 300}, "fine_percent"),  # a consumer's fine is at most 2%
    ]:
        with pytest.raises(ValidationFailed) as refused:
            issuer.issue(**terms)
        assert refused.value.field == field
    assert not Boleto.objects.exists()
    assert not CipBoleto.objects.exists()


def test_pay_a_boleto_of_another_bank_debits_once_and_tells_cip_and_compe():
    customer, account = payer()
    title = boleto_elsewhere(payer_customer=customer, amount_cents=25_000)
    quote = boleto_quote(code=title.barcode)
    assert quote.amount == 25_000 and quote.beneficiary_name == title.beneficiary_name
    payment = boleto_pay(customer=customer, account_id=account.pk, code=title.barcode)
    assert payment.state == BoletoPayment.State.PAID
    assert balance_of(account.pk)[0] == 500_000 - 25_000
    assert CipBoleto.objects.get(barcode=title.barcode).status == "paid"
    assert CompeItem.objects.filter(barcode=title.barcode, paying_bank="332").count() == 1
    entry = JournalEntry.objects.get(pk=payment.entry_id)
    assert entry.kind == "boleto_payment"
    with pytest.raises(BoletoAlreadyPaid):
        boleto_pay(customer=customer, account_id=account.pk, code=title.barcode)
    assert balance_of(account.pk)[0] == 500_000 - 25_000


def test_paid_elsewhere_then_here_is_refused_by_cip():
    customer, account = payer()
    title = boleto_elsewhere(payer_customer=customer)
    CipBoleto.objects.filter(barcode=title.barcode).update(status="paid")
    with pytest.raises(BoletoNotPayable):
        boleto_pay(customer=customer, account_id=account.pk, code=title.barcode)
    assert balance_of(account.pk)[0] == 500_000


def test_a_boleto_past_its_limit_date_is_refused():
    customer, account = payer()
    due = brasilia_today() - dt.timedelta(days=40)
    title = boleto_elsewhere(payer_customer=customer, due_date=due, valid_days_after_due=5)
    with pytest.raises(BoletoNotPayable) as refused:
        boleto_pay(customer=customer, account_id=account.pk, code=title.barcode)
    assert "limit" in refused.value.message
    assert not BoletoPayment.objects.exists()


def test_late_payment_adds_fine_and_interest_from_the_terms():
    customer, account = payer()
    due = brasilia_today() - dt.timedelta(days=30)
    terms = {
        "multa": {"modalidade": 2, "valorPerc": "2.00"},
        "juros": {"modalidade": 3, "valorPerc": "1.00"},
    }
    title = boleto_elsewhere(
        payer_customer=customer, amount_cents=100_000, due_date=due, value_terms=terms
    )
    quote = boleto_quote(code=title.barcode)
    assert quote.breakdown["fine"] == 2_000
    assert quote.breakdown["interest"] > 0
    assert quote.amount == 100_000 + 2_000 + quote.breakdown["interest"]


def test_invalid_code_names_the_rule_and_changes_nothing():
    customer, account = payer()
    title = boleto_elsewhere(payer_customer=customer)
    digits = list(title.barcode)
    digits[10] = str((int(digits[10]) + 1) % 10)
    with pytest.raises(InvalidBoletoCode) as refused:
        boleto_pay(customer=customer, account_id=account.pk, code="".join(digits))
    assert "check digit" in refused.value.message
    assert not BoletoPayment.objects.exists()


def test_unregistered_bank_boleto_is_refused():
    from apps.boleto.codecs.codes import bank_barcode

    customer, account = payer()
    barcode = bank_barcode(
        bank_code="237",
        amount_cents=1_000,
        due_date=brasilia_today() + dt.timedelta(days=3),
        free_field="1" * 25,
    )
    with pytest.raises(BoletoNotPayable):
        boleto_pay(customer=customer, account_id=account.pk, code=barcode)


def test_kyc_level_zero_limit_applies_to_boletos():
    customer, account = payer(amount_cents=2_000_000)
    title = boleto_elsewhere(payer_customer=customer, amount_cents=60_000)  # over R$ 500,00
    from apps.accounts.errors import LimitExceeded

    with pytest.raises(LimitExceeded):
        boleto_pay(customer=customer, account_id=account.pk, code=title.barcode)
    assert balance_of(account.pk)[0] == 2_000_000
    assert CipBoleto.objects.get(barcode=title.barcode).status == "open"
    assert not BoletoPayment.objects.exists()


def test_scheduled_payment_moves_no_money_until_its_day():
    customer, account = payer()
    today = brasilia_today()
    day = today + dt.timedelta(days=1)
    from apps.core import due_amounts

    day = due_amounts.next_business_day(day, due_amounts.B3)
    title = boleto_elsewhere(payer_customer=customer, due_date=day + dt.timedelta(days=3))
    payment = boleto_pay(
        customer=customer, account_id=account.pk, code=title.barcode, scheduled_for=day
    )
    assert payment.state == BoletoPayment.State.SCHEDULED
    assert balance_of(account.pk)[0] == 500_000
    assert (
        scheduled_payments_run(now=dt.datetime.combine(today, dt.time(15, 0), tzinfo=dt.UTC)) == 0
    )
    assert scheduled_payments_run(now=dt.datetime.combine(day, dt.time(15, 0), tzinfo=dt.UTC)) == 1
    payment.refresh_from_db()
    assert payment.state == BoletoPayment.State.PAID
    assert balance_of(account.pk)[0] == 500_000 - payment.amount


def test_a_schedule_on_a_holiday_is_refused():
    customer, account = payer()
    title = boleto_elsewhere(payer_customer=customer, due_date=dt.date(2099, 1, 10))
    with pytest.raises(ValidationFailed) as refused:
        boleto_pay(
            customer=customer,
            account_id=account.pk,
            code=title.barcode,
            scheduled_for=dt.date(2098, 12, 25),
        )
    assert refused.value.field == "scheduled_for"


def test_cancelled_boleto_is_closed_at_cip_and_cannot_be_paid():
    issuer = Issuer()
    boleto = issuer.issue()
    boleto_cancel(customer=issuer.customer, boleto_id=boleto.pk)
    assert CipBoleto.objects.get(barcode=boleto.barcode).status == "written_off"
    customer, account = payer()
    with pytest.raises(BoletoNotPayable):
        boleto_pay(customer=customer, account_id=account.pk, code=boleto.barcode)


def test_the_limit_date_ends_at_midnight_in_brasilia():
    customer, account = payer()
    due = dt.date(2030, 3, 15)  # a Friday
    title = boleto_elsewhere(payer_customer=customer, due_date=due, valid_days_after_due=0)
    friday_night = dt.datetime(2030, 3, 16, 2, 30, tzinfo=dt.UTC)  # 23:30 in Brasilia
    saturday = dt.datetime(2030, 3, 16, 3, 30, tzinfo=dt.UTC)  # 00:30 in Brasilia
    with pytest.raises(BoletoNotPayable):
        boleto_pay(customer=customer, account_id=account.pk, code=title.barcode, now=saturday)
    payment = boleto_pay(
        customer=customer, account_id=account.pk, code=title.barcode, now=friday_night
    )
    assert payment.state == BoletoPayment.State.PAID
    assert CipBoleto.objects.get(barcode=title.barcode).paid_on == due
