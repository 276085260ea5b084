"""API throttles: per user and per client IP, counted in the shared cache."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.core.throttling import PerIPThrottle, PerUserThrottle
from tests.factories.users import UserFactory


@pytest.fixture
def tight_rates(monkeypatch):
    cache.clear()
    rates = {"user": "3/min", "ip": "5/min"}
    monkeypatch.setattr(PerUserThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(PerIPThrottle, "THROTTLE_RATES", rates)
    yield
    cache.clear()


def get_me(user, ip):
    client = APIClient(REMOTE_ADDR=ip)
    client.force_authenticate(user)
    return client.get("/api/v1/me")


@pytest.mark.django_db
def test_per_user_limit_is_a_429_problem(tight_rates):
    user = UserFactory()
    codes = [get_me(user, "10.0.0.1").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = get_me(user, "10.0.0.2")  # another address does not reset the user's count
    assert response.status_code == 429
    body = response.json()
    assert body["status"] == 429 and body["type"].endswith("throttled")
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_per_ip_limit_spans_users(tight_rates):
    codes = [get_me(UserFactory(), "10.0.0.9").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    assert get_me(UserFactory(), "10.0.0.10").status_code == 200
