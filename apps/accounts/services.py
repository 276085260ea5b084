"""Writes of the accounts domain: one function per use case, each one transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from apps.core.crypto import keyed_hash
from apps.core.documents import normalize_tax_id, tax_id_kind
from apps.core.errors import Conflict, ValidationFailed
from apps.core.models import User

from .models import Customer


def tax_id_lookup_hash(tax_id: str) -> str:
    return keyed_hash("taxid:" + normalize_tax_id(tax_id))


@transaction.atomic
def customer_register(*, user: User, full_name: str, tax_id: str) -> Customer:
    """Create the customer behind a newly signed-up user (KYC level 0, pending)."""
    kind = tax_id_kind(tax_id)
    if kind is None:
        raise ValidationFailed("Invalid CPF or CNPJ.", field="tax_id")
    full_name = " ".join(full_name.split())
    if len(full_name) < 3:
        raise ValidationFailed("Full name is required.", field="full_name")
    lookup = tax_id_lookup_hash(tax_id)
    if Customer.objects.filter(tax_id_hash=lookup).exists():
        raise Conflict("A customer with this CPF/CNPJ already exists.", field="tax_id")
    try:
        with transaction.atomic():
            customer = Customer.objects.create(
                user=user,
                kind=kind,
                full_name=full_name,
                tax_id=normalize_tax_id(tax_id),
                tax_id_hash=lookup,
            )
    except IntegrityError as exc:  # a concurrent sign-up with the same document
        raise Conflict("A customer with this CPF/CNPJ already exists.", field="tax_id") from exc
    if user.full_name != full_name:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    return customer


def customer_tax_id_taken(tax_id: str) -> bool:
    return Customer.objects.filter(tax_id_hash=tax_id_lookup_hash(tax_id)).exists()
