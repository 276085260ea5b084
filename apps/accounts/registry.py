"""Extension points of accounts that other apps register with from their ready():
rules of the money gate (`register_limit_rule`), how their ledger entries read on a
statement (`register_line`), and onboarding gates (`register_gate`, below).

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

from apps.accounts.ledger_lines import register_line  # how a product's entries read
from apps.accounts.models import Customer
from apps.accounts.money_gate import register_rule as register_limit_rule  # a product's rule

__all__ = ["pending_reasons", "register_gate", "register_limit_rule", "register_line"]

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
