"""Fraud tests: the default rules present (as after a migrate), the queue source
registered, and a way to keep only some rules switched on."""

from __future__ import annotations

import pytest

from apps.cards.fraud import engine, registrations
from apps.cards.fraud.models import FraudRule


@pytest.fixture(autouse=True)
def _fraud_rules(db):
    registrations.rules_ensure()
    registrations.register()
    engine.rules_changed()  # no rules cached by an earlier test


@pytest.fixture
def only_rules():
    """only_rules("velocity_10m", ...): every other rule switched off."""

    def switch(*codes: str) -> None:
        FraudRule.objects.exclude(code__in=codes).update(enabled=False)
        FraudRule.objects.filter(code__in=codes).update(enabled=True)

    return switch
