"""The CCB PDF: an offer and a contract, with the longest schedule, the CET and the clauses;
the borrower's CPF masked."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from apps.loans.pdf import ccb_pdf
from tests.support.loans import approved_loan, borrower, contracted_loan

pytestmark = pytest.mark.django_db

BRT = dt.timezone(dt.timedelta(hours=-3))
RELEASE = dt.datetime(2026, 1, 15, 12, 0, tzinfo=BRT)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_offer_shows_the_schedule_and_the_cet_before_contracting():
    _, account = borrower()
    loan = approved_loan(account, now=RELEASE, installments=48, system="SAC")
    with translation.override("pt-br"):
        text = _text(ccb_pdf(loan))
    assert str(loan.cet_annual_percent) in text.replace(",", ".")
    assert "48" in text and "15/01/2030" in text  # the 48th installment, four years on
    assert loan.customer.tax_id not in text.replace(".", "").replace("-", "")


def test_the_contract_carries_its_number_and_the_late_charges_clause():
    _, account = borrower()
    loan = contracted_loan(account, now=RELEASE)
    text = _text(ccb_pdf(loan))
    assert loan.contract_number in text
    assert "4.882" in text and "2%" in text
    assert "LGPD" in text
