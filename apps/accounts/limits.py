"""Transaction limits: the names products have always imported from here.

The policy lives in `apps.accounts.money_gate` (limits per KYC level and product family,
feature levels, account and customer state, each product's own rules): this module is the
same objects under their old names, so `limits.check` *is* `money_gate.check` and
`limits.KYC_LIMITS` is the gate's table (a test patching it patches the gate).
"""

from __future__ import annotations

from apps.accounts.money_gate import (
    FEATURE_LEVELS,
    KYC_LIMITS,
    PRODUCT_KINDS,
    PRODUCT_NAMES,
    PRODUCTS,
    FeatureLocked,
    LevelLimits,
    LimitExceeded,
    Product,
    Rule,
    check,
    period_starts,
    register_rule,
    sent_since,
)
from apps.core.timezones import BRASILIA

__all__ = [
    "BRASILIA",
    "FEATURE_LEVELS",
    "KYC_LIMITS",
    "PRODUCTS",
    "PRODUCT_KINDS",
    "PRODUCT_NAMES",
    "FeatureLocked",
    "LevelLimits",
    "LimitExceeded",
    "Product",
    "Rule",
    "check",
    "period_starts",
    "register_rule",
    "sent_since",
]
