"""Cash-equivalent operations at or above R$ 50.000: communicated to COAF (Circular 3.978
art. 49), each operation on its own, by the next business day."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.core.money import format_brl

from . import Hit, RuleContext, RuleSpec, window


def cash(ctx: RuleContext, params: dict[str, Any]) -> list[Hit]:
    kinds = set(params["kinds"])
    threshold = int(params["threshold_cents"])
    return [
        Hit(
            score=70,
            summary=str(
                _("Cash-equivalent operation of %(amount)s (%(kind)s)")
                % {"amount": format_brl(abs(m.amount)), "kind": m.kind}
            ),
            movements=[m],
            facts={"amount": abs(m.amount), "threshold_cents": threshold},
            dedup_suffix=f"entry:{m.entry_id}",
            automatic_coaf=True,
        )
        for m in ctx.movements(since=window(ctx, days=float(params["window_days"])))
        if m.kind in kinds and abs(m.amount) >= threshold
    ]


SPEC = RuleSpec(
    code="cash",
    name=_("Cash-equivalent at or above R$ 50.000"),
    description=_(
        "Each operation of the cash-like kinds of at least threshold_cents: an alert and an "
        "automatic COAF communication awaiting approval."
    ),
    defaults={
        "threshold_cents": 5_000_000,
        "kinds": ["cash_deposit", "cash_withdrawal", "cash"],
        "window_days": 2,
    },
    function=cash,
)
