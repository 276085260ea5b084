"""Structuring ("smurfing"): several operations each just under a reporting threshold."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.core.money import format_brl

from . import Hit, RuleContext, RuleSpec, ratio_param, window


def structuring(ctx: RuleContext, params: dict[str, Any]) -> Hit | None:
    threshold = int(params["threshold_cents"])
    floor = threshold * ratio_param(params, "lower_ratio")
    kinds = params.get("kinds") or None
    near = [
        m
        for m in ctx.movements(since=window(ctx, days=float(params["window_days"])))
        if floor <= abs(m.amount) < threshold and (kinds is None or m.kind in kinds)
    ]
    if len(near) < int(params["min_count"]):
        return None
    total = sum(abs(m.amount) for m in near)
    score = min(100, 50 + 10 * (len(near) - int(params["min_count"])) + total // threshold)
    return Hit(
        score=score,
        summary=str(
            _("%(count)d operations between %(low)s and %(high)s within %(days)s days")
            % {
                "count": len(near),
                "low": format_brl(int(floor)),
                "high": format_brl(threshold),
                "days": params["window_days"],
            }
        ),
        movements=near,
        facts={"count": len(near), "total": total, "threshold_cents": threshold},
    )


SPEC = RuleSpec(
    code="structuring",
    name=_("Structuring"),
    description=_(
        "At least min_count operations in window_days days, each between lower_ratio x "
        "threshold_cents and threshold_cents (e.g. 3 between R$ 9.000 and R$ 10.000)."
    ),
    defaults={
        "threshold_cents": 1_000_000,
        "lower_ratio": 0.9,
        "min_count": 3,
        "window_days": 7,
        "kinds": [],
    },
    function=structuring,
)
