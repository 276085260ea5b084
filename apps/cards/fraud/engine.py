"""PLACEHOLDER until the fraud helper lands its engine (rules + anomaly model)."""

from __future__ import annotations

from apps.cards.fraud import FraudDecision


def evaluate(*, card, request, now) -> FraudDecision:
    return FraudDecision(score=0.0, action=FraudDecision.APPROVE, reasons=[])


def open_review(*, authorization, decision) -> None:
    return None
