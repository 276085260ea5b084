"""Reads of the privacy domain: the data export (LGPD art. 18 II) and the review queue.

`customer_data_export` gathers what we hold about one customer and nothing about anyone
else: the other side of a payment appears as the statement shows it (institution, masked
document, masked key), never by name, full document or account number.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.models import Session
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Customer
from apps.core.models import AuditEvent

from . import registry
from .models import DataSubjectRequest, Erasure, RetainedRecord
from .registry import iso

EXPORT_VERSION = 1


def sessions_of_user(user_id: int) -> list[Session]:
    """Live sessions of a user. Sessions are signed blobs: decoding each is the only way
    to tell whose it is (the database backend keeps no user column)."""
    found = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        try:
            data = session.get_decoded()
        except Exception:  # noqa: S112 - a corrupt session belongs to nobody
            continue
        if str(data.get("_auth_user_id", "")) == str(user_id):
            found.append(session)
    return found


def _audit_events(customer: Customer) -> list[dict]:
    user = customer.user
    events = AuditEvent.objects.filter(
        Q(actor_id=user.pk)
        | Q(object_type=Customer._meta.label, object_id=str(customer.pk))
        | Q(object_type=user._meta.label, object_id=str(user.pk))
    ).order_by("at", "id")
    return [
        {
            "at": iso(event.at),
            "action": event.action,
            "ip": event.ip,
            "user_agent": event.user_agent,
            "object_type": event.object_type,
            "object_id": event.object_id,
        }
        for event in events
    ]


def _user_section(customer: Customer) -> dict:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    user = customer.user
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "is_active": user.is_active,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "mfa_authenticators": [
            {
                "type": auth.type,
                "created_at": iso(auth.created_at),
                "last_used_at": iso(auth.last_used_at),
            }
            for auth in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        "sessions": [
            {"expires_at": iso(session.expire_date)} for session in sessions_of_user(user.pk)
        ],
    }


def customer_data_export(customer: Customer) -> dict:
    """Everything we hold about `customer` (LGPD art. 18 I-II), as plain JSON data: the
    sign-in here, then each app's registered section (apps.privacy.registry), then the
    audit trail and the subject's own requests."""
    customer = Customer.objects.select_related("user").get(pk=customer.pk)
    account_ids = account_selectors.customer_account_ids(customer_id=customer.pk)
    erasure = Erasure.objects.filter(customer=customer).first()
    data: dict[str, Any] = {
        "format": "athena-pay/lgpd-export",
        "version": EXPORT_VERSION,
        "generated_at": timezone.now().isoformat(),
        "controller": "Athena Pay",
        "user": _user_section(customer),
    }
    for section in registry.sections():
        if section.export is not None:
            data[section.name] = section.export(customer, account_ids)
    return {
        **data,
        "audit_events": _audit_events(customer),
        "privacy_requests": [
            {
                "id": req.pk,
                "kind": req.kind,
                "state": req.state,
                "requested_at": iso(req.requested_at),
                "due_at": iso(req.due_at),
                "answered_at": iso(req.answered_at),
                "details": req.details,
                "field": req.field,
                "new_value": req.new_value,
                "answer": req.answer,
            }
            for req in DataSubjectRequest.objects.filter(customer=customer).order_by("pk")
        ],
        "erasure": (
            {
                "erased_at": iso(erasure.erased_at),
                "retention_until": iso(erasure.retention_until),
            }
            if erasure
            else None
        ),
    }


# --- Requests ---------------------------------------------------------------------------


def requests_of_user(*, user) -> QuerySet[DataSubjectRequest]:
    return DataSubjectRequest.objects.filter(customer__user=user).order_by("-requested_at", "-id")


def privacy_requests_pending() -> QuerySet[DataSubjectRequest]:
    """Open data-subject requests, the oldest deadline first: the privacy part of the
    compliance review queue (apps/monitoring reads it)."""
    return (
        DataSubjectRequest.objects.filter(state__in=DataSubjectRequest.OPEN_STATES)
        .select_related("customer")
        .order_by("due_at", "id")
    )


def customer_is_erased(customer_id: int) -> bool:
    """An erased customer's retained records serve the legal obligation only: products
    must refuse to process them."""
    return Erasure.objects.filter(customer_id=customer_id).exists()


def retention_of(instance: models.Model) -> RetainedRecord | None:
    return RetainedRecord.objects.filter(
        model=instance._meta.label, object_id=str(instance.pk)
    ).first()
