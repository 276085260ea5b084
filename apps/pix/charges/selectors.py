"""Reads of API Pix charges (cob, cobv) and payload locations, for the API and other apps.

Every read is scoped to the receiving customer: another customer's charge or location does
not exist for the caller (404, never 403)."""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Customer
from apps.accounts.services import tax_id_lookup_hash
from apps.core.errors import DomainError
from apps.pix.charges.api_formats import Page, paginate
from apps.pix.charges.errors import (
    ERRORS_BY_KIND,
    AcessoNegado,
    PayloadLocationNaoEncontrado,
    not_found,
    violation,
)
from apps.pix.codecs.keys import parse_any_key
from apps.pix.models import PixCharge, PixKey, PixLocation, PixRefund, PixTransfer

MAX_BIGINT = 2**63 - 1


def api_customer_of_user(*, user) -> Customer:
    """The caller's customer; staff and users without one may not use the API Pix."""
    customer = account_selectors.customer_of_user(user=user)
    if customer is None:
        raise AcessoNegado(_("Only receiving customers use the API Pix charges."))
    if customer.state in (Customer.State.BLOCKED, Customer.State.CLOSED):
        raise AcessoNegado(_("This customer may not issue or read charges now."))
    return customer


def active_key_of_customer(*, customer: Customer, key: str) -> PixKey | None:
    """The customer's ACTIVE key with this value, as typed or in DICT's canonical form."""
    values = {key}
    with contextlib.suppress(DomainError, ValueError):
        values.add(parse_any_key(key)[1])
    return (
        PixKey.objects.filter(customer=customer, state=PixKey.State.ACTIVE, key__in=values)
        .select_related("account")
        .order_by("pk")
        .first()
    )


def _payments() -> Prefetch:
    return Prefetch(
        "payments",
        queryset=PixTransfer.objects.filter(direction=PixTransfer.Direction.IN)
        .order_by("created_at", "pk")
        .prefetch_related(Prefetch("refunds", queryset=PixRefund.objects.order_by("pk"))),
    )


def _charges(customer: Customer, kind: str) -> QuerySet[PixCharge]:
    return (
        PixCharge.objects.filter(customer=customer, kind=kind)
        .select_related("location", "customer")
        .prefetch_related(_payments())
    )


def charge_of_customer(*, customer: Customer, kind: str, txid: str) -> PixCharge:
    charge = _charges(customer, kind).filter(txid=txid).first() if len(txid) <= 35 else None
    if charge is None:
        raise not_found(kind)
    return charge


def charge_at_revision(*, charge: PixCharge, revision: int) -> PixCharge:
    """The charge as it was at `revision` (its last historical row with that revision).

    History does not keep the encrypted `devedor` (PixCharge.history excludes it), so a past
    revision comes back without it."""
    if revision == charge.revision:
        return charge
    record = (
        charge.history.filter(revision=revision).order_by("-history_id").first()
        if 0 <= revision < charge.revision
        else None
    )
    if record is None:
        message = _("No such revision of this charge.")
        raise ERRORS_BY_KIND[charge.kind]["query"](
            message,
            field="revisao",
            value=revision,
            violations=[violation(message, "revisao", revision)],
        )
    past = record.instance
    past.debtor = ""
    past._prefetched_objects_cache = {}
    past._historical = True
    return past


@dataclass(frozen=True, kw_only=True)
class ChargeQuery:
    start: dt.datetime
    end: dt.datetime
    cpf: str | None = None
    cnpj: str | None = None
    location_present: bool | None = None
    status: str | None = None
    page: int = 0
    per_page: int = 100


def charges_of_customer(*, customer: Customer, kind: str, query: ChargeQuery) -> Page:
    charges = _charges(customer, kind).filter(
        created_at__gte=query.start, created_at__lte=query.end
    )
    document = query.cpf or query.cnpj
    if document:
        charges = charges.filter(debtor_tax_id_hash=tax_id_lookup_hash(document))
    if query.location_present is not None:
        charges = charges.filter(location__isnull=not query.location_present)
    if query.status:
        charges = charges.filter(status=query.status)
    return paginate(charges.order_by("created_at", "pk"), page=query.page, per_page=query.per_page)


def location_of_customer(*, customer: Customer, location_id: int | str) -> PixLocation:
    try:
        pk = int(str(location_id))
    except ValueError:
        pk = None
    location = None
    if pk is not None and 0 < pk <= MAX_BIGINT:
        location = (
            PixLocation.objects.filter(customer=customer, pk=pk).select_related("charge").first()
        )
    if location is None:
        raise PayloadLocationNaoEncontrado(_("No payload location with this id."))
    return location


@dataclass(frozen=True, kw_only=True)
class LocationQuery:
    start: dt.datetime
    end: dt.datetime
    txid_present: bool | None = None
    charge_type: str | None = None
    page: int = 0
    per_page: int = 100


def locations_of_customer(*, customer: Customer, query: LocationQuery) -> Page:
    locations = PixLocation.objects.filter(
        customer=customer, created_at__gte=query.start, created_at__lte=query.end
    ).select_related("charge")
    if query.txid_present is not None:
        locations = locations.filter(charge__isnull=not query.txid_present)
    if query.charge_type:
        locations = locations.filter(charge_type=query.charge_type)
    return paginate(
        locations.order_by("created_at", "pk"), page=query.page, per_page=query.per_page
    )


def linked_charge(location: PixLocation) -> PixCharge | None:
    try:
        return location.charge
    except PixCharge.DoesNotExist:
        return None


def account_charge_key(*, account_id: int) -> str | None:
    """An active Pix key of this account a charge can name (oldest first), or None: what a
    hybrid boleto's cobv is created with."""
    return (
        PixKey.objects.filter(account_id=account_id, state=PixKey.State.ACTIVE)
        .order_by("created_at", "pk")
        .values_list("key", flat=True)
        .first()
    )
