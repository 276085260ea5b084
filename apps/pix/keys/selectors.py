"""Reads of the Pix keys domain for views, APIs and other apps."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Account
from apps.core.errors import NotFound
from apps.pix.models import PixClaim, PixKey


def keys_of_user(*, user, account_id: int | None = None) -> QuerySet[PixKey]:
    """The caller's keys that are (or are becoming) theirs: not deleted, cancelled or
    transferred."""
    keys = PixKey.objects.filter(customer__user=user, state__in=PixKey.SLOT_STATES)
    if account_id is not None:
        keys = keys.filter(account_id=account_id)
    return keys.select_related("account").order_by("pk")


def key_of_user(*, user, key_id: int) -> PixKey:
    """The caller's own key, or 404: another customer's key does not exist for them."""
    key = PixKey.objects.filter(customer__user=user, pk=key_id).select_related("account").first()
    if key is None:
        raise NotFound(_("Pix key not found."))
    return key


def claims_of_user(*, user) -> QuerySet[PixClaim]:
    return PixClaim.objects.filter(customer__user=user).order_by("-created_at", "-pk")


def claim_of_user(*, user, claim_id: int) -> PixClaim:
    claim = PixClaim.objects.filter(customer__user=user, pk=claim_id).first()
    if claim is None:
        raise NotFound(_("Claim not found."))
    return claim


def keys_holding_slots(*, account: Account) -> int:
    """How many of the account's key slots are taken (see PixKey.SLOT_STATES)."""
    return PixKey.objects.filter(account=account, state__in=PixKey.SLOT_STATES).count()


def live_key(*, key: str) -> PixKey | None:
    """Our row for a key that is ours in the directory (active, under claim, ...)."""
    return PixKey.objects.filter(key=key, state__in=PixKey.UNIQUE_STATES).first()


def open_claims_due(*, now) -> QuerySet[PixClaim]:
    """Claims against our keys whose resolution period has ended without an answer."""
    return PixClaim.objects.filter(
        role=PixClaim.Role.DONOR,
        state=PixClaim.State.WAITING_RESOLUTION,
        resolution_period_end__lte=now,
    ).order_by("resolution_period_end", "pk")
