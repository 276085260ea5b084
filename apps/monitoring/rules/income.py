"""Operations incompatible with the declared monthly income.

The income comes from the KYC level 3 request (apps.kyc), read by
`services.declared_monthly_income`; a customer with no declared income is skipped.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.core.money import format_brl

from . import Hit, RuleContext, RuleSpec, ratio_param, window


def income(ctx: RuleContext, params: dict[str, Any]) -> Hit | None:
    declared = ctx.declared_monthly_income
    if not declared:
        return None
    days = float(params["window_days"])
    inflows = [m for m in ctx.movements(since=window(ctx, days=days)) if m.amount > 0]
    received = sum(m.amount for m in inflows)
    allowed = declared * ratio_param(params, "multiple") * ratio_param(params, "window_days") / 30
    if received <= allowed:
        return None
    return Hit(
        score=min(100, int(50 + 10 * received / allowed)),
        summary=str(
            _("%(received)s received in %(days)s days; declared income %(income)s a month")
            % {
                "received": format_brl(received),
                "days": params["window_days"],
                "income": format_brl(declared),
            }
        ),
        movements=inflows,
        facts={"received": received, "declared_monthly_income": declared},
    )


SPEC = RuleSpec(
    code="income",
    name=_("Incompatible with declared income"),
    description=_(
        "Money received in window_days above multiple times the declared monthly income (pro rata)."
    ),
    defaults={"window_days": 30, "multiple": 3},
    function=income,
)
