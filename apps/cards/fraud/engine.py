"""The fraud engine the authorization path asks inline (apps.cards.services.authorize,
inside its transaction, the card's row locked).

`evaluate()` reads the rules (one small table, cached a few seconds per process) and then,
in one SQL statement, the card's last days of authorizations as aggregates (history count,
median and 95th percentile, log-amount mean and spread, counts per velocity window),
whether the device and the country are known for the card and, for a card-present
purchase, the last card-present one (impossible travel). It scores the anomaly model
inline (the forest walked as arrays, a tenth of a millisecond), combines rules and model
(`rules.evaluate`) and decides by the thresholds in settings: DECLINE (59), REVIEW
(approve and open an item in the compliance queue: `open_review()`), APPROVE.

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
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection

from apps.cards.fraud import FraudDecision, anomaly, countries, rules
from apps.cards.fraud.models import CardKnownAttribute, FraudReview, FraudRule
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


def rules_changed(**kwargs) -> None:
    """post_save/post_delete of FraudRule (registrations.py): forget the cached rules."""
    global _rules_cache
    _rules_cache = None


def _card_stats(
    card_id: int,
    *,
    now: dt.datetime,
    days: list[int],
    windows: list,
    country: str,
    device: str,
    travel_hours: int,
) -> dict:
    """Everything about the card in one statement: a pass over its recent authorizations
    (the card_auth_recent index) giving, per history window, the count, median and 95th
    percentile (and, for the model's window, the mean and spread of ln(amount)), per
    velocity window the count; whether the country and the device are known for the card;
    and the last card-present purchase (impossible travel). Written as SQL: the ORM spent
    more time compiling a dozen filtered aggregates than PostgreSQL spent running them."""
    from apps.cards.models import Authorization

    auth = Authorization._meta.db_table
    review = FraudReview._meta.db_table
    known = CardKnownAttribute._meta.db_table
    history = (
        "a.state IN ('approved', 'captured', 'expired') AND (r.id IS NULL "
        "OR a.customer_confirmed OR r.state = 'legitimate') AND a.created_at >= %s"
    )
    columns, params, names = [], [], []
    for d in days:
        since = now - dt.timedelta(days=d)
        columns += [
            f"count(*) FILTER (WHERE {history})",
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY a.amount) FILTER (WHERE {history})",
            f"percentile_cont(0.95) WITHIN GROUP (ORDER BY a.amount) FILTER (WHERE {history})",
        ]
        params += [since, since, since]
        names += [f"n_{d}", f"med_{d}", f"p95_{d}"]
        if d == MODEL_HISTORY_DAYS:
            columns += [
                f"avg(ln(a.amount)) FILTER (WHERE {history})",
                f"stddev_pop(ln(a.amount)) FILTER (WHERE {history})",
            ]
            params += [since, since]
            names += ["log_mean", "log_std"]
    for minutes, declined in windows:
        condition = "a.created_at >= %s" + ("" if declined else " AND a.state <> 'declined'")
        columns.append(f"count(*) FILTER (WHERE {condition})")
        params.append(now - dt.timedelta(minutes=minutes))
        names.append(f"v_{minutes}_{int(declined)}")
    for kind, value in (("country", country), ("device", device)):
        if value:
            columns.append(
                f"EXISTS (SELECT 1 FROM {known} k WHERE k.card_id = %s AND k.kind = %s "  # nosec B608
                "AND k.value = %s)"
            )
            params += [card_id, kind, value]
            names.append(f"known_{kind}")
    if travel_hours:
        last = (
            f"FROM {auth} p WHERE p.card_id = %s AND p.card_present "
            "AND p.reversal_of_id IS NULL AND p.mti NOT LIKE '04%%' "
            "AND p.state IN ('approved', 'captured', 'expired') "
            "AND p.created_at >= %s AND p.created_at <= %s ORDER BY p.created_at DESC LIMIT 1"
        )
        columns += [f"(SELECT p.country {last})", f"(SELECT p.created_at {last})"]
        since = now - dt.timedelta(hours=travel_hours)
        params += [card_id, since, now, card_id, since, now]
        names += ["last_country", "last_at"]
    oldest = now - dt.timedelta(days=max(days), minutes=max(m for m, _ in windows))
    # Only our own table names and the columns above are formatted in; values are params.
    sql = (
        f"SELECT {', '.join(columns)} FROM {auth} a "  # nosec B608
        f"LEFT JOIN {review} r ON r.authorization_id = a.id "
        "WHERE a.card_id = %s AND a.created_at >= %s AND a.reversal_of_id IS NULL "
        "AND a.mti NOT LIKE '04%%'"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, card_id, oldest])
        values = cursor.fetchone()
    return dict(zip(names, values, strict=True))


def context(*, card: Any, request: Any, now: dt.datetime, rule_list: list[dict]) -> rules.Context:
    """Everything the rules and the model need about this card, from the database."""
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
    device = request.device_id[:64] if not request.card_present else ""
    stats = _card_stats(
        card.pk,
        now=now,
        days=sorted(days),
        windows=sorted(windows),
        country="" if country == countries.HOME else country,
        device=device,
        travel_hours=travel_hours if request.card_present else 0,
    )
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
        history_by_days={d: (stats[f"n_{d}"], stats[f"med_{d}"], stats[f"p95_{d}"]) for d in days},
        velocity={(m, dcl): stats[f"v_{m}_{int(dcl)}"] for m, dcl in windows},
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


def evaluate(*, card, request, now) -> FraudDecision:
    """The engine's decision on one authorization (see the module)."""
    try:
        rule_list = active_rules()
        ctx = context(card=card, request=request, now=now, rule_list=rule_list)
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
        [CardKnownAttribute(card=card, kind=k, value=v, source=source) for k, v in items],
        ignore_conflicts=True,
    )


def open_review(*, authorization, decision) -> None:
    """An approved purchase the engine doubted: an item in the compliance queue."""
    from django.utils import timezone

    FraudReview.objects.get_or_create(
        authorization=authorization,
        defaults={
            "due_at": timezone.now() + dt.timedelta(hours=settings.CARDS_FRAUD_REVIEW_DUE_HOURS)
        },
    )
