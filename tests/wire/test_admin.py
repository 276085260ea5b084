"""The TED console (apps/wire/admin.py) and the simulated STR's (apps/simulators/str/admin.py):
every page answers for a superuser, no CPF/CNPJ appears in clear on any of them (not even
for a superuser), the directory reloads from the shipped list, and an account at another
bank is registered from its add page."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from apps.core.documents import mask_tax_id, synthetic_cpf
from apps.simulators.str.models import StrBankAccount, StrDelivery, StrReserves, StrSettlement
from apps.simulators.str.simulator import StrSimulator
from apps.wire import services
from apps.wire.models import InboundWire, Participant, StrMessage, Wire, WireFavourite
from apps.wire.services import favourites
from tests.factories.users import UserFactory
from tests.support.wires import IN_WINDOW, NUBANK_ISPB, order, payee, send, ted_sender

pytestmark = pytest.mark.django_db

ITAU_ISPB = "60701190"


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def world():
    """A settled TED, a returned one, a scheduled one, a TED received, a favourite."""
    with time_machine.travel(IN_WINDOW, tick=False):
        account = ted_sender(1_000_000)
        customer = account.customer
        settled_to, closed_to = payee(), payee(state="closed")
        settled = send(customer=customer, **order(account, settled_to, 10_000))
        returned = send(customer=customer, **order(account, closed_to, 20_000))
        sender_cpf = synthetic_cpf(77, salt=5)
        StrSimulator().inbound_ted(
            sender_ispb=ITAU_ISPB,
            sender_name="Carlos Alberto Nunes",
            sender_tax_id=sender_cpf,
            branch=account.branch,
            account_number=account.number,
            holder_tax_id=customer.tax_id,
            amount_cents=7_500,
        )
        assert services.wires_inbox_run() == 2
    scheduled = send(
        customer=customer,
        **order(account, payee(), 5_000),
        now=IN_WINDOW.replace(hour=18),
    )
    favourite = favourites.favourite_save(
        customer=customer,
        nickname="Casa",
        bank_ispb=NUBANK_ISPB,
        branch=settled_to["branch"],
        account_number=settled_to["account_number"],
        holder_name=settled_to["holder_name"],
        holder_tax_id=settled_to["holder_tax_id"],
    )
    returned.refresh_from_db()
    settled.refresh_from_db()
    assert settled.state == Wire.State.SETTLED
    assert returned.state == Wire.State.RETURNED
    assert scheduled.state == Wire.State.SCHEDULED
    documents = {
        customer.tax_id,
        settled_to["holder_tax_id"],
        closed_to["holder_tax_id"],
        sender_cpf,
    }
    return {
        "settled": settled,
        "returned": returned,
        "scheduled": scheduled,
        "inbound": InboundWire.objects.get(),
        "favourite": favourite,
        "documents": documents,
    }


def _assert_no_clear_document(html: str, documents: set[str]) -> None:
    for document in documents:
        assert document not in html, f"{document} shown in clear"


def test_every_page_answers_and_no_document_is_in_clear(admin_client, world):
    pages = [
        changelist(Wire),
        change(world["settled"]),
        change(world["returned"]),
        change(world["scheduled"]),
        reverse("admin:wire_wire_history", args=[world["settled"].pk]),
        changelist(InboundWire),
        change(world["inbound"]),
        changelist(StrMessage),
        change(StrMessage.objects.filter(wire=world["settled"]).first()),
        changelist(Participant),
        change(Participant.objects.get(ispb=NUBANK_ISPB)),
        changelist(WireFavourite),
        change(world["favourite"]),
        changelist(StrBankAccount),
        change(StrBankAccount.objects.first()),
        reverse("admin:simulators_strbankaccount_add"),
        changelist(StrSettlement),
        change(StrSettlement.objects.first()),
        changelist(StrDelivery),
        change(StrDelivery.objects.first()),
        changelist(StrReserves),
        change(StrReserves.objects.first()),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        _assert_no_clear_document(response.content.decode(), world["documents"])


def test_the_wire_page_shows_money_the_masked_holder_messages_and_transitions(admin_client, world):
    wire = world["settled"]
    html = admin_client.get(change(wire)).content.decode()
    assert "R$ 100,00" in html and "R$ 5,00" in html
    assert mask_tax_id(wire.holder_tax_id) in html
    assert "STR0008R1" in html  # the message inline
    assert "settled at the STR" in html  # the transitions table, with its reasons
    assert wire.control_number in html and wire.str_control_number in html
    returned = admin_client.get(change(world["returned"])).content.decode()
    assert "conta de destino encerrada" in returned or "destination account closed" in returned

    listing = admin_client.get(changelist(Wire), {"q": wire.control_number}).content.decode()
    assert wire.control_number in listing
    assert admin_client.get(changelist(Wire), {"state__exact": "scheduled"}).status_code == 200
    found = admin_client.get(changelist(Wire), {"q": world["returned"].control_number})
    assert world["settled"].control_number not in found.content.decode()


def test_the_directory_reloads_from_the_shipped_list(admin_client):
    Participant.objects.filter(ispb=NUBANK_ISPB).delete()
    any_row = Participant.objects.first()
    response = admin_client.post(
        changelist(Participant),
        {"action": "reload_directory", "_selected_action": [any_row.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert Participant.objects.filter(ispb=NUBANK_ISPB, compe="260").exists()
    search = admin_client.get(changelist(Participant), {"q": "nu pagamentos"}).content.decode()
    assert NUBANK_ISPB in search


def test_an_account_at_another_bank_is_registered_and_edited_from_the_console(admin_client):
    cpf = synthetic_cpf(4242, salt=9)
    response = admin_client.post(
        reverse("admin:simulators_strbankaccount_add"),
        {
            "bank": "260",
            "branch_number": "1",
            "account": "0098765",
            "holder": "Beatriz Lima",
            "holder_document": cpf,
            "account_state": "open",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = StrBankAccount.objects.get()
    assert (row.ispb, row.branch, row.number, row.holder_tax_id) == (
        NUBANK_ISPB,
        "0001",
        "98765",
        cpf,
    )
    page = admin_client.get(change(row)).content.decode()
    assert cpf not in page and mask_tax_id(cpf) in page
    # Edit: the document may stay as stored; the state changes.
    response = admin_client.post(
        change(row),
        {
            "bank": "260",
            "branch_number": "1",
            "account": "98765",
            "holder": "Beatriz Lima Souza",
            "holder_document": "",
            "account_state": "closed",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row.refresh_from_db()
    assert row.state == "closed" and row.holder_name == "Beatriz Lima Souza"
    assert row.holder_tax_id == cpf
    assert StrBankAccount.objects.count() == 1
    bad = admin_client.post(
        reverse("admin:simulators_strbankaccount_add"),
        {
            "bank": "999",
            "branch_number": "1",
            "account": "1",
            "holder": "X Y",
            "holder_document": "111.111.111-11",
            "account_state": "open",
        },
    )
    assert bad.status_code == 200 and StrBankAccount.objects.count() == 1
