"""An internal Pix (payer and payee both at Athena) is one row, the payer's; its payee must
still see it as a Pix received: under API Pix's /pix, refundable (payee to payer, one entry,
no SPI), and notified like any other."""

from __future__ import annotations

import pytest
from django.core import mail

from apps.accounts.models import JournalEntry
from apps.core.outbox import drain_all
from apps.pix.keys.services import key_register
from apps.pix.models import PixRefund, PixTransfer
from apps.pix.transfers.errors import RefundExceedsOriginal
from apps.pix.transfers.services.refunds import refund_request
from apps.pix.transfers.services.send import pix_send
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import api_client, person

pytestmark = pytest.mark.django_db

V2 = "/api/pix/v2"
WINDOW = {"inicio": "2020-01-01T00:00:00Z", "fim": "2100-01-01T00:00:00Z"}


@pytest.fixture(autouse=True)
def _in_memory_layers(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def internal_pix(amount_cents: int = 10_000):
    maria = person("Maria Souza Lima")
    joao = person("Joao Carlos Silva")
    payer = funded_account(100_000, customer=maria)
    payee = funded_account(customer=joao)
    key = key_register(account=payee, key_type="EVP", actor=joao.user)
    transfer = pix_send(account=payer, key=key.key, amount_cents=amount_cents, description="x")
    return maria, joao, payer, payee, transfer


def test_the_payee_account_is_recorded_and_the_payee_is_notified():
    maria, joao, payer, payee, transfer = internal_pix()
    assert transfer.internal and transfer.state == PixTransfer.State.SETTLED
    assert transfer.payee_account_id == payee.pk
    assert transfer.receiving_account_id == payee.pk

    mail.outbox.clear()
    drain_all()
    assert [m.to for m in mail.outbox] == [[joao.user.email]]
    assert "100,00" in mail.outbox[0].body
    assert "Maria" in mail.outbox[0].body


def test_the_payee_sees_it_under_pix_and_the_payer_does_not():
    maria, joao, payer, payee, transfer = internal_pix()
    listed = api_client(joao).get(f"{V2}/pix", WINDOW).json()
    assert [p["endToEndId"] for p in listed["pix"]] == [transfer.end_to_end_id]
    assert api_client(joao).get(f"{V2}/pix/{transfer.end_to_end_id}").status_code == 200
    assert api_client(maria).get(f"{V2}/pix/{transfer.end_to_end_id}").status_code == 404
    assert api_client(maria).get(f"{V2}/pix", WINDOW).json()["pix"] == []


def test_the_payee_refunds_in_parts_payee_to_payer_never_beyond_the_original():
    maria, joao, payer, payee, transfer = internal_pix(10_000)
    client = api_client(joao)
    refund = f"{V2}/pix/{transfer.end_to_end_id}/devolucao"

    first = client.put(f"{refund}/a1", {"valor": "30.00"}, format="json")
    second = client.put(f"{refund}/a2", {"valor": "50.00"}, format="json")
    beyond = client.put(f"{refund}/a3", {"valor": "20.01"}, format="json")

    assert first.status_code == second.status_code == 201, (first.content, second.content)
    assert first.json()["status"] == second.json()["status"] == "DEVOLVIDO"
    assert beyond.status_code == 400
    assert balance_of(payee.pk)[0] == 10_000 - 8_000
    assert balance_of(payer.pk)[0] == 100_000 - 10_000 + 8_000
    done = PixRefund.objects.filter(transfer=transfer).order_by("pk")
    assert [r.state for r in done] == [PixRefund.State.DEVOLVIDO] * 2
    assert all(not r.pacs004 for r in done)  # the SPI never sees it
    entry = JournalEntry.objects.get(pk=done[0].debit_entry_id)
    assert entry.kind == "pix_refund"
    with pytest.raises(RefundExceedsOriginal):
        refund_request(transfer=transfer, refund_id="a4", amount_cents=2_001)


def test_the_payer_cannot_refund_what_they_sent_through_the_portal():
    maria, joao, payer, payee, transfer = internal_pix()
    from apps.pix.portal.selectors import pix_rows

    (as_payer,) = pix_rows([transfer], user=maria.user)
    (as_payee,) = pix_rows([transfer], user=joao.user)
    assert not as_payer.can_refund
    assert as_payee.can_refund and as_payee.incoming


def test_the_payees_cpf_filter_finds_an_internal_pix_by_its_payers_tax_id():
    """/pix?cpf= is the payer's: for an internal Pix, the customer owning the row."""
    maria, joao, payer, payee, transfer = internal_pix()
    client = api_client(joao)

    def listed(**extra) -> list[str]:
        response = client.get(f"{V2}/pix", {**WINDOW, **extra})
        assert response.status_code == 200, response.content
        return [p["endToEndId"] for p in response.json()["pix"]]

    assert listed(cpf=maria.tax_id) == [transfer.end_to_end_id]
    assert listed(cpf=joao.tax_id) == []  # the payee's own CPF is not the payer's
