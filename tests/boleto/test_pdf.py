"""The boleto PDF (apps.boleto.issuing.pdf): a one-page PDF carrying what a payer and a
paying bank read, the Pix QR code of a hybrid boleto, and no clear CPF/CNPJ."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from apps.boleto.codecs.codes import format_linha
from apps.boleto.issuing import pdf
from apps.boleto.issuing.services import BoletoRequest, boleto_cancel, boleto_issue
from apps.core.documents import mask_tax_id
from apps.core.timezones import brasilia_today
from apps.pix.keys.services import key_register
from tests.factories.customers import company, new_cpf
from tests.factories.ledger import funded_account

pytestmark = pytest.mark.django_db


def _issue(*, hybrid: bool, **overrides):
    customer = company("Padaria Tres Irmaos Ltda")
    account = funded_account(customer=customer)
    if hybrid:
        key_register(account=account, key_type="EVP", actor=customer.user)
    fields = {
        "amount_cents": 123_456,
        "due_date": brasilia_today() + dt.timedelta(days=10),
        "payer_name": "Francisco da Silva",
        "payer_tax_id": new_cpf(),
        "payer_address": {
            "street": "Rua das Flores, 80",
            "district": "Centro",
            "city": "Recife",
            "state": "PE",
            "zip": "50030230",
        },
        "fine_percent": 200,
        "interest_monthly_percent": 100,
        "seu_numero": "NF-1234",
        "hybrid": hybrid,
    }
    fields.update(overrides)
    return boleto_issue(customer=customer, account_id=account.pk, request=BoletoRequest(**fields))


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


def _images(data: bytes) -> list:
    return list(PdfReader(io.BytesIO(data)).pages[0].images)


@pytest.mark.parametrize(
    ("bank", "dv"),
    # The codes with DV as the banks print them on every boleto of theirs.
    [("001", "9"), ("033", "7"), ("104", "0"), ("237", "2"), ("341", "7"), ("332", "8")],
)
def test_bank_code_check_digit(bank, dv):
    assert pdf.bank_code_dv(bank) == dv


def test_the_pdf_carries_the_linha_the_nosso_numero_and_the_terms():
    boleto = _issue(hybrid=False)
    data = pdf.boleto_pdf(boleto)
    assert data.startswith(b"%PDF-")
    text = _text(data)
    assert format_linha(boleto.linha) in text
    assert boleto.nosso_numero in text
    assert "Ficha de Compensação" in text
    assert "Recibo do Pagador" in text
    assert "332-8" in text
    assert "R$ 1.234,56" in text
    assert "NF-1234" in text
    assert "Após o vencimento, multa de 2,00%." in text
    assert "juros de mora de 1,00% ao mês" in text
    assert boleto.due_date.strftime("%d/%m/%Y") in text
    # No QR for a boleto without Pix.
    assert "Pague com Pix" not in text
    assert _images(data) == []


def test_the_pdf_shows_tax_ids_masked_only():
    boleto = _issue(hybrid=False)
    text = _text(pdf.boleto_pdf(boleto))
    issuer_tax_id = boleto.issuer.customer.tax_id
    assert boleto.payer_tax_id not in text.replace(".", "").replace("-", "")
    assert mask_tax_id(boleto.payer_tax_id) in text
    assert issuer_tax_id not in text.replace(".", "").replace("-", "").replace("/", "")
    assert mask_tax_id(issuer_tax_id) in text
    assert "Francisco da Silva" in text
    assert "Recife/PE" in text


def test_the_pdf_is_the_same_each_time():
    boleto = _issue(hybrid=False)
    assert pdf.boleto_pdf(boleto) == pdf.boleto_pdf(boleto)


def test_a_hybrid_boleto_carries_its_pix_qr_code():
    boleto = _issue(hybrid=True)
    assert boleto.pix_charge_id
    data = pdf.boleto_pdf(boleto)
    text = _text(data)
    assert "Pague com Pix" in text
    assert format_linha(boleto.linha) in text
    assert len(_images(data)) == 1


def test_discount_instructions():
    due = brasilia_today() + dt.timedelta(days=10)
    boleto = _issue(hybrid=False, discount_cents=1_000, discount_until=due - dt.timedelta(days=5))
    lines = pdf.instructions(boleto)
    until = (due - dt.timedelta(days=5)).strftime("%d/%m/%Y")
    assert f"Até {until}, conceder desconto de R$ 10,00." in lines


def test_a_cancelled_boleto_says_so():
    boleto = _issue(hybrid=False)
    boleto = boleto_cancel(customer=boleto.issuer.customer, boleto_id=boleto.pk)
    text = _text(pdf.boleto_pdf(boleto))
    assert "BOLETO CANCELADO" in text


# ITF digit patterns (narrow/wide of the five elements), from the interleaved 2 of 5
# definition (ISO/IEC 16390), to read the drawn symbol back.
_ITF = {
    "nnwwn": "0",
    "wnnnw": "1",
    "nwnnw": "2",
    "wwnnn": "3",
    "nnwnw": "4",
    "wnwnn": "5",
    "nwwnn": "6",
    "nnnww": "7",
    "wnnwn": "8",
    "nwnwn": "9",
}


def _read_itf(pattern: str) -> str:
    """Digits of a reportlab I2of5 pattern: start bsbs, pairs of digits interleaved (bars
    the first, spaces the second; upper case is wide), stop Bsb."""
    assert pattern.startswith("bsbs") and pattern.endswith("Bsb")
    body = pattern[4:-3]
    digits = []
    for i in range(0, len(body), 10):
        chunk = body[i : i + 10]
        for elements in (chunk[0::2], chunk[1::2]):
            digits.append(_ITF["".join("w" if e.isupper() else "n" for e in elements)])
    return "".join(digits)


def test_the_barcode_symbol_is_the_itf_of_the_44_digits_about_103_mm_wide():
    from reportlab.lib.units import mm

    barcode = "33291" + "0123456789" * 3 + "987654321"  # 44 digits, every digit in both roles
    symbol = pdf.barcode_symbol(barcode)
    symbol.validate()
    symbol.encode()
    symbol.decompose()
    assert _read_itf(symbol.decomposed) == barcode
    assert 102 * mm < symbol.width < 104 * mm
    assert symbol.barHeight == pytest.approx(13 * mm)
