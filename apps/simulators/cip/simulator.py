"""The CIP registry, simulated in our database (the interface: apps.boleto.adapters.cip).

It behaves as the NPC does for the paying and the beneficiary's bank:

* a barcode is registered once (a second registration is refused);
* a title is payable while open and up to its last payable date: the (bank business day
  adjusted) due date plus its validity in calendar days, itself moved to a business day
  (B3 calendar, apps.core.due_amounts); after it, or once paid or written off, the baixa
  operacional is refused, so a boleto cannot be paid twice at any bank;
* DDA lists the open titles registered against a payer's CPF/CNPJ.

`register_third_party_boleto` plays another bank registering a boleto against one of our
customers (DDA), for tests, the demo data and the operators' console.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction

from apps.boleto.adapters.cip import CipRefused, CipRegistry, CipTitle
from apps.boleto.codecs.codes import bank_barcode
from apps.core import due_amounts
from apps.simulators.cip.models import CipBoleto


def _title(row: CipBoleto) -> CipTitle:
    return CipTitle(
        barcode=row.barcode,
        bank_code=row.bank_code,
        beneficiary_name=row.beneficiary_name,
        beneficiary_tax_id=row.beneficiary_tax_id,
        payer_name=row.payer_name,
        payer_tax_id=row.payer_tax_id or "",
        amount=row.amount,
        due_date=row.due_date,
        valid_days_after_due=row.valid_days_after_due,
        value_terms=row.value_terms or {},
        status=row.status,
        paid_amount=row.paid_amount,
        paid_on=row.paid_on,
    )


def last_payable_date(row: CipBoleto) -> dt.date | None:
    if row.due_date is None:
        return None
    return due_amounts.last_payable_date(row.due_date, row.valid_days_after_due, due_amounts.B3)


class CipSimulator(CipRegistry):
    def register(self, title: CipTitle) -> None:
        try:
            with transaction.atomic():
                CipBoleto.objects.create(
                    barcode=title.barcode,
                    bank_code=title.bank_code,
                    beneficiary_name=title.beneficiary_name[:140],
                    beneficiary_tax_id=title.beneficiary_tax_id,
                    payer_name=title.payer_name[:140],
                    payer_tax_id=title.payer_tax_id,
                    amount=title.amount,
                    due_date=title.due_date,
                    valid_days_after_due=title.valid_days_after_due,
                    value_terms=title.value_terms,
                )
        except IntegrityError:
            raise CipRefused("barcode already registered at CIP") from None

    def lookup(self, barcode: str) -> CipTitle | None:
        row = CipBoleto.objects.filter(barcode=barcode).first()
        return None if row is None else _title(row)

    def record_payment(
        self, barcode: str, *, amount_cents: int, paid_on: dt.date, paying_bank: str
    ) -> None:
        with transaction.atomic():
            row = CipBoleto.objects.select_for_update().filter(barcode=barcode).first()
            if row is None:
                raise CipRefused("boleto not registered at CIP")
            if row.status != CipBoleto.Status.OPEN:
                raise CipRefused(f"boleto is {row.get_status_display()}")
            last = last_payable_date(row)
            if last is not None and paid_on > last:
                raise CipRefused("boleto past its payment limit date")
            row.status = CipBoleto.Status.PAID
            row.paid_amount = amount_cents
            row.paid_on = paid_on
            row.paid_by_bank = paying_bank
            row.save(update_fields=["status", "paid_amount", "paid_on", "paid_by_bank"])

    def write_off(self, barcode: str, *, reason: str) -> None:
        with transaction.atomic():
            row = CipBoleto.objects.select_for_update().filter(barcode=barcode).first()
            if row is None:
                raise CipRefused("boleto not registered at CIP")
            if row.status == CipBoleto.Status.OPEN:
                row.status = CipBoleto.Status.WRITTEN_OFF
                row.closed_reason = reason[:200]
                row.save(update_fields=["status", "closed_reason"])

    def dda(self, payer_tax_id: str) -> list[CipTitle]:
        rows = CipBoleto.objects.filter(
            payer_tax_id=payer_tax_id, status=CipBoleto.Status.OPEN
        ).order_by("due_date", "pk")
        return [_title(row) for row in rows]


def register_third_party_boleto(
    *,
    bank_code: str,
    beneficiary_name: str,
    beneficiary_tax_id: str,
    payer_name: str,
    payer_tax_id: str,
    amount_cents: int,
    due_date: dt.date,
    valid_days_after_due: int = 30,
    value_terms: dict | None = None,
) -> CipTitle:
    """Another bank registers a boleto at CIP (its own campo livre, random here)."""
    free_field = "".join(str(secrets.randbelow(10)) for _ in range(25))
    barcode = bank_barcode(
        bank_code=bank_code, amount_cents=amount_cents, due_date=due_date, free_field=free_field
    )
    title = CipTitle(
        barcode=barcode,
        bank_code=bank_code,
        beneficiary_name=beneficiary_name,
        beneficiary_tax_id=beneficiary_tax_id,
        payer_name=payer_name,
        payer_tax_id=payer_tax_id,
        amount=amount_cents,
        due_date=due_date,
        valid_days_after_due=valid_days_after_due,
        value_terms=value_terms or {},
    )
    CipSimulator().register(title)
    return title
