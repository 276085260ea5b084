"""Offline training of the anomaly model on synthetic card history (no customer data), and
its evaluation on a labelled synthetic hold-out with injected fraud patterns.

Everything is seeded: the same seed gives the same history, the same forest and the same
metrics (`manage.py train_card_fraud_model` twice writes identical JSON).

The history: cards with a spending profile each (typical amount and spread, purchases a day,
share of card-present, a few usual MCCs, one or two phones, daytime hours; some travel
abroad for a few days, some buy once in a while far above their habit, some change phones).
The hold-out: other cards' last 30 days, labelled 0, plus fraud injected on half of them:
card testing (a burst of small online purchases from a new device), account takeover (a
large online purchase at night from a new device, often a new country), cash-out at a risky
MCC, a cloned card (card present abroad hours after a purchase at home) and a subtle one
(a large online purchase from the card's own phone, which only the amount betrays).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from apps.cards.fraud import anomaly, rules
from apps.cards.fraud.rules import Context

SEED = 14
VERSION = "v1"
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BRASILIA = dt.timezone(dt.timedelta(hours=-3))

NORMAL_MCCS = (
    "5411", "5812", "5814", "5541", "5912", "5311", "5651", "4121", "5732", "5999",
    "7832", "5499", "5977", "4111", "5816", "7011", "4511",
)  # fmt: skip
RISKY_MCCS = ("7995", "6051", "4829")
TRIP_COUNTRIES = ("032", "858", "840", "620", "152", "250", "724")
FRAUD_COUNTRIES = ("840", "826", "566", "156", "643", "484")
PATTERNS = ("card_testing", "account_takeover", "risky_mcc", "cloned_card", "known_device_big")
VELOCITY_WINDOWS = ((10, True), (60, True), (1440, False), (1440, True))


@dataclass
class Tx:
    at: dt.datetime
    amount: int
    mcc: str
    card_present: bool
    country: str
    device: str
    label: int = 0
    pattern: str = ""


def _quantile(ordered: list[float], q: float) -> float:
    """PostgreSQL's percentile_cont (linear interpolation) over a sorted list."""
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass
class CardState:
    history: deque = field(default_factory=deque)  # (at, amount)
    ordered: list = field(default_factory=list)  # the history's amounts, sorted
    log_sum: float = 0.0
    log_sq: float = 0.0
    recent: deque = field(default_factory=deque)  # times of the last day's authorizations
    devices: set = field(default_factory=set)
    countries: set = field(default_factory=lambda: {"076"})
    last_present: tuple[str, dt.datetime] | None = None

    def context(self, tx: Tx, *, history_days: int = 90) -> Context:
        while self.history and self.history[0][0] < tx.at - dt.timedelta(days=history_days):
            _, amount = self.history.popleft()
            del self.ordered[bisect.bisect_left(self.ordered, amount)]
            self.log_sum -= math.log(amount)
            self.log_sq -= math.log(amount) ** 2
        while self.recent and self.recent[0] < tx.at - dt.timedelta(days=1):
            self.recent.popleft()
        n = len(self.ordered)
        times = list(self.recent)
        velocity = {}
        for minutes, declined in VELOCITY_WINDOWS:
            since = tx.at - dt.timedelta(minutes=minutes)
            velocity[(minutes, declined)] = len(times) - bisect.bisect_left(times, since)
        mean = self.log_sum / n if n else None
        std = math.sqrt(max(self.log_sq / n - mean * mean, 0.0)) if n else None
        local = tx.at.astimezone(BRASILIA)
        return Context(
            now=tx.at,
            amount_cents=tx.amount,
            mcc=tx.mcc,
            card_present=tx.card_present,
            country=tx.country,
            device_id="" if tx.card_present else tx.device,
            hour_local=local.hour + local.minute / 60,
            history_count=n,
            history_median=_quantile(self.ordered, 0.5) if n else None,
            history_p95=_quantile(self.ordered, 0.95) if n else None,
            log_mean=mean,
            log_std=std,
            velocity=velocity,
            device_known=tx.card_present or tx.device in self.devices,
            country_known=tx.country in self.countries,
            last_present_country=self.last_present[0] if self.last_present else "",
            last_present_at=self.last_present[1] if self.last_present else None,
        )

    def learn(self, tx: Tx) -> None:
        self.history.append((tx.at, tx.amount))
        bisect.insort(self.ordered, tx.amount)
        self.log_sum += math.log(tx.amount)
        self.log_sq += math.log(tx.amount) ** 2
        self.recent.append(tx.at)
        self.countries.add(tx.country)
        if not tx.card_present and tx.device:
            self.devices.add(tx.device)
        if tx.card_present:
            self.last_present = (tx.country, tx.at)


def _hour(rng: np.random.Generator) -> float:
    u = rng.random()
    if u < 0.5:
        h = rng.normal(12.5, 2.5)
    elif u < 0.92:
        h = rng.normal(19.5, 2.0)
    else:
        h = rng.uniform(0, 24)
    return float(min(max(h, 0.0), 23.99))


def _card_history(rng: np.random.Generator, card: int, days: int) -> tuple[list[Tx], dict]:
    mu = rng.normal(math.log(8000), 0.7)
    sigma = rng.uniform(0.35, 0.9)
    rate = rng.uniform(0.4, 2.5)
    cp_share = rng.uniform(0.3, 0.9)
    devices = [f"d{card}-{k}" for k in range(int(rng.integers(1, 3)))]
    mccs = list(rng.choice(NORMAL_MCCS, size=6, replace=False))
    mcc_p = rng.dirichlet(np.ones(6) * 1.5)
    trip = None
    if rng.random() < 0.12:
        start = int(rng.integers(5, days - 10))
        trip = (start, start + int(rng.integers(3, 10)), str(rng.choice(TRIP_COUNTRIES)))
    txs: list[Tx] = []
    for day in range(days):
        for _ in range(int(rng.poisson(rate))):
            local = dt.datetime(2026, 1, 1, tzinfo=BRASILIA) + dt.timedelta(
                days=day, hours=_hour(rng)
            )
            present = bool(rng.random() < cp_share)
            country = "076"
            if trip and trip[0] <= day < trip[1] and present:
                country = trip[2]
            amount = math.exp(rng.normal(mu, sigma))
            if rng.random() < 0.02:
                amount *= rng.uniform(3, 8)  # the once-in-a-while big purchase
            mcc = str(rng.choice(mccs, p=mcc_p))
            if rng.random() < 0.01:
                mcc = str(rng.choice(RISKY_MCCS))
            device = ""
            if not present:
                if rng.random() < 0.03:
                    devices.append(f"d{card}-{len(devices)}")  # a new phone
                device = str(rng.choice(devices))
            txs.append(
                Tx(local.astimezone(dt.UTC), max(int(amount), 100), mcc, present, country, device)
            )
            if rng.random() < 0.02:  # a second purchase minutes later (a tip, a forgotten item)
                extra = txs[-1]
                txs.append(
                    Tx(
                        extra.at + dt.timedelta(minutes=float(rng.uniform(1, 9))),
                        max(int(extra.amount * rng.uniform(0.1, 0.5)), 100),
                        extra.mcc,
                        extra.card_present,
                        extra.country,
                        extra.device,
                    )
                )
    txs.sort(key=lambda t: t.at)
    profile = {"mu": mu, "devices": devices, "mccs": mccs}
    return txs, profile


def _fraud(rng: np.random.Generator, card: int, base: Tx, profile: dict, pattern: str) -> list[Tx]:
    typical = math.exp(profile["mu"])
    at = base.at + dt.timedelta(hours=float(rng.uniform(0.5, 4)))
    new_device = f"x{card}-{int(rng.integers(10**6))}"
    if pattern == "card_testing":
        country = str(rng.choice(FRAUD_COUNTRIES)) if rng.random() < 0.3 else "076"
        out = []
        for _ in range(int(rng.integers(6, 9))):
            at += dt.timedelta(seconds=float(rng.uniform(20, 90)))
            amount = int(rng.uniform(100, 1500))
            out.append(
                Tx(at, amount, str(rng.choice(("5816", "5999"))), False, country, new_device)
            )
        return out
    if pattern == "account_takeover":
        night = at.astimezone(BRASILIA).replace(hour=int(rng.integers(1, 5)))
        country = str(rng.choice(FRAUD_COUNTRIES)) if rng.random() < 0.5 else "076"
        amount = int(typical * rng.uniform(8, 30))
        mcc = str(rng.choice(("5732", "5944", "5311")))
        return [Tx(night.astimezone(dt.UTC), amount, mcc, False, country, new_device)]
    if pattern == "risky_mcc":
        present = bool(rng.random() < 0.3)
        device = "" if present else str(rng.choice(profile["devices"]))
        amount = int(typical * rng.uniform(4, 12))
        return [Tx(at, amount, str(rng.choice(RISKY_MCCS)), present, "076", device)]
    if pattern == "cloned_card":
        amount = int(typical * rng.uniform(1, 6))
        mcc = str(rng.choice(("5944", "5732", "5411", "5812")))
        return [Tx(at, amount, mcc, True, str(rng.choice(("840", "620", "156", "484"))), "")]
    # known_device_big: the card's own phone, at home, in daytime: only the amount is odd
    amount = int(typical * rng.uniform(3, 6))
    device = str(rng.choice(profile["devices"]))
    return [Tx(at, amount, str(rng.choice(profile["mccs"])), False, "076", device)]


def _rule_dicts() -> list[dict]:
    return [
        {**r, "enabled": True, "params": rules.validate_params(r["kind"], r["params"])}
        for r in rules.DEFAULT_RULES
    ]


def dataset(*, seed: int, cards: int, days: int, holdout: bool) -> dict[str, Any]:
    """Feature rows (and contexts) of synthetic cards; the hold-out has injected fraud."""
    rng = np.random.default_rng(seed)
    rule_list = _rule_dicts()
    rows, labels, patterns, contexts = [], [], [], []
    for card in range(cards):
        txs, profile = _card_history(rng, card, days)
        frauds: dict[int, list[Tx]] = {}
        if holdout and rng.random() < 0.5:
            present_late = [
                i
                for i, t in enumerate(txs)
                if t.at >= EPOCH + dt.timedelta(days=days - 30) and t.card_present
            ]
            late = [i for i, t in enumerate(txs) if t.at >= EPOCH + dt.timedelta(days=days - 30)]
            pattern = str(rng.choice(PATTERNS))
            pool = present_late if pattern == "cloned_card" else late
            if pool:
                i = int(rng.choice(pool))
                frauds[i] = [
                    Tx(t.at, t.amount, t.mcc, t.card_present, t.country, t.device, 1, pattern)
                    for t in _fraud(rng, card, txs[i], profile, pattern)
                ]
        state = CardState()
        for i, tx in enumerate(txs):
            collect = not holdout or tx.at >= EPOCH + dt.timedelta(days=days - 30)
            ctx = state.context(tx)
            if collect:
                rows.append(anomaly.features(ctx, mcc_risk=rules.mcc_weight(tx.mcc, rule_list)))
                labels.append(0)
                patterns.append("")
                contexts.append(ctx)
            state.learn(tx)
            for fraud in frauds.get(i, []):
                ctx = state.context(fraud)
                rows.append(anomaly.features(ctx, mcc_risk=rules.mcc_weight(fraud.mcc, rule_list)))
                labels.append(1)
                patterns.append(fraud.pattern)
                contexts.append(ctx)
                state.recent.append(fraud.at)  # the burst counts in its own velocity
    return {
        "X": np.array(rows, dtype=float),
        "y": np.array(labels),
        "patterns": patterns,
        "contexts": contexts,
    }


def train(
    *, seed: int = SEED, cards: int = 400, days: int = 120, thresholds: tuple[float, float]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """-> (bundle to dump with joblib, metrics). thresholds: (review, decline)."""
    import sklearn
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import roc_auc_score

    train_set = dataset(seed=seed, cards=cards, days=days, holdout=False)
    forest = IsolationForest(
        n_estimators=100, max_samples=256, max_features=1.0, random_state=seed
    ).fit(train_set["X"])
    compiled = anomaly.compile_forest(forest)
    train_raw = anomaly.raw_scores(compiled, train_set["X"])
    check = float(np.max(np.abs(train_raw + forest.score_samples(train_set["X"]))))
    if check > 1e-9:
        raise RuntimeError(f"the compiled forest disagrees with scikit-learn by {check}")
    bundle = {
        "version": VERSION,
        "features": anomaly.FEATURES,
        "compiled": compiled,
        "quantiles": np.quantile(train_raw, np.linspace(0, 1, 1001)),
        "estimator": forest,
        "sklearn_version": sklearn.__version__,
        "seed": seed,
    }

    hold = dataset(seed=seed + 1, cards=cards // 2, days=days, holdout=True)
    raw = anomaly.raw_scores(compiled, hold["X"])
    pct = np.array([anomaly.percentile(bundle, float(r)) for r in raw])
    rule_list = _rule_dicts()
    combined = np.array(
        [
            rules.evaluate(ctx, rule_list, anomaly=p)[0]
            for ctx, p in zip(hold["contexts"], pct, strict=True)
        ]
    )
    rules_only = np.array([rules.evaluate(ctx, rule_list)[0] for ctx in hold["contexts"]])
    review, decline = thresholds
    y = hold["y"]
    legit, fraud = y == 0, y == 1

    def rate(mask: np.ndarray, values: np.ndarray, low: float) -> float:
        return round(float(np.mean(values[mask] >= low)), 4) if mask.any() else 0.0

    per_pattern = {}
    patterns = np.array(hold["patterns"])
    for name in PATTERNS:
        mask = patterns == name
        per_pattern[name] = {
            "rows": int(mask.sum()),
            "flagged": rate(mask, combined, review),
            "declined": rate(mask, combined, decline),
        }
    metrics = {
        "version": VERSION,
        "seed": seed,
        "sklearn_version": sklearn.__version__,
        "model": {
            "algorithm": "IsolationForest",
            "n_estimators": 100,
            "max_samples": 256,
            "features": list(anomaly.FEATURES),
        },
        "training": {"cards": cards, "days": days, "rows": len(train_set["y"])},
        "holdout": {
            "cards": cards // 2,
            "rows": len(y),
            "legit": int(legit.sum()),
            "fraud": int(fraud.sum()),
        },
        "auc": {
            "model": round(float(roc_auc_score(y, raw)), 4),
            "rules": round(float(roc_auc_score(y, rules_only)), 4),
            "rules_and_model": round(float(roc_auc_score(y, combined)), 4),
        },
        "thresholds": {"review": review, "decline": decline},
        "legit": {
            "review_rate": round(
                float(np.mean((combined[legit] >= review) & (combined[legit] < decline))), 4
            ),
            "decline_rate": rate(legit, combined, decline),
        },
        "fraud": {
            "flagged_rate": rate(fraud, combined, review),
            "decline_rate": rate(fraud, combined, decline),
        },
        "patterns": per_pattern,
    }
    return bundle, metrics
