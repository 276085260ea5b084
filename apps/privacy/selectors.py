"""Reads of the privacy domain: the data export (LGPD art. 18 II) and the review queue.

`customer_data_export` gathers what we hold about one customer and nothing about anyone
else: the other side of a payment appears as the statement shows it (institution, masked
document, masked key), never by name, full document or account number.
"""

from __future__ import annotations

import importlib
from datetime import date, datetime
from typing import Any

from django.contrib.sessions.models import Session
from django.db import models
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from apps.accounts.models import Account, Customer, Posting
from apps.accounts.statements import kind_label
from apps.core.documents import mask_tax_id
from apps.core.models import AuditEvent
from apps.core.money import cents_to_str

from .models import DataSubjectRequest, Erasure, RetainedRecord

EXPORT_VERSION = 1


def _iso(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _masked_key(key: str) -> str:
    from apps.pix.keys import InvalidKey, infer_key_type, mask_key

    if not key:
        return ""
    try:
        return mask_key(infer_key_type(key), key)
    except InvalidKey:
        return "***"


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


def kyc_models() -> tuple[type[models.Model] | None, type[models.Model] | None]:
    """KycRequest and KycDocument when the kyc app provides them (imported lazily: the app
    is developed separately and privacy must work with or without it)."""
    try:
        module = importlib.import_module("apps.kyc.models")
    except (ImportError, RuntimeError):  # RuntimeError: app not installed
        return None, None
    return getattr(module, "KycRequest", None), getattr(module, "KycDocument", None)


def _customer_fk(model: type[models.Model]) -> str | None:
    for field in model._meta.get_fields():
        if getattr(field, "related_model", None) is Customer and field.many_to_one:
            return field.name
    return None


def _plain_fields(instance: models.Model, *, document_url: str | None = None) -> dict:
    """Every concrete field as JSON-friendly data; file contents never (a link instead)."""
    out: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname)
        if isinstance(field, (models.FileField, models.BinaryField)):
            continue
        if isinstance(value, (bytes, memoryview)):
            continue
        out[field.name] = _iso(value)
    if document_url:
        out["download_url"] = document_url
    return out


def _kyc_section(customer: Customer) -> dict:
    request_model, document_model = kyc_models()
    section: dict[str, list] = {"requests": [], "documents": []}
    if request_model is not None and (fk := _customer_fk(request_model)):
        section["requests"] = [
            _plain_fields(row) for row in request_model.objects.filter(**{fk: customer})
        ]
    if document_model is not None:
        fk = _customer_fk(document_model)
        if fk:
            rows = document_model.objects.filter(**{fk: customer})
        elif request_model is not None and (rfk := _customer_fk(request_model)):
            link = next(
                (
                    f.name
                    for f in document_model._meta.get_fields()
                    if getattr(f, "related_model", None) is request_model and f.many_to_one
                ),
                None,
            )
            rows = (
                document_model.objects.filter(**{f"{link}__{rfk}": customer})
                if link
                else document_model.objects.none()
            )
        else:
            rows = document_model.objects.none()
        for row in rows:
            url = None
            for name in ("api-kyc-document", "portal:kyc:document"):
                try:
                    url = reverse(name, args=[row.pk])
                    break
                except NoReverseMatch:
                    continue
            section["documents"].append(_plain_fields(row, document_url=url))
    return section


def _pix_section(customer: Customer, account_ids: list[int]) -> dict:
    from apps.pix.models import PixCharge, PixClaim, PixKey, PixRefund, PixTransfer

    keys = [
        {
            "id": key.pk,
            "type": key.key_type,
            "key": key.key,
            "state": key.state,
            "created_at": _iso(key.created_at),
            "registered_at": _iso(key.registered_at),
        }
        for key in PixKey.objects.filter(customer=customer).order_by("pk")
    ]
    claims = [
        {
            "id": claim.pk,
            "role": claim.role,
            "type": claim.claim_type,
            "key": claim.key,
            "state": claim.state,
            "created_at": _iso(claim.created_at),
        }
        for claim in PixClaim.objects.filter(customer=customer).order_by("pk")
    ]
    transfers = []
    rows = (
        PixTransfer.objects.filter(Q(account_id__in=account_ids) | Q(payee_account__in=account_ids))
        .select_related("account__customer")
        .order_by("pk")
    )
    for transfer in rows:
        ours_as_payer = transfer.account_id in account_ids
        if ours_as_payer:
            direction = transfer.direction
            other_doc = transfer.counterparty_tax_id
            other_key = _masked_key(transfer.counterparty_key)
            other_ispb = transfer.counterparty_ispb
        else:  # an internal Pix another customer sent us: the payer is that customer
            direction = "in"
            payer = transfer.account.customer
            other_doc = payer.tax_id if payer else ""
            other_key = ""
            other_ispb = transfer.counterparty_ispb
        transfers.append(
            {
                "id": transfer.pk,
                "end_to_end_id": transfer.end_to_end_id,
                "direction": direction,
                "amount": cents_to_str(transfer.amount),
                "state": transfer.state,
                "description": transfer.description,
                "created_at": _iso(transfer.created_at),
                "settled_at": _iso(transfer.settled_at),
                "counterparty": {
                    "institution_ispb": other_ispb,
                    "document": mask_tax_id(other_doc) if other_doc else "",
                    "key": other_key,
                },
            }
        )
    refunds = [
        {
            "id": refund.pk,
            "transfer_id": refund.transfer_id,
            "return_id": refund.return_id,
            "amount": cents_to_str(refund.amount),
            "state": refund.state,
            "reason_code": refund.reason_code,
            "description": refund.description,
            "created_at": _iso(refund.created_at),
        }
        for refund in PixRefund.objects.filter(transfer__account_id__in=account_ids).order_by("pk")
    ]
    charges = [
        {
            "id": charge.pk,
            "kind": charge.kind,
            "txid": charge.txid,
            "amount": cents_to_str(charge.amount),
            "status": charge.status,
            "due_date": _iso(charge.due_date),
            "created_at": _iso(charge.created_at),
            # The payer named in a charge is someone else: only that one was named.
            "has_debtor": bool(charge.debtor),
        }
        for charge in PixCharge.objects.filter(customer=customer).order_by("pk")
    ]
    return {
        "keys": keys,
        "claims": claims,
        "transfers": transfers,
        "refunds": refunds,
        "charges": charges,
    }


def _postings(account_ids: list[int]) -> list[dict]:
    rows = (
        Posting.objects.filter(account_id__in=account_ids)
        .select_related("entry")
        .order_by("account_id", "id")
    )
    return [
        {
            "id": posting.pk,
            "account_id": posting.account_id,
            "entry_id": posting.entry_id,
            "created_at": _iso(posting.created_at),
            "kind": posting.kind,
            "kind_label": str(kind_label(posting.kind)),
            "description": posting.entry.description,
            "amount": cents_to_str(posting.amount),
        }
        for posting in rows
    ]


def _audit_events(customer: Customer) -> list[dict]:
    user = customer.user
    events = AuditEvent.objects.filter(
        Q(actor_id=user.pk)
        | Q(object_type=Customer._meta.label, object_id=str(customer.pk))
        | Q(object_type=user._meta.label, object_id=str(user.pk))
    ).order_by("at", "id")
    return [
        {
            "at": _iso(event.at),
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
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "is_active": user.is_active,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "mfa_authenticators": [
            {
                "type": auth.type,
                "created_at": _iso(auth.created_at),
                "last_used_at": _iso(auth.last_used_at),
            }
            for auth in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        "sessions": [
            {"expires_at": _iso(session.expire_date)} for session in sessions_of_user(user.pk)
        ],
    }


def customer_data_export(customer: Customer) -> dict:
    """Everything we hold about `customer` (LGPD art. 18 I-II), as plain JSON data."""
    customer = Customer.objects.select_related("user").get(pk=customer.pk)
    accounts = list(
        Account.objects.with_balances().filter(customer=customer, kind=Account.Kind.CUSTOMER)
    )
    account_ids = [account.pk for account in accounts]
    erasure = Erasure.objects.filter(customer=customer).first()
    return {
        "format": "athena-pay/lgpd-export",
        "version": EXPORT_VERSION,
        "generated_at": timezone.now().isoformat(),
        "controller": "Athena Pay",
        "user": _user_section(customer),
        "customer": {
            "id": customer.pk,
            "kind": customer.kind,
            "full_name": customer.full_name,
            "tax_id": customer.tax_id,
            "kyc_level": customer.kyc_level,
            "state": customer.state,
            "created_at": _iso(customer.created_at),
        },
        "accounts": [
            {
                "id": account.pk,
                "branch": account.branch,
                "number": account.number,
                "name": account.name,
                "state": account.state,
                "balance": cents_to_str(account.total_balance),
                "held": cents_to_str(account.held),
                "created_at": _iso(account.created_at),
            }
            for account in accounts
        ],
        "postings": _postings(account_ids),
        "pix": _pix_section(customer, account_ids),
        "kyc": _kyc_section(customer),
        "audit_events": _audit_events(customer),
        "privacy_requests": [
            {
                "id": req.pk,
                "kind": req.kind,
                "state": req.state,
                "requested_at": _iso(req.requested_at),
                "due_at": _iso(req.due_at),
                "answered_at": _iso(req.answered_at),
                "details": req.details,
                "field": req.field,
                "new_value": req.new_value,
                "answer": req.answer,
            }
            for req in DataSubjectRequest.objects.filter(customer=customer).order_by("pk")
        ],
        "erasure": (
            {
                "erased_at": _iso(erasure.erased_at),
                "retention_until": _iso(erasure.retention_until),
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
