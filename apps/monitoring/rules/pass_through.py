"""Pass-through ("conta de passagem"): money comes in and most of it leaves soon after."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.core.money import format_brl

from . import Hit, RuleContext, RuleSpec, ratio_param, window


def pass_through(ctx: RuleContext, params: dict[str, Any]) -> Hit | None:
    movements = ctx.movements(since=window(ctx, hours=float(params["window_hours"])))
    inflows = [m for m in movements if m.amount > 0]
    if not inflows:
        return None
    first_in = inflows[0].created_at
    # Only what left after money arrived passes it through.
    outflows = [m for m in movements if m.amount < 0 and m.created_at >= first_in]
    total_in = sum(m.amount for m in inflows)
    total_out = -sum(m.amount for m in outflows)
    if total_in < int(params["min_inflow_cents"]) or not outflows:
        return None
    ratio = Decimal(total_out) / Decimal(total_in)
    if ratio < ratio_param(params, "min_out_ratio"):
        return None
    return Hit(
        score=min(100, int(50 + 40 * min(ratio, Decimal(1)) + total_in // 10_000_000)),
        summary=str(
            _("%(out)s of %(in)s received left within %(hours)s hours")
            % {
                "out": format_brl(total_out),
                "in": format_brl(total_in),
                "hours": params["window_hours"],
            }
        ),
        movements=inflows + outflows,
        facts={"inflow": total_in, "outflow": total_out, "ratio": str(round(ratio, 4))},
    )


SPEC = RuleSpec(
    code="pass_through",
    name=_("Pass-through account"),
    description=_(
        "At least min_inflow_cents received and min_out_ratio of it sent out again within "
        "window_hours hours."
    ),
    defaults={"window_hours": 48, "min_out_ratio": 0.8, "min_inflow_cents": 500_000},
    function=pass_through,
)
