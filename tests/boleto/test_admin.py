"""The boleto console (apps/boleto/admin.py) and the CIP and COMPE simulators' consoles:
every page answers, CPF/CNPJ are masked, the PDF opens, a third-party boleto is registered
from the CIP page, "pay from another bank" works, and reprocessing a rejected return file
takes two operators."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import messages as django_messages
from django.contrib.admin import helpers
from django.urls import reverse

from apps.boleto.codecs.cnab240 import mask_tax_ids as mask_cnab
from apps.boleto.issuing.services import BoletoRequest, boleto_issue
from apps.boleto.models import Boleto, BoletoIssuer, BoletoPayment, CnabFile, CnabLine
from apps.boleto.payments.services import boleto_pay
from apps.boleto.settlement import services as settlement
from apps.core.documents import mask_tax_id
from apps.core.timezones import brasilia_today
from apps.simulators.cip.models import CipBoleto
from apps.simulators.cip.simulator import register_third_party_boleto
from apps.simulators.compe.models import CompeFile, CompeItem, CompePendingAnswer
from tests.factories.customers import company, new_cnpj, new_cpf, person
from tests.factories.ledger import funded_account
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def _superuser():
    return UserFactory(is_staff=True, is_superuser=True)


def _issue(payer_tax_id: str) -> Boleto:
    customer = company("Padaria Tres Irmaos Ltda")
    account = funded_account(customer=customer)
    return boleto_issue(
        customer=customer,
        account_id=account.pk,
        request=BoletoRequest(
            amount_cents=25_000,
            due_date=brasilia_today() + dt.timedelta(days=5),
            payer_name="Francisco da Silva",
            payer_tax_id=payer_tax_id,
            payer_address={"street": "Rua das Flores, 80", "city": "Recife", "state": "PE"},
            fine_percent=200,
            hybrid=False,
        ),
    )


@pytest.fixture
def world():
    """One of everything: an issued boleto remitted and paid at another bank, its return
    processed, a payment of another bank's boleto, and a rejected return file."""
    payer_cpf = new_cpf()
    boleto = _issue(payer_cpf)
    settlement.remittance_send()
    payer = person("Joana Prado")
    payer_account = funded_account(1_000_000, customer=payer)
    title = register_third_party_boleto(
        bank_code="341",
        beneficiary_name="Loja de Fora Ltda",
        beneficiary_tax_id=new_cnpj(),
        payer_name="Joana Prado",
        payer_tax_id=payer.tax_id,
        amount_cents=5_000,
        due_date=brasilia_today() + dt.timedelta(days=3),
    )
    payment = boleto_pay(customer=payer, account_id=payer_account.pk, code=title.barcode)
    from apps.simulators.compe.simulator import pay_from_other_bank

    pay_from_other_bank(boleto.barcode)
    settlement.returns_fetch()
    rejected = settlement.return_receive(name="broken.ret", content="not a CNAB file\n")
    assert rejected.state == CnabFile.State.REJECTED
    return {"boleto": boleto, "payment": payment, "rejected": rejected, "payer_cpf": payer_cpf}


def test_every_page_answers_for_a_superuser(client, world):
    client.force_login(_superuser())
    objects = [
        world["boleto"],
        world["payment"],
        BoletoIssuer.objects.first(),
        world["rejected"],
        *CnabFile.objects.exclude(pk=world["rejected"].pk),
        CipBoleto.objects.first(),
        CompeItem.objects.first(),
        CompeFile.objects.first(),
        CompePendingAnswer.objects.first(),
    ]
    assert CnabLine.objects.exists()
    for obj in objects:
        assert obj is not None
        model = type(obj)
        assert client.get(changelist(model)).status_code == 200, model
        assert client.get(change(obj)).status_code == 200, model
    history = reverse("admin:boleto_boleto_history", args=[world["boleto"].pk])
    assert client.get(history).status_code == 200
    assert client.get(reverse("admin:simulators_cipboleto_add")).status_code == 200
    for model, query in (
        (Boleto, world["boleto"].nosso_numero),
        (Boleto, world["boleto"].linha),
        (BoletoPayment, world["payment"].barcode),
        (Boleto, "words"),
    ):
        response = client.get(changelist(model), {"q": query})
        assert response.status_code == 200
    found = client.get(changelist(Boleto), {"q": world["boleto"].linha})
    assert world["boleto"].nosso_numero in found.content.decode()


def test_the_boleto_pdf_opens_from_the_console(client, world):
    client.force_login(_superuser())
    url = reverse("admin:boleto_boleto_pdf", args=[world["boleto"].pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_tax_ids_are_masked_for_staff_without_the_permission(client, world):
    staff = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="boleto", codename__in=("view_boleto", "view_cnabfile")
        )
    )
    client.force_login(staff)
    page = client.get(change(world["boleto"])).content.decode()
    assert mask_tax_id(world["payer_cpf"]) in page
    assert world["payer_cpf"] not in page
    remittance = CnabFile.objects.filter(direction=CnabFile.Direction.REMITTANCE).first()
    assert world["payer_cpf"] in remittance.content
    page = client.get(change(remittance)).content.decode()
    assert world["payer_cpf"] not in page
    assert world["payer_cpf"] not in mask_cnab(remittance.content)


def _act(client, model, action: str, pks, **extra):
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], **extra}
    return client.post(changelist(model), data, follow=True)


def _messages(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


def test_reprocessing_a_rejected_return_file_takes_two_operators(client, world):
    rejected = world["rejected"]
    requester, approver = _superuser(), _superuser()
    client.force_login(requester)
    response = _act(
        client,
        CnabFile,
        "request_reprocessing",
        [rejected.pk],
        apply="1",
        reason="the bank sent a corrected copy",
    )
    assert response.status_code == 200
    rejected.refresh_from_db()
    assert rejected.reprocess_requested_by == requester

    response = _act(client, CnabFile, "approve_reprocessing", [rejected.pk])
    assert any(
        level == django_messages.ERROR and "quatro olhos" in text  # the admin speaks pt-BR
        for level, text in _messages(response)
    )
    rejected.refresh_from_db()
    assert rejected.reprocess_approved_by is None
    assert rejected.reprocess_count == 0

    client.force_login(approver)
    response = _act(client, CnabFile, "approve_reprocessing", [rejected.pk])
    rejected.refresh_from_db()
    assert rejected.reprocess_approved_by == approver
    assert rejected.reprocess_count == 1
    # The same broken content is refused again, and says so.
    assert rejected.state == CnabFile.State.REJECTED
    assert any(level == django_messages.WARNING for level, _ in _messages(response))


def test_a_processed_file_cannot_be_reprocessed(client, world):
    processed = CnabFile.objects.filter(state=CnabFile.State.PROCESSED).first()
    assert processed is not None
    client.force_login(_superuser())
    response = _act(client, CnabFile, "request_reprocessing", [processed.pk], apply="1", reason="x")
    assert any(level == django_messages.ERROR for level, _ in _messages(response))
    processed.refresh_from_db()
    assert processed.reprocess_requested_by is None


def test_registering_a_third_party_boleto_from_the_cip_page(client):
    client.force_login(_superuser())
    payer_cpf = new_cpf()
    due = brasilia_today() + dt.timedelta(days=7)
    response = client.post(
        reverse("admin:simulators_cipboleto_add"),
        {
            "bank": "237",
            "beneficiary": "Escola Futuro Ltda",
            "beneficiary_document": new_cnpj(),
            "payer": "Rita Alves",
            "payer_document": payer_cpf,
            "amount_brl": "150,00",
            "due": due.isoformat(),
            "payable_days_after_due": "10",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = CipBoleto.objects.get(payer_tax_id=payer_cpf)
    assert (row.bank_code, row.amount, row.due_date) == ("237", 15_000, due)
    assert row.barcode.startswith("2379")


def test_our_bank_code_is_refused_on_the_cip_page(client):
    client.force_login(_superuser())
    response = client.post(
        reverse("admin:simulators_cipboleto_add"),
        {
            "bank": "332",
            "beneficiary": "Escola Futuro Ltda",
            "beneficiary_document": new_cnpj(),
            "payer": "Rita Alves",
            "payer_document": new_cpf(),
            "amount_brl": "150.00",
            "due": (brasilia_today() + dt.timedelta(days=7)).isoformat(),
            "payable_days_after_due": "10",
        },
    )
    assert response.status_code == 200
    assert not CipBoleto.objects.exists()


def test_pay_from_another_bank_action(client):
    boleto = _issue(new_cpf())
    client.force_login(_superuser())
    row = CipBoleto.objects.get(barcode=boleto.barcode)
    response = _act(client, CipBoleto, "pay_from_other_bank", [row.pk])
    assert any(level == django_messages.SUCCESS for level, _ in _messages(response))
    item = CompeItem.objects.get(barcode=boleto.barcode)
    assert item.amount == boleto.amount
    row.refresh_from_db()
    assert row.status == CipBoleto.Status.PAID
    # Twice is refused by CIP, shown as an error.
    response = _act(client, CipBoleto, "pay_from_other_bank", [row.pk])
    assert any(level == django_messages.ERROR for level, _ in _messages(response))
    assert CompeItem.objects.filter(barcode=boleto.barcode).count() == 1
