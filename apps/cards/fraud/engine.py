"""The fraud engine the authorization path asks inline (apps.cards.services.authorize,
inside its transaction, the card's row locked).

`evaluate()` works on the rules (one small table, cached a few seconds per process) and on
the card's reading by `athena_card_fraud_stats` (migration cards 0004): its last days of
authorizations as aggregates (history count, median and 95th percentile, log-amount mean
and spread, counts per velocity window), whether the device and the country are known for
the card and, for a card-present purchase, the last card-present one (impossible travel).
The authorization reads it in its first call, with the card (`plan()` says beforehand
what to read); called alone, the engine reads it itself. It scores the anomaly model
inline (the forest walked as arrays, a tenth of a millisecond), combines rules and model
(`rules.evaluate`) and decides by the thresholds in settings: DECLINE (59), REVIEW
(approve and open an item in the compliance queue: the authorization's record call
writes it with the row, see apps/cards/services/authorize.py), APPROVE.

What counts as the card's history: its approved, captured or expired purchases, except
those sent to review and not yet confirmed by the customer ("it was me" puts them back,
as does an officer closing the review as legitimate).
A device or country becomes known when a purchase from it is approved without doubt
(recorded here, in the same transaction) or confirmed by the customer (feedback.py).

The engine fails open: an error of its own (a rule's parameters, the model) is logged and
the purchase decided as if the engine had said nothing, with the reason `engine_error`. A
database error is not caught: the surrounding transaction is aborted by then, and the
channel answers 91 (issuer unavailable).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError

from apps.cards.fraud import FraudDecision, anomaly, countries, rules
from apps.cards.fraud.models import CardKnownAttribute, FraudRule
from apps.core.raw_sql import array_literal, fetch_one
from apps.core.timezones import brasilia_now

logger = logging.getLogger(__name__)

MODEL_HISTORY_DAYS = 90  # the model was trained on 90 days of history
MODEL_VELOCITY = (60, True)  # the model's velocity feature: the last hour, declined too
HISTORY_STATES = ("approved", "captured", "expired")


_rules_cache: tuple[float, list[dict]] | None = None


def active_rules() -> list[dict]:
    """The enabled rules, read at most every CARDS_FRAUD_RULES_CACHE_SECONDS per process (a
    staff edit applies everywhere within that time; at once in the process that saved it)."""
    global _rules_cache
    ttl = settings.CARDS_FRAUD_RULES_CACHE_SECONDS
    clock = time.monotonic()
    if ttl > 0 and _rules_cache is not None and clock - _rules_cache[0] < ttl:
        return _rules_cache[1]
    fresh = list(
        FraudRule.objects.filter(enabled=True).values("code", "kind", "enabled", "weight", "params")
    )
    _rules_cache = (clock, fresh)
    return fresh


def warm_up() -> None:
    """Load the model file and the rules now (the authorization server calls it at start)."""
    anomaly.load()
    active_rules()


def rules_changed(**kwargs) -> None:
    """post_save/post_delete of FraudRule (registrations.py): forget the cached rules."""
    global _rules_cache
    _rules_cache = None


@dataclass(frozen=True)
class StatsQuery:
    """What to read about the card for these rules and this request: the history windows
    (days), the velocity windows (minutes, declined counted), the country and device to
    look up (empty: nothing to look up) and the impossible-travel window (hours, 0: none)."""

    days: tuple[int, ...]
    windows: tuple[tuple[int, bool], ...]
    country: str
    device: str
    travel_hours: int

    def params(self) -> tuple:
        """The arguments of athena_card_fraud_stats after the card and the clock (the
        arrays as literals: see apps.core.raw_sql.array_literal)."""
        return (
            array_literal(self.days),
            array_literal([m for m, _ in self.windows]),
            array_literal([d for _, d in self.windows]),
            self.country,
            self.device,
            self.travel_hours,
        )

    def read(self, values: Sequence) -> dict:
        """The function's answer (its ten columns, in order) by name."""
        n, med, p95, log_mean, log_std, velocity, known_country, known_device, *last = values
        stats: dict[str, Any] = {
            "known_country": known_country,
            "known_device": known_device,
            "last_country": last[0],
            "last_at": last[1],
        }
        for i, d in enumerate(self.days):
            stats.update({f"n_{d}": n[i], f"med_{d}": med[i], f"p95_{d}": p95[i]})
            if d == MODEL_HISTORY_DAYS:
                stats.update({"log_mean": log_mean[i], "log_std": log_std[i]})
        for (minutes, declined), count in zip(self.windows, velocity, strict=True):
            stats[f"v_{minutes}_{int(declined)}"] = count
        return stats


def stats_query(rule_list: list[dict], request: Any) -> StatsQuery:
    """What the rules and the model need to read (raises on a rule's broken parameters)."""
    windows = {MODEL_VELOCITY}
    days = {MODEL_HISTORY_DAYS}
    travel_hours = 0
    for rule in rule_list:
        p = rule["params"]
        if rule["kind"] == rules.VELOCITY:
            windows.add((int(p["minutes"]), bool(p["include_declined"])))
        elif rule["kind"] == rules.AMOUNT_HISTORY:
            days.add(int(p["days"]))
        elif rule["kind"] == rules.IMPOSSIBLE_TRAVEL:
            travel_hours = max(travel_hours, int(p["hours"]))
    country = countries.normalize(request.country)
    return StatsQuery(
        days=tuple(sorted(days)),
        windows=tuple(sorted(windows)),
        country="" if country == countries.HOME else country,
        device=request.device_id[:64] if not request.card_present else "",
        travel_hours=travel_hours if request.card_present else 0,
    )


_STATS_SQL = (
    "SELECT * FROM athena_card_fraud_stats(%s, %s, %s::integer[], %s::integer[], "
    "%s::boolean[], %s, %s, %s)"
)


def read_stats(card_id: int, query: StatsQuery, now: dt.datetime) -> dict:
    """Everything about the card in one call of athena_card_fraud_stats (migration cards
    0004): per history window the count, median, 95th percentile and the mean and spread
    of ln(amount); per velocity window the count; whether the country and the device are
    known for the card; the last card-present purchase (impossible travel). The
    authorization reads the same inside its first call (`athena_card_auth_load`)."""
    return query.read(fetch_one(_STATS_SQL, (card_id, now, *query.params())))


@dataclass(frozen=True)
class Plan:
    """The rules in force and what they need to read; `query` None when a rule's
    parameters are broken (the engine then fails open)."""

    rules: list[dict]
    query: StatsQuery | None


def plan(request: Any) -> Plan:
    """Before the authorization's first call: the rules and what to read with the card."""
    rule_list = active_rules()
    try:
        return Plan(rule_list, stats_query(rule_list, request))
    except Exception:  # a staff edit broke a rule's parameters: evaluate() fails open
        return Plan(rule_list, None)


def context(*, request: Any, now: dt.datetime, query: StatsQuery, stats: dict) -> rules.Context:
    """Everything the rules and the model need about this card."""
    country = countries.normalize(request.country)
    device = query.device
    last_country = stats.get("last_country") or ""
    local = brasilia_now(now)
    return rules.Context(
        now=now,
        amount_cents=request.amount_cents,
        mcc=request.mcc,
        card_present=request.card_present,
        country=country,
        device_id=device,
        hour_local=local.hour + local.minute / 60,
        history_count=stats[f"n_{MODEL_HISTORY_DAYS}"],
        history_median=stats[f"med_{MODEL_HISTORY_DAYS}"],
        history_p95=stats[f"p95_{MODEL_HISTORY_DAYS}"],
        log_mean=stats["log_mean"],
        log_std=stats["log_std"],
        history_by_days={
            d: (stats[f"n_{d}"], stats[f"med_{d}"], stats[f"p95_{d}"]) for d in query.days
        },
        velocity={(m, dcl): stats[f"v_{m}_{int(dcl)}"] for m, dcl in query.windows},
        device_known=not device or bool(stats.get("known_device")),
        country_known=country == countries.HOME or bool(stats.get("known_country")),
        last_present_country=countries.normalize(last_country) if last_country else "",
        last_present_at=stats.get("last_at"),
    )


_model_missing_logged = False


def model_score(ctx: rules.Context, rule_list: list[dict]) -> tuple[float | None, str]:
    """The anomaly percentile (None without a model file) and the model's version."""
    global _model_missing_logged
    model = anomaly.load()
    if model is None:
        if not _model_missing_logged:
            logger.warning("card fraud model %s missing: rules only", settings.CARDS_FRAUD_MODEL)
            _model_missing_logged = True
        return None, ""
    row = anomaly.features(ctx, mcc_risk=rules.mcc_weight(ctx.mcc, rule_list))
    return model.score(row), model.version


def decide(score: float) -> str:
    if score >= settings.CARDS_FRAUD_DECLINE_THRESHOLD:
        return FraudDecision.DECLINE
    if score >= settings.CARDS_FRAUD_REVIEW_THRESHOLD:
        return FraudDecision.REVIEW
    return FraudDecision.APPROVE


def evaluate(
    *, card, request, now, plan: Plan | None = None, stats: Sequence | None = None
) -> FraudDecision:
    """The engine's decision on one authorization (see the module). `plan` and `stats`
    come from the authorization's first call when it read the card's stats with it;
    without them the engine reads them itself."""
    try:
        rule_list = plan.rules if plan is not None else active_rules()
        query = plan.query if plan is not None else stats_query(rule_list, request)
        if query is None:
            raise ValueError("a fraud rule has broken parameters")
        found = query.read(stats) if stats is not None else read_stats(card.pk, query, now)
        ctx = context(request=request, now=now, query=query, stats=found)
        uses_model = any(r["kind"] == rules.ANOMALY_MODEL for r in rule_list)
        percentile, version = model_score(ctx, rule_list) if uses_model else (None, "")
        score, reasons = rules.evaluate(ctx, rule_list, anomaly=percentile)
        for reason in reasons:
            if reason["code"] == rules.ANOMALY_MODEL:
                reason["params"]["version"] = version
    except DatabaseError:
        raise  # the transaction is broken: authorize() must not go on (its caller answers 91)
    except Exception:  # fail open: a fault of the engine's own must not stop card payments
        logger.exception("card fraud engine failed; deciding without it")
        return FraudDecision(score=0.0, action=FraudDecision.APPROVE, reasons=[_ERROR])
    action = decide(score)
    if action == FraudDecision.APPROVE:
        _learn(card, ctx)
    return FraudDecision(score=score, action=action, reasons=reasons)


_ERROR = {"code": "engine_error", "rule": "", "points": 0, "params": {}}


def _learn(card: Any, ctx: rules.Context) -> None:
    """A purchase approved without doubt: its device and country are now known."""
    new = []
    if not ctx.country_known:
        new.append((CardKnownAttribute.Kind.COUNTRY, ctx.country))
    if not ctx.device_known:
        new.append((CardKnownAttribute.Kind.DEVICE, ctx.device_id))
    if new:
        remember(card=card, items=new, source=CardKnownAttribute.Source.SEEN)


def remember(*, card: Any, items: list[tuple[str, str]], source: str) -> None:
    CardKnownAttribute.objects.bulk_create(
        [CardKnownAttribute(card_id=card.pk, kind=k, value=v, source=source) for k, v in items],
        ignore_conflicts=True,
    )
