"""The TED receipt (apps.wire.pdf): a one-page PDF with the payer, the payee (masked
document), the bank, branch and account, the amount, the fee, the state, both control
numbers and the dates in Brasilia time; never a CPF/CNPJ in clear."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.utils import translation
from pypdf import PdfReader

from apps.core.documents import mask_tax_id
from apps.wire import pdf, services
from apps.wire.models import Wire
from tests.support.wires import IN_WINDOW, order, payee, send, ted_sender

pytestmark = pytest.mark.django_db


def _text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def _send(state: str = "open", **extra) -> tuple[Wire, dict]:
    with time_machine.travel(IN_WINDOW, tick=False):
        account = ted_sender(1_000_000, name="Maria Souza Lima")
        to = payee(state=state)
        wire = send(customer=account.customer, **order(account, to, 123_456, **extra))
        if state != "open":
            services.wires_inbox_run()
    wire.refresh_from_db()
    return wire, to


def test_a_settled_ted_receipt_carries_what_the_customer_needs_in_portuguese():
    wire, to = _send(note="aluguel de dezembro")
    assert wire.state == Wire.State.SETTLED
    with translation.override("pt-br"):
        text = _text(pdf.wire_receipt_pdf(wire))
    assert "Comprovante de TED" in text
    assert "Maria Souza Lima" in text and to["holder_name"] in text
    assert mask_tax_id(to["holder_tax_id"]) in text
    assert mask_tax_id(wire.account.customer.tax_id) in text
    assert to["holder_tax_id"] not in text
    assert wire.account.customer.tax_id not in text
    assert "260 - NU PAGAMENTOS" in text
    assert f"0001 / {to['account_number']}" in text
    assert "R$ 1.234,56" in text and "R$ 5,00" in text and "R$ 1.239,56" in text
    assert wire.control_number in text and wire.str_control_number in text
    assert "Liquidada" in text
    assert "02/12/2026 10:00:00" in text  # Brasilia time, not UTC (13:00)
    assert "aluguel de dezembro" in text


def test_a_returned_ted_receipt_gives_the_reason():
    wire, _ = _send(state="closed")
    assert wire.state == Wire.State.RETURNED
    with translation.override("pt-br"):
        text = _text(pdf.wire_receipt_pdf(wire))
    assert "conta de destino encerrada" in text


def test_the_receipt_reads_in_english_and_the_longest_values_still_fit_one_page():
    wire, _ = _send(note="x" * 140)
    Wire.objects.filter(pk=wire.pk).update(holder_name="W" * 80, bank_name="B" * 120)
    wire.refresh_from_db()
    with translation.override("en"):
        text = _text(pdf.wire_receipt_pdf(wire))
    assert "TED receipt" in text and "Settled" in text
