"""Privacy's extension points: each app registers its part of a data subject's export and
erasure, and the app whose automated decisions a person reviews (apps.privacy.registry)."""

from __future__ import annotations

import pytest

from apps.privacy import registry
from apps.privacy.selectors import customer_data_export
from apps.privacy.services import erasure_blockers
from tests.factories.customers import person

pytestmark = pytest.mark.django_db


def test_every_app_registered_its_section_in_the_export_order():
    names = [section.name for section in registry.sections()]
    assert names == ["customer", "accounts", "postings", "pix", "wire", "cards", "kyc", "loans"]
    assert {s.name for s in registry.decision_sources()} == {"kyc", "loans"}


def test_a_new_app_plugs_into_the_export_and_the_erasure_blockers(monkeypatch):
    customer = person("Maria Souza Lima")
    monkeypatch.setitem(
        registry._sections,
        "loans",
        registry.Section(
            "loans",
            60,
            export=lambda c, ids: {"contracts": [c.pk]},
            blockers=lambda c, ids: ["A loan is still being paid."],
        ),
    )
    data = customer_data_export(customer)
    assert data["loans"] == {"contracts": [customer.pk]}
    keys = list(data)
    assert keys.index("kyc") < keys.index("loans") < keys.index("audit_events")
    assert erasure_blockers(customer) == ["A loan is still being paid."]
