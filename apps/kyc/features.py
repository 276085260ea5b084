"""Feature gating by KYC level, as kyc's pages read it.

    from apps.kyc.features import require_level
    require_level(customer, "ted")   # raises FeatureLocked (a DomainError, 403) below level 1

The table and the error belong to accounts' money gate (`apps.accounts.money_gate`), which every
product calls before it debits: TED and cards need level 1 (CPF verified), loans level 2
(documents and selfie). This module re-exports them for kyc and for callers that only ask
"may this customer use the feature?" before anything moves.
"""

from __future__ import annotations

from apps.accounts import selectors as accounts
from apps.accounts.errors import FeatureLocked

FEATURE_LEVELS = accounts.FEATURE_LEVELS
FEATURE_NAMES = accounts.FEATURE_NAMES
has_feature = accounts.has_feature
level_required = accounts.level_required
require_level = accounts.require_level

__all__ = [
    "FEATURE_LEVELS",
    "FEATURE_NAMES",
    "FeatureLocked",
    "has_feature",
    "level_required",
    "require_level",
]
