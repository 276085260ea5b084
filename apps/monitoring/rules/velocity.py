"""Velocity spike: the customer's volume in a short window against their own history."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.core.money import format_brl

from . import Hit, RuleContext, RuleSpec, ratio_param, window


def velocity(ctx: RuleContext, params: dict[str, Any]) -> Hit | None:
    days = float(params["window_days"])
    history_days = float(params["history_days"])
    recent_start = window(ctx, days=days)
    recent = ctx.movements(since=recent_start)
    volume = sum(abs(m.amount) for m in recent)
    if volume < int(params["min_volume_cents"]):
        return None
    past = ctx.movements(since=window(ctx, days=days + history_days), until=recent_start)
    # Average volume per window over the history; a customer with no history is compared
    # with nothing (min_volume_cents alone decides), which is the new-account case.
    # In whole centavos, half up: the parameters are Decimals, the amounts integers.
    baseline = (
        sum(abs(m.amount) for m in past)
        * ratio_param(params, "window_days")
        / ratio_param(params, "history_days")
    ).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if baseline and volume < ratio_param(params, "multiplier") * baseline:
        return None
    return Hit(
        score=min(100, 45 + (int(volume / baseline) if baseline else 30)),
        summary=str(
            _("%(volume)s moved in %(days)s day(s) against %(baseline)s usual")
            % {
                "volume": format_brl(volume),
                "days": params["window_days"],
                "baseline": format_brl(int(baseline)),
            }
        ),
        movements=recent,
        facts={"volume": volume, "baseline": int(baseline)},
    )


SPEC = RuleSpec(
    code="velocity",
    name=_("Velocity spike"),
    description=_(
        "Volume (in + out) in window_days at least multiplier times the customer's average "
        "per window over the previous history_days, and at least min_volume_cents."
    ),
    defaults={
        "window_days": 1,
        "history_days": 90,
        "multiplier": 5,
        "min_volume_cents": 2_000_000,
    },
    function=velocity,
)
