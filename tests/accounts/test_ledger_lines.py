"""What a customer reads is rendered from kind and parameters, in the reader's language
(apps.accounts.ledger_lines), never the stored description."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from apps.accounts import ledger_lines, services, statements
from apps.accounts.ledger import Leg, post_entry
from apps.accounts.models import JournalEntry
from apps.pix.models import PixTransfer
from tests.factories.ledger import funded_account
from tests.factories.users import CustomerFactory

pytestmark = pytest.mark.django_db

OPERATOR_REASON = "chargeback confirmado pelo operador Fulano, ticket OPS-4411"


def pix_received(account, *, amount: int, payer: str, note: str) -> int:
    transfer = PixTransfer.objects.create(
        direction=PixTransfer.Direction.IN,
        end_to_end_id="E0000000020261206000000000000001",
        account=account,
        amount=amount,
        counterparty_name=payer,
        counterparty_ispb="00000000",
        counterparty_account_number="123456",
        description=note,
    )
    reserves = services.internal_account_id("reserves_bacen")
    return post_entry(
        kind="pix_in",
        legs=[Leg(reserves, -amount), Leg(account.pk, amount)],
        description=note or "Pix received",  # the back office's copy
        reference_type="pix_transfer",
        reference_id=transfer.pk,
    )


@pytest.fixture
def movements():
    """A deposit, a Pix received, a book transfer sent, and a reversal of the deposit."""
    maria = funded_account(0, customer=CustomerFactory(full_name="Maria Souza"))
    joao = funded_account(0, customer=CustomerFactory(full_name="João Lima"))
    deposit_id = services.deposit(
        account_id=maria.pk, amount_cents=50_000, description="Demo opening balance (TED)"
    )
    services.deposit(account_id=maria.pk, amount_cents=1_000, description="second")
    pix_received(maria, amount=2_500, payer="Pedro Alves", note="pizza")
    services.book_transfer(
        source_id=maria.pk, destination_id=joao.pk, amount_cents=1_234, description="aluguel"
    )
    reversal_id = services.entry_reverse(entry_id=deposit_id, reason=OPERATOR_REASON)
    assert JournalEntry.objects.get(pk=reversal_id).description.startswith(
        f"Reversal of #{deposit_id}"
    )  # the back office keeps its words
    return maria, joao, deposit_id, reversal_id


PT_BR = [
    "Estorno: Depósito",
    "Transferência enviada · aluguel",
    "Pix recebido de Pedro Alves · pizza",
    "Depósito",
    "Depósito",
]
EN = [
    "Reversal: Deposit",
    "Transfer sent · aluguel",
    "Pix received from Pedro Alves · pizza",
    "Deposit",
    "Deposit",
]


def never_internal(text: str, *ids: int) -> None:
    assert OPERATOR_REASON not in text and "operador" not in text
    assert "Reversal of" not in text and "Demo opening balance" not in text
    for entry_id in ids:
        assert not re.search(rf"#\s*{entry_id}\b", text)


def test_the_api_statement_renders_in_the_requests_language(movements):
    maria, _joao, deposit_id, reversal_id = movements
    client = APIClient()
    client.force_authenticate(maria.customer.user)
    url = f"/api/v1/accounts/{maria.pk}/statement"

    portuguese = client.get(url, HTTP_ACCEPT_LANGUAGE="pt-BR")
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    assert [line["description"] for line in portuguese.json()["lines"]] == PT_BR
    assert [line["description"] for line in english.json()["lines"]] == EN
    never_internal(portuguese.content.decode() + english.content.decode(), deposit_id, reversal_id)


def test_the_portal_statement_renders_in_the_readers_language(client, movements):
    maria, _joao, deposit_id, reversal_id = movements
    client.force_login(maria.customer.user)
    url = reverse("portal:statement", args=[maria.pk])

    html = client.get(url).content.decode()
    for text in ("Estorno: Depósito", "Transferência enviada", "Pix recebido de Pedro Alves"):
        assert f"<td>{text}" in html
    assert "aluguel" in html and "pizza" in html
    never_internal(html, deposit_id, reversal_id)

    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for text in ("Reversal: Deposit", "Transfer sent", "Pix received from Pedro Alves"):
        assert f"<td>{text}" in english


def test_the_dashboard_and_the_files_render_too(client, movements):
    maria, _joao, deposit_id, reversal_id = movements
    client.force_login(maria.customer.user)
    activity = client.get(reverse("portal:dashboard_activity")).content.decode()
    assert "Estorno: Depósito" in activity and "Pix recebido de Pedro Alves" in activity
    never_internal(activity, deposit_id, reversal_id)
    for suffix in (".csv", ".ofx"):
        body = client.get(f"/api/v1/accounts/{maria.pk}/statement{suffix}").content
        text = body.decode("utf-8-sig" if suffix == ".csv" else "cp1252", errors="replace")
        assert "Estorno: Dep" in text and "Pix recebido de Pedro Alves" in text
        never_internal(text, deposit_id, reversal_id)


def test_the_payee_reads_a_received_transfer_and_its_reversal(movements):
    _maria, joao, *_ = movements
    entry = JournalEntry.objects.get(kind="book_transfer")
    services.entry_reverse(entry_id=entry.pk, reason=OPERATOR_REASON)
    with translation.override("pt-br"):
        page = statements.statement_page(account_id=joao.pk)
    assert [line.description for line in page.lines] == [
        "Estorno: Transferência recebida · aluguel",
        "Transferência recebida · aluguel",
    ]


def test_an_internal_pix_reads_sent_for_the_payer_and_received_for_the_payee():
    payer = funded_account(10_000, customer=CustomerFactory(full_name="Ana Costa"))
    payee = funded_account(0, customer=CustomerFactory(full_name="Bruno Dias"))
    transfer = PixTransfer.objects.create(
        direction=PixTransfer.Direction.OUT,
        end_to_end_id="E0000000020261206000000000000002",
        account=payer,
        amount=700,
        internal=True,
        payee_account=payee,
        counterparty_name="Bruno Dias",
        counterparty_ispb="00000000",
        counterparty_account_number="1",
        description="almoço",
    )
    post_entry(
        kind="pix_internal",
        legs=[Leg(payer.pk, -700), Leg(payee.pk, 700)],
        description="almoço",
        reference_type="pix_transfer",
        reference_id=transfer.pk,
    )
    with translation.override("en"):
        (sent, _funding) = statements.statement_page(account_id=payer.pk).lines
        (received,) = statements.statement_page(account_id=payee.pk).lines
    assert sent.description == "Pix sent to Bruno Dias · almoço"
    assert received.description == "Pix received from Ana Costa · almoço"


def test_an_unregistered_kind_reads_as_its_label_never_its_description():
    account = funded_account(1_000)
    reserves = services.internal_account_id("reserves_bacen")
    post_entry(
        kind="boleto_received",
        legs=[Leg(reserves, -5), Leg(account.pk, 5)],
        description="internal: batch 77 from COMPE",
    )
    post_entry(
        kind="brand_new_kind",
        legs=[Leg(reserves, -5), Leg(account.pk, 5)],
        description="internal note",
    )
    with translation.override("pt-br"):
        lines = statements.statement_page(account_id=account.pk).lines
    assert [line.description for line in lines[:2]] == ["brand new kind", "Boleto recebido"]


def test_products_register_their_kinds():
    assert {"pix_in", "pix_out", "pix_internal", "pix_refund", "pix_return"} <= (
        ledger_lines.registered_kinds()
    )
    assert {"book_transfer", "reversal", "deposit", "fee"} <= ledger_lines.registered_kinds()
