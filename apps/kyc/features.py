"""Feature gating by KYC level: products ask before they act.

    from apps.kyc.features import require_level
    require_level(customer, "ted")   # raises FeatureLocked (a DomainError, 403) below level 1

TED and cards need level 1 (CPF verified), loans level 2 (documents and selfie), as the
KYC table of issue 5 says. Call it in the product's service, before anything is written,
so the API and the portal show the same message.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import status

from apps.core.errors import DomainError

FEATURE_LEVELS: dict[str, int] = {"ted": 1, "cards": 1, "loans": 2}

FEATURE_NAMES = {"ted": "TED", "cards": "cards", "loans": "loans"}


class FeatureLocked(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "kyc_level_required"
    title = "Identity verification level required"


def level_required(feature: str) -> int:
    try:
        return FEATURE_LEVELS[feature]
    except KeyError:
        raise ValueError(f"unknown feature {feature!r}") from None


def has_feature(customer: Any, feature: str) -> bool:
    return customer.kyc_level >= level_required(feature)


def require_level(customer: Any, feature: str) -> None:
    """Raise FeatureLocked naming the level needed when the customer is below it."""
    needed = level_required(feature)
    if customer.kyc_level >= needed:
        return
    raise FeatureLocked(
        _(
            "%(feature)s requires identity verification level %(needed)s; your level is "
            "%(level)s. Complete the verification to KYC level %(needed)s to unlock it."
        )
        % {"feature": FEATURE_NAMES[feature], "needed": needed, "level": customer.kyc_level}
    )
