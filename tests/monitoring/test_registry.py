"""The compliance queue's sources are registered by the apps that own the rows
(apps.monitoring.registry): monitoring imports none of them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from apps.monitoring import registry
from apps.monitoring.selectors import compliance_queue

pytestmark = pytest.mark.django_db


def test_each_app_registered_its_source():
    assert list(registry.sources()) == ["alert", "card_fraud", "kyc", "med", "screening"]
    with translation.override("en"):
        labels = [str(label) for label in registry.source_labels().values()]
    assert labels == [
        "monitoring alert",
        "card purchase under review",
        "KYC review",
        "MED case",
        "screening hit",
    ]


def test_a_new_source_appears_in_the_queue(monkeypatch):
    now = timezone.now()
    item = registry.QueueItem(
        type="boleto",
        pk=1,
        title="Boleto fraud report",
        customer="Maria",
        state="open",
        risk=None,
        created_at=now,
        due_at=now + timedelta(days=1),
        url="",
    )
    monkeypatch.setitem(registry._sources, "boleto", lambda: [item])
    monkeypatch.setitem(registry._labels, "boleto", "boleto case")
    assert item in compliance_queue()
    assert compliance_queue(types=["boleto"]) == [item]
    assert item.type_label == "boleto case"
