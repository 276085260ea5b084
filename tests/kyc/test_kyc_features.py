"""Feature gating by KYC level (apps.kyc.features) and its place in the approval flow."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from apps.kyc import services
from apps.kyc.features import FEATURE_LEVELS, FeatureLocked, has_feature, require_level
from tests.support.kyc import BIRTH, HOLDER, holder


@pytest.fixture(autouse=True, scope="module")
def _english():
    """Messages are asserted in English; the default language is pt-BR."""
    with translation.override("en"):
        yield


class Someone:
    def __init__(self, level: int) -> None:
        self.kyc_level = level


def test_the_table_of_issue_5():
    assert FEATURE_LEVELS == {"ted": 1, "cards": 1, "loans": 2}


@given(st.integers(min_value=0, max_value=3), st.sampled_from(sorted(FEATURE_LEVELS)))
def test_require_level_agrees_with_the_table(level, feature):
    customer = Someone(level)
    if level >= FEATURE_LEVELS[feature]:
        require_level(customer, feature)
        assert has_feature(customer, feature)
    else:
        with pytest.raises(FeatureLocked) as caught:
            require_level(customer, feature)
        assert caught.value.status_code == 403 and caught.value.code == "kyc_level_required"
        assert f"level {FEATURE_LEVELS[feature]}" in caught.value.message
        assert not has_feature(customer, feature)


def test_the_message_names_the_level_needed_and_the_current_one():
    with pytest.raises(FeatureLocked) as caught:
        require_level(Someone(1), "loans")
    assert caught.value.message == (
        "loans requires identity verification level 2; your level is 1. "
        "Complete the verification to KYC level 2 to unlock it."
    )


def test_unknown_features_are_a_programming_error():
    with pytest.raises(ValueError):
        require_level(Someone(3), "crypto")


@pytest.mark.django_db
def test_approval_unlocks_ted_and_cards():
    customer = holder()
    with pytest.raises(FeatureLocked):
        require_level(customer, "ted")
    request = services.kyc_request_create(
        customer=customer, target_level=1, declared_name=HOLDER, birth_date=BIRTH
    )
    services.kyc_request_submit(request=request)
    customer.refresh_from_db()
    require_level(customer, "ted")
    require_level(customer, "cards")
    with pytest.raises(FeatureLocked):
        require_level(customer, "loans")
