"""The fraud engine the authorization path asks inline: `evaluate(...)` -> `FraudDecision`
(score 0..1, the reasons, and the action: approve, review (approve and open an alert in the
compliance queue) or decline (59)). The rules and the anomaly model live in `engine.py`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FraudDecision:
    score: float
    action: str  # "approve" | "review" | "decline"
    reasons: list[dict] = field(default_factory=list)  # {"code", "rule", "points", "params"}

    APPROVE = "approve"
    REVIEW = "review"
    DECLINE = "decline"
