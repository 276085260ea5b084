"""Monitoring rules as code. Each rule is a pure function of a customer's recent movements
and its parameters (stored in `MonitoringRule.parameters`, editable by compliance officers);
it returns a `Hit` or None. `RULES` maps a rule code to its function and default parameters;
`services.monitoring_evaluate_customer` runs them and turns hits into alerts.

Movements are the customer's postings (signed: positive is money in). Postings already
judged in a closed alert of the same rule are left out (`RuleContext.postings`), so a
pattern an officer dismissed or reported does not come back on the next movement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from apps.accounts.models import Customer, Posting


@dataclass(frozen=True, slots=True)
class Movement:
    posting_id: int
    entry_id: int
    account_id: int
    amount: int
    kind: str
    created_at: datetime

    def as_evidence(self) -> dict[str, Any]:
        return {
            "posting_id": self.posting_id,
            "entry_id": self.entry_id,
            "account_id": self.account_id,
            "amount": self.amount,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
        }


@dataclass
class Hit:
    score: int
    summary: str
    movements: list[Movement]
    facts: dict[str, Any] = field(default_factory=dict)
    #: Part of the dedup key: "" for "this rule and customer while an alert is open";
    #: something narrower (an entry id) where each occurrence must be its own alert.
    dedup_suffix: str = ""
    #: Open the COAF communication at once (cash-equivalent >= R$ 50.000, art. 49).
    automatic_coaf: bool = False


@dataclass
class RuleContext:
    customer: Customer
    now: datetime
    excluded_posting_ids: frozenset[int] = frozenset()
    declared_monthly_income: int | None = None

    def movements(self, *, since: datetime, until: datetime | None = None) -> list[Movement]:
        rows = (
            Posting.objects.filter(
                account__customer_id=self.customer.pk,
                created_at__gte=since,
                created_at__lte=until or self.now,
            )
            .exclude(pk__in=self.excluded_posting_ids)
            .order_by("created_at", "pk")
            .values_list("pk", "entry_id", "account_id", "amount", "kind", "created_at")
        )
        return [Movement(*row) for row in rows]


RuleFunction = Callable[[RuleContext, dict[str, Any]], "Hit | list[Hit] | None"]


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: Any
    description: Any
    defaults: dict[str, Any]
    function: RuleFunction


def _registry() -> dict[str, RuleSpec]:
    from . import (
        cash,
        counterparties,
        income,
        pass_through,
        structuring,
        velocity,
    )

    specs = [
        structuring.SPEC,
        pass_through.SPEC,
        counterparties.MANY_TO_ONE,
        counterparties.ONE_TO_MANY,
        velocity.SPEC,
        income.SPEC,
        cash.SPEC,
    ]
    return {spec.code: spec for spec in specs}


_RULES: dict[str, RuleSpec] | None = None


def rules() -> dict[str, RuleSpec]:
    global _RULES
    if _RULES is None:
        _RULES = _registry()
    return _RULES


def ratio_param(params: dict[str, Any], name: str) -> Decimal:
    """A multiplier or ratio parameter as an exact Decimal: it scales centavo amounts, which
    must not pass through binary floating point (0.9 x R$ 10.000,00 is R$ 9.000,00 exactly)."""
    return Decimal(str(params[name]))


def window(ctx: RuleContext, *, days: float = 0, hours: float = 0) -> datetime:
    return ctx.now - timedelta(days=days, hours=hours)


__all__ = ["Hit", "Movement", "RuleContext", "RuleSpec", "rules", "window"]
