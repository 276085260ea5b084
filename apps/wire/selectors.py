"""Reads of the wire app for views, APIs and other apps: the participant directory (Pix's
participant look-ups read it too) and a customer's TEDs."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import Customer
from apps.accounts.selectors import customer_of_user
from apps.core.errors import Forbidden
from apps.wire.directory.selectors import Bank, bank_by_code, banks_search, snapshot
from apps.wire.errors import WireNotFound
from apps.wire.models import InboundWire, Wire, WireFavourite

__all__ = [
    "Bank",
    "bank_by_code",
    "banks_search",
    "customer_for",
    "favourites_of",
    "inbound_of",
    "snapshot",
    "wire_of",
    "wires_of",
]


def customer_for(*, user) -> Customer:
    customer = customer_of_user(user=user)
    if customer is None:
        raise Forbidden(_("Only customers send TEDs."))
    return customer


def wires_of(*, customer: Customer, state: str | None = None) -> QuerySet[Wire]:
    rows = Wire.objects.filter(account__customer=customer).select_related("account")
    if state:
        rows = rows.filter(state=state)
    return rows.order_by("-created_at", "-pk")


def wire_of(*, customer: Customer, public_id) -> Wire:
    try:
        found = uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        found = None
    wire = (
        Wire.objects.filter(account__customer=customer, public_id=found)
        .select_related("account__customer")
        .first()
        if found
        else None
    )
    if wire is None:
        raise WireNotFound(_("TED not found."))
    return wire


def inbound_of(*, customer: Customer) -> QuerySet[InboundWire]:
    return InboundWire.objects.filter(
        account__customer=customer, state=InboundWire.State.CREDITED
    ).order_by("-created_at")


def favourites_of(*, customer: Customer) -> QuerySet[WireFavourite]:
    return WireFavourite.objects.filter(customer=customer).order_by("nickname")


# --- The operations dashboard (apps.core.console; registered in wire/console.py) ------


def wires_sent_between(*, start, end):
    """TEDs ordered in [start, end) that left for the STR (sent or settled)."""
    from apps.core.console import tally

    return tally(
        Wire.objects.filter(
            created_at__gte=start,
            created_at__lt=end,
            state__in=(Wire.State.SENT, Wire.State.SETTLED),
        ),
        amount="amount",
    )


def wires_received_between(*, start, end):
    """TEDs received in [start, end) and credited to a customer."""
    from apps.core.console import tally

    return tally(
        InboundWire.objects.filter(
            created_at__gte=start, created_at__lt=end, state=InboundWire.State.CREDITED
        ),
        amount="amount",
    )
