"""Reads of KYC: a customer's own requests, the compliance review queue, and the one
place a document is decrypted (for its owner or a compliance role only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.accounts import selectors as accounts
from apps.accounts.models import Customer
from apps.accounts.selectors import FEATURE_NAMES, KYC_LIMITS
from apps.core.crypto import cipher
from apps.core.errors import NotFound

from .features import FEATURE_LEVELS
from .models import KycDocument, KycRequest

DOCUMENT_PERMISSION = "kyc.view_kycdocument"


def requests_of_customer(*, customer: Customer) -> QuerySet[KycRequest]:
    return KycRequest.objects.filter(customer=customer).prefetch_related("documents")


def request_of_user(*, user: Any, request_id: int) -> KycRequest:
    """One of the caller's own requests; anything else is NotFound (no existence leak)."""
    found = (
        KycRequest.objects.select_related("customer")
        .filter(pk=request_id, customer__user=user)
        .first()
        if getattr(user, "is_authenticated", False)
        else None
    )
    if found is None:
        raise NotFound(_("Verification request not found."))
    return found


def open_request_of_customer(*, customer: Customer) -> KycRequest | None:
    return requests_of_customer(customer=customer).filter(state__in=KycRequest.OPEN_STATES).first()


def verified_address(*, customer: Customer) -> dict[str, str] | None:
    """The address of the customer's latest approved verification that declared one
    (logradouro, cidade, uf, cep: BACEN's names, as the API Pix shows a `recebedor`)."""
    found = (
        KycRequest.objects.filter(customer=customer, state=KycRequest.State.APPROVED)
        .exclude(address_line="")
        .exclude(city="")
        .exclude(state_code="")
        .exclude(postal_code="")
        .order_by("-decided_at", "-pk")
        .first()
    )
    if found is None:
        return None
    return {
        "logradouro": found.address_line,
        "cidade": found.city,
        "uf": found.state_code,
        "cep": found.postal_code.replace("-", ""),
    }


def verified_birth_date(*, customer: Customer):
    """The birth date of the customer's latest approved verification that declared one
    (loans score the applicant's age from it), or None."""
    return (
        KycRequest.objects.filter(
            customer=customer, state=KycRequest.State.APPROVED, birth_date__isnull=False
        )
        .order_by("-decided_at", "-pk")
        .values_list("birth_date", flat=True)
        .first()
    )


def kyc_requests_for_review() -> QuerySet[KycRequest]:
    """The compliance queue: requests waiting for an officer, oldest first (the 45-day
    analysis clock of Circular 3.978 runs from submission)."""
    return (
        KycRequest.objects.filter(state=KycRequest.State.IN_REVIEW)
        .select_related("customer", "customer__user")
        .prefetch_related("documents")
        .order_by("submitted_at", "pk")
    )


@dataclass(frozen=True)
class LevelStep:
    """A KYC level and the products it unlocks for this customer (their names, translated)."""

    level: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class LevelSummary:
    level: int
    daily_limit: int
    monthly_limit: int
    features: tuple[str, ...]  # unlocked and usable by this customer now
    next_level: int | None
    steps: tuple[LevelStep, ...] = ()  # what each level unlocks for this customer

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(str(FEATURE_NAMES.get(code, code)) for code in self.features)


def level_summary(*, customer: Customer) -> LevelSummary:
    """The customer's level and limits, and only the products this customer can use: a
    level's feature that the product's own conditions refuse (loans for a company) is
    neither listed as unlocked nor promised for a higher level."""
    level = customer.kyc_level
    limits = KYC_LIMITS[level]
    offered = {
        name: need
        for name, need in FEATURE_LEVELS.items()
        if accounts.product_offered(customer=customer, product=name)
    }
    features = tuple(sorted(name for name, need in offered.items() if level >= need))
    steps = tuple(
        LevelStep(
            level=step,
            names=tuple(
                str(FEATURE_NAMES.get(name, name))
                for name, need in sorted(offered.items())
                if need == step
            ),
        )
        for step in sorted(set(offered.values()))
    )
    return LevelSummary(
        level=level,
        daily_limit=limits.daily,
        monthly_limit=limits.monthly,
        features=features,
        next_level=level + 1 if level < 3 else None,
        steps=steps,
    )


def can_view_document(*, user: Any, document: KycDocument) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if document.request.customer.user_id == user.pk:
        return True
    return bool(user.is_staff and user.has_perm(DOCUMENT_PERMISSION))


def document_for_viewer(*, user: Any, document_id: int) -> tuple[KycDocument, bytes]:
    """The document and its decrypted bytes, or NotFound for anyone not allowed to see it
    (a 404 rather than a 403, so ids of other customers' documents reveal nothing)."""
    document = (
        KycDocument.objects.select_related("request__customer").filter(pk=document_id).first()
    )
    if document is None or not can_view_document(user=user, document=document):
        raise NotFound(_("Document not found."))
    return document, cipher().decrypt(bytes(document.content_encrypted))
