"""Extension points of accounts that other apps register with from their ready():
rules of the money gate (`register_limit_rule`), how their ledger entries read on a
statement (`register_line`), onboarding gates (`register_gate`, below) and who may use a
product beyond its KYC level (`register_product_condition`, at the end).

Onboarding gates: what must be clear before a signed-up customer is activated.

A pending customer becomes active at KYC level 0, with its first payment account, once
every gate is clear: its e-mail is verified (allauth; checked here) and each gate other
apps register from their AppConfig.ready() is clear (compliance registers the onboarding
screening). The gates may clear in any order, each in its own transaction; whoever clears
one calls `services.customer_onboarding_complete` after its commit, which re-reads every
gate under the customer's row lock, so the customer is activated exactly once.

A gate is a function `(customer) -> str | None`: None when clear, else a short reason
code the portal can explain ("email_unverified", "screening_pending", "screening_review").
"""

from __future__ import annotations

from collections.abc import Callable

from apps.accounts import money_gate
from apps.accounts.ledger_lines import register_line  # how a product's entries read
from apps.accounts.models import Customer
from apps.accounts.money_gate import register_rule as register_limit_rule  # a product's rule

__all__ = [
    "condition_refusal",
    "pending_reasons",
    "product_refusal",
    "register_gate",
    "register_limit_rule",
    "register_line",
    "register_product_condition",
]

Gate = Callable[[Customer], "str | None"]

_gates: dict[str, Gate] = {}


def register_gate(name: str, gate: Gate) -> None:
    """Add (or replace, on a repeated ready()) the gate `name`."""
    _gates[name] = gate


def email_verified_gate(customer: Customer) -> str | None:
    from allauth.account.models import EmailAddress

    if EmailAddress.objects.filter(user_id=customer.user_id, verified=True).exists():
        return None
    return "email_unverified"


register_gate("email", email_verified_gate)


def pending_reasons(customer: Customer) -> list[str]:
    """Why a pending customer is not active yet (empty: every gate is clear)."""
    return [reason for gate in list(_gates.values()) if (reason := gate(customer)) is not None]


# --- Who may use a product ----------------------------------------------------------------
# The KYC level a product needs is the money gate's (`money_gate.FEATURE_LEVELS`); a product
# may have conditions of its own (loans are for natural persons), which its app registers:
# `condition(customer) -> str | None`, None when the customer may use the product, else why
# not, in the reader's language. The portal promises (the KYC page, the statement's filter,
# the menu) only what `selectors.product_refusal` clears, and the product's service refuses
# by the same function.

ProductCondition = Callable[[Customer], "str | None"]

_conditions: dict[str, dict[str, ProductCondition]] = {}


def register_product_condition(product: str, condition: ProductCondition) -> None:
    """Add (or replace, on a repeated ready()) a condition of `product`, by its name."""
    name = f"{condition.__module__}.{condition.__qualname__}"
    _conditions.setdefault(product, {})[name] = condition


def condition_refusal(customer: Customer, product: str) -> str | None:
    """Why the product is not for this customer whatever their KYC level, or None."""
    for condition in list(_conditions.get(product, {}).values()):
        reason = condition(customer)
        if reason is not None:
            return reason
    return None


def product_refusal(customer: Customer, product: str) -> str | None:
    """Why this customer may not use the product now (the KYC level first), or None."""
    try:
        money_gate.require_level(customer, product)
    except money_gate.FeatureLocked as exc:
        return exc.message
    return condition_refusal(customer, product)
