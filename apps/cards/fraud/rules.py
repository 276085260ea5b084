"""The fraud rules, as pure functions of a `Context` (what the engine read about the card)
and the rule's parameters (what staff set in the admin), free of the database so the
training command evaluates exactly the same rules on synthetic history.

Each rule that fires gives a strength in 0..1; the engine weighs it by the rule's weight
and combines the rules and the anomaly model as a noisy OR: score = 1 - prod(1 - w * s).
A reason is data, never prose: {"code": kind, "rule": the rule's code, "points": w * s,
"params": what was observed and the parameters it was judged by}; `render_reason()` turns
it into a sentence in the reader's language when shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.cards.fraud import countries

VELOCITY = "velocity"
AMOUNT_HISTORY = "amount_history"
MCC_RISK = "mcc_risk"
CNP_NEW_DEVICE = "cnp_new_device"
CNP_NEW_COUNTRY = "cnp_new_country"
IMPOSSIBLE_TRAVEL = "impossible_travel"
ANOMALY_MODEL = "anomaly_model"

KIND_LABELS = {
    VELOCITY: gettext_lazy("velocity (authorizations per card in a window)"),
    AMOUNT_HISTORY: gettext_lazy("amount against the card's own history"),
    MCC_RISK: gettext_lazy("risky merchant category (MCC)"),
    CNP_NEW_DEVICE: gettext_lazy("card not present from a new device"),
    CNP_NEW_COUNTRY: gettext_lazy("card not present from a new country"),
    IMPOSSIBLE_TRAVEL: gettext_lazy("impossible travel between card-present purchases"),
    ANOMALY_MODEL: gettext_lazy("anomaly model (scikit-learn)"),
}
KINDS = tuple(KIND_LABELS)


@dataclass(frozen=True)
class Context:
    """One authorization as the rules see it (amounts in centavos, times aware)."""

    now: dt.datetime
    amount_cents: int
    mcc: str
    card_present: bool
    country: str  # normalized (ISO 3166 numeric)
    device_id: str
    hour_local: float  # Brasilia time, 0..24
    history_count: int = 0  # authorizations of the card in the history window
    history_median: float | None = None
    history_p95: float | None = None
    log_mean: float | None = None  # of ln(amount) over the history
    log_std: float | None = None
    # days -> (count, median, p95) for an amount rule whose window is not the model's
    history_by_days: dict[int, tuple] = field(default_factory=dict)
    velocity: dict[tuple[int, bool], int] = field(default_factory=dict)  # (minutes, declined too)
    device_known: bool = True
    country_known: bool = True
    last_present_country: str = ""
    last_present_at: dt.datetime | None = None

    @property
    def abroad(self) -> bool:
        return self.country != countries.HOME


# --- Parameters ---------------------------------------------------------------------------

# kind -> {param: (type, minimum, maximum)}; a choice list instead of bounds for strings.
_SCHEMAS: dict[str, dict[str, tuple]] = {
    VELOCITY: {
        "max_count": (int, 1, 1000),
        "minutes": (int, 1, 10080),
        "include_declined": (bool,),
    },
    AMOUNT_HISTORY: {
        "multiplier": (float, 1.0, 1000.0),
        "statistic": (str, ("median", "p95")),
        "days": (int, 1, 365),
        "min_history": (int, 1, 10000),
        "min_amount_cents": (int, 0, 10**12),
    },
    MCC_RISK: {"mccs": (dict,)},
    CNP_NEW_DEVICE: {"min_history": (int, 0, 10000)},
    CNP_NEW_COUNTRY: {"min_history": (int, 0, 10000)},
    IMPOSSIBLE_TRAVEL: {
        "max_speed_kmh": (float, 1.0, 100000.0),
        "distance_slack_km": (float, 0.0, 20000.0),
        "hours": (int, 1, 168),
    },
    ANOMALY_MODEL: {"floor": (float, 0.0, 0.999)},
}

DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {
        "code": "velocity_10m",
        "kind": VELOCITY,
        "weight": 0.6,
        "params": {"max_count": 5, "minutes": 10, "include_declined": True},
    },
    {
        "code": "velocity_24h",
        "kind": VELOCITY,
        "weight": 0.3,
        "params": {"max_count": 25, "minutes": 1440, "include_declined": False},
    },
    {
        "code": "amount_history",
        "kind": AMOUNT_HISTORY,
        "weight": 0.45,
        "params": {
            "multiplier": 4.0,
            "statistic": "p95",
            "days": 90,
            "min_history": 5,
            "min_amount_cents": 20_000,
        },
    },
    {
        "code": "mcc_risk",
        "kind": MCC_RISK,
        "weight": 0.5,
        # Weights 0..1 per MCC: gambling, crypto, money transfer and quasi-cash, digital
        # goods, dating and adult services, wire transfer money orders, jewellery.
        "params": {
            "mccs": {
                "7995": 1.0,
                "7801": 0.8,
                "7802": 0.8,
                "6051": 1.0,
                "4829": 0.8,
                "6540": 0.6,
                "6211": 0.4,
                "5816": 0.4,
                "5967": 0.6,
                "7273": 0.5,
                "5944": 0.4,
                "5094": 0.4,
            }
        },
    },
    {
        "code": "cnp_new_device",
        "kind": CNP_NEW_DEVICE,
        "weight": 0.35,
        "params": {"min_history": 3},
    },
    {
        "code": "cnp_new_country",
        "kind": CNP_NEW_COUNTRY,
        "weight": 0.45,
        "params": {"min_history": 3},
    },
    {
        "code": "impossible_travel",
        "kind": IMPOSSIBLE_TRAVEL,
        "weight": 0.7,
        "params": {"max_speed_kmh": 900.0, "distance_slack_km": 1500.0, "hours": 24},
    },
    {
        "code": "anomaly_model",
        "kind": ANOMALY_MODEL,
        "weight": 0.4,
        "params": {"floor": 0.97},
    },
)


def validate_params(kind: str, params: Any) -> dict[str, Any]:
    """The parameters of a rule of `kind`, checked and coerced (ints for int parameters...);
    raises ValidationError naming the parameter."""
    if kind not in _SCHEMAS:
        raise ValidationError(_("Unknown rule kind %(kind)s.") % {"kind": kind})
    if not isinstance(params, dict):
        raise ValidationError(_("The parameters must be a JSON object."))
    schema = _SCHEMAS[kind]
    errors = []
    unknown = sorted(set(params) - set(schema))
    if unknown:
        errors.append(_("Unknown parameters: %(names)s.") % {"names": ", ".join(unknown)})
    clean: dict[str, Any] = {}
    for name, spec in schema.items():
        if name not in params:
            errors.append(_("Missing parameter %(name)s.") % {"name": name})
            continue
        value = params[name]
        kind_type = spec[0]
        try:
            clean[name] = _coerce(name, value, spec)
        except ValueError:
            errors.append(
                _("Parameter %(name)s must be a %(type)s%(range)s.")
                % {"name": name, "type": kind_type.__name__, "range": _range(spec)}
            )
    if kind == MCC_RISK and "mccs" in clean:
        for mcc, weight in clean["mccs"].items():
            if not (len(mcc) == 4 and mcc.isdigit()):
                errors.append(_("%(mcc)s is not an MCC (four digits).") % {"mcc": mcc})
            if not (isinstance(weight, int | float) and not isinstance(weight, bool)) or not (
                0 <= weight <= 1
            ):
                errors.append(
                    _("The weight of MCC %(mcc)s must be between 0 and 1.") % {"mcc": mcc}
                )
        clean["mccs"] = {str(k): float(v) for k, v in clean["mccs"].items() if not errors}
    if errors:
        raise ValidationError(errors)
    return clean


def _range(spec: tuple) -> str:
    if len(spec) == 3:
        return f" ({spec[1]}..{spec[2]})"
    if len(spec) == 2:
        return " (" + ", ".join(spec[1]) + ")"
    return ""


def _coerce(name: str, value: Any, spec: tuple) -> Any:
    kind_type = spec[0]
    if kind_type is bool:
        if not isinstance(value, bool):
            raise ValueError(name)
        return value
    if kind_type is dict:
        if not isinstance(value, dict):
            raise ValueError(name)
        return value
    if kind_type is str:
        if not isinstance(value, str) or value not in spec[1]:
            raise ValueError(name)
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(name)
    if kind_type is int:
        if value != int(value):
            raise ValueError(name)
        value = int(value)
    else:
        value = float(value)
    if not (spec[1] <= value <= spec[2]):
        raise ValueError(name)
    return value


# --- The rules ----------------------------------------------------------------------------


def _velocity(ctx: Context, p: dict) -> tuple[float, dict] | None:
    # The authorization being decided counts too (count of the earlier ones + 1).
    count = ctx.velocity.get((p["minutes"], p["include_declined"]), 0) + 1
    if count > p["max_count"]:
        return 1.0, {"count": count, "max_count": p["max_count"], "minutes": p["minutes"]}
    return None


def _amount_history(ctx: Context, p: dict) -> tuple[float, dict] | None:
    count, median, p95 = ctx.history_by_days.get(
        p["days"], (ctx.history_count, ctx.history_median, ctx.history_p95)
    )
    if count < p["min_history"] or ctx.amount_cents < p["min_amount_cents"]:
        return None
    reference = median if p["statistic"] == "median" else p95
    if not reference:
        return None
    if ctx.amount_cents > p["multiplier"] * reference:
        return 1.0, {
            "amount": ctx.amount_cents,
            "statistic": p["statistic"],
            "reference": round(reference),
            "multiplier": p["multiplier"],
            "days": p["days"],
        }
    return None


def mcc_weight(mcc: str, rules: list[dict]) -> float:
    """The risk of an MCC in the enabled MCC table(s), 0..1 (the model's feature too)."""
    weight = 0.0
    for rule in rules:
        if rule["kind"] == MCC_RISK and rule["enabled"]:
            weight = max(weight, float(rule["params"]["mccs"].get(mcc, 0.0)))
    return weight


def _mcc_risk(ctx: Context, p: dict) -> tuple[float, dict] | None:
    weight = float(p["mccs"].get(ctx.mcc, 0.0))
    if weight > 0:
        return weight, {"mcc": ctx.mcc, "mcc_weight": weight}
    return None


def _cnp_new_device(ctx: Context, p: dict) -> tuple[float, dict] | None:
    if ctx.card_present or not ctx.device_id or ctx.device_known:
        return None
    if ctx.history_count < p["min_history"]:
        return None
    return 1.0, {}


def _cnp_new_country(ctx: Context, p: dict) -> tuple[float, dict] | None:
    if ctx.card_present or ctx.country_known:
        return None
    if ctx.history_count < p["min_history"]:
        return None
    return 1.0, {"country": ctx.country}


def _impossible_travel(ctx: Context, p: dict) -> tuple[float, dict] | None:
    if not ctx.card_present or not ctx.last_present_at or not ctx.last_present_country:
        return None
    hours = (ctx.now - ctx.last_present_at).total_seconds() / 3600
    if hours < 0 or hours > p["hours"]:
        return None
    distance = countries.distance_km(ctx.last_present_country, ctx.country)
    if distance is None:
        return None
    effective = max(0.0, distance - p["distance_slack_km"])
    if effective <= 0:
        return None
    speed = effective / max(hours, 1 / 60)
    if speed > p["max_speed_kmh"]:
        return 1.0, {
            "from_country": ctx.last_present_country,
            "country": ctx.country,
            "distance_km": round(distance),
            "hours": round(hours, 2),
            "max_speed_kmh": p["max_speed_kmh"],
        }
    return None


_RULES = {
    VELOCITY: _velocity,
    AMOUNT_HISTORY: _amount_history,
    MCC_RISK: _mcc_risk,
    CNP_NEW_DEVICE: _cnp_new_device,
    CNP_NEW_COUNTRY: _cnp_new_country,
    IMPOSSIBLE_TRAVEL: _impossible_travel,
}


def evaluate(ctx: Context, rules: list[dict], *, anomaly: float | None = None) -> tuple:
    """-> (score 0..1, reasons). `rules`: dicts with code, kind, enabled, weight, params;
    `anomaly`: the model's percentile among normal purchases (0..1), None without a model."""
    reasons: list[dict] = []
    keep = 1.0
    for rule in rules:
        if not rule["enabled"] or rule["weight"] <= 0:
            continue
        if rule["kind"] == ANOMALY_MODEL:
            if anomaly is None:
                continue
            floor = rule["params"]["floor"]
            strength = max(0.0, (anomaly - floor) / (1 - floor)) if anomaly > floor else 0.0
            hit = (strength, {"anomaly": round(anomaly, 4), "floor": floor}) if strength else None
        else:
            hit = _RULES[rule["kind"]](ctx, rule["params"])
        if hit is None:
            continue
        strength, observed = hit
        points = min(1.0, rule["weight"] * strength)
        keep *= 1 - points
        reasons.append(
            {
                "code": rule["kind"],
                "rule": rule["code"],
                "points": round(points, 4),
                "params": observed,
            }
        )
    reasons.sort(key=lambda r: -r["points"])
    return round(1 - keep, 4), reasons


# --- Reasons for people -------------------------------------------------------------------


def render_reason(reason: Any) -> str:
    """A stored reason as a sentence in the active language (admin, portal)."""
    if not isinstance(reason, dict):
        return str(reason)
    code = reason.get("code", "")
    p = reason.get("params") or {}
    try:
        if code == VELOCITY:
            text = _("%(count)s authorizations in %(minutes)s minutes (limit %(max_count)s)") % p
        elif code == AMOUNT_HISTORY:
            stat = _("median") if p.get("statistic") == "median" else _("95th percentile")
            text = _(
                "amount %(amount)s over %(multiplier)s x the card's %(stat)s of %(days)s days "
                "(%(reference)s)"
            ) % {
                **p,
                "amount": _money(p["amount"]),
                "reference": _money(p["reference"]),
                "stat": stat,
            }
        elif code == MCC_RISK:
            text = _("risky merchant category %(mcc)s (weight %(mcc_weight)s)") % p
        elif code == CNP_NEW_DEVICE:
            text = _("card not present from a device never seen on this card")
        elif code == CNP_NEW_COUNTRY:
            text = _("card not present from a country never seen on this card (%(country)s)") % p
        elif code == IMPOSSIBLE_TRAVEL:
            text = (
                _(
                    "card present in %(country)s %(hours)s h after %(from_country)s "
                    "(%(distance_km)s km apart)"
                )
                % p
            )
        elif code == ANOMALY_MODEL:
            text = _("unusual for this card (anomaly percentile %(anomaly)s)") % p
        elif code == "engine_error":
            text = _("the fraud engine failed: decided without it")
        else:
            text = code
    except (KeyError, TypeError, ValueError):
        text = code
    return f"{text} [+{reason.get('points', 0)}]"


def _money(cents: Any) -> str:
    from apps.core.money import format_brl

    return format_brl(int(cents))
