"""Reads of boletos for views, APIs and other apps."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import Customer
from apps.accounts.selectors import customer_of_user
from apps.boleto.adapters.cip import CipError, CipTitle, cip_client
from apps.boleto.errors import BoletoNotFound
from apps.boleto.models import Boleto, BoletoPayment, CnabFile
from apps.core.errors import Forbidden


def customer_for(*, user) -> Customer:
    customer = customer_of_user(user=user)
    if customer is None:
        raise Forbidden(_("Only customers have boletos."))
    return customer


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def boletos_of(*, customer: Customer, state: str | None = None) -> QuerySet[Boleto]:
    rows = Boleto.objects.filter(issuer__customer=customer).order_by("-created_at", "-pk")
    return rows.filter(state=state) if state else rows


def boleto_of(*, customer: Customer, public_id) -> Boleto:
    found = _uuid(public_id)
    boleto = (
        Boleto.objects.filter(issuer__customer=customer, public_id=found).first() if found else None
    )
    if boleto is None:
        raise BoletoNotFound(_("Boleto not found."))
    return boleto


def payments_of(*, customer: Customer) -> QuerySet[BoletoPayment]:
    return BoletoPayment.objects.filter(account__customer=customer).order_by("-created_at", "-pk")


def payment_of(*, customer: Customer, public_id) -> BoletoPayment:
    found = _uuid(public_id)
    payment = (
        BoletoPayment.objects.filter(account__customer=customer, public_id=found).first()
        if found
        else None
    )
    if payment is None:
        raise BoletoNotFound(_("Payment not found."))
    return payment


def dda_of(*, customer: Customer) -> list[CipTitle]:
    """The open boletos registered at CIP against the customer's CPF/CNPJ (any bank),
    without those already paid or scheduled from Athena Pay."""
    from apps.core.documents import normalize_tax_id

    try:
        titles = cip_client().dda(normalize_tax_id(customer.tax_id))
    except CipError:
        return []
    live = set(
        BoletoPayment.objects.filter(
            account__customer=customer,
            state__in=BoletoPayment.LIVE_STATES,
            barcode__in=[t.barcode for t in titles],
        ).values_list("barcode", flat=True)
    )
    return [title for title in titles if title.barcode not in live]


def cnab_files(*, direction: str | None = None) -> QuerySet[CnabFile]:
    rows = CnabFile.objects.order_by("-created_at")
    return rows.filter(direction=direction) if direction else rows


# --- The operations dashboard (apps.core.console; registered in boleto/console.py) ----


def payments_between(*, start, end):
    """Boletos paid in [start, end) (created that day and paid): how many, how much."""
    from apps.core.console import tally

    return tally(
        BoletoPayment.objects.filter(
            state=BoletoPayment.State.PAID, created_at__gte=start, created_at__lt=end
        ),
        amount="amount",
    )


def reprocessing_waiting_approval():
    """Rejected return files whose reprocessing waits for a second operator (four eyes)."""
    from apps.core.console import tally

    return tally(
        CnabFile.objects.filter(
            state=CnabFile.State.REJECTED,
            reprocess_requested_by__isnull=False,
            reprocess_approved_by__isnull=True,
        ),
        oldest="updated_at",
    )
