import threading
import uuid

import pytest
from django.db import connections
from rest_framework.test import APIClient

from apps.core.models import IdempotencyRecord, OutboxMessage
from tests.factories.users import UserFactory

pytestmark = pytest.mark.urls("tests.support.idempotency_urls")
URL = "/api/v1/test/echo"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_duplicates_have_one_effect_and_identical_responses(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    user = UserFactory()
    key = str(uuid.uuid4())
    results = []
    barrier = threading.Barrier(20)

    def fire():
        try:
            client = client_for(user)
            barrier.wait()
            response = client.post(URL, {"note": "pay"}, format="json", HTTP_IDEMPOTENCY_KEY=key)
            results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=fire) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 20
    assert {status for status, _ in results} == {201}
    bodies = {tuple(sorted(body.items())) for _, body in results}
    assert len(bodies) == 1, "every replay returns the first response"
    assert OutboxMessage.objects.filter(topic="test.effect").count() == 1
    assert IdempotencyRecord.objects.filter(key=key).count() == 1


@pytest.mark.django_db
def test_same_key_different_body_is_422(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    client = client_for(UserFactory())
    first = client.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    second = client.post(URL, {"note": "b"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert second.status_code == 422
    body = second.json()
    assert body["status"] == 422
    assert body["type"].endswith("idempotency_key_reused")
    assert body["violacoes"][0]["propriedade"] == "Idempotency-Key"
    assert OutboxMessage.objects.filter(topic="test.effect").count() == 1


@pytest.mark.django_db
def test_keys_are_scoped_per_caller(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    for user in (UserFactory(), UserFactory()):
        response = client_for(user).post(
            URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="shared"
        )
        assert response.status_code == 201
    assert OutboxMessage.objects.filter(topic="test.effect").count() == 2


@pytest.mark.django_db
def test_missing_or_malformed_key_is_400_and_changes_nothing():
    client = client_for(UserFactory())
    missing = client.post(URL, {"note": "a"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["violacoes"][0]["propriedade"] == "Idempotency-Key"
    bad = client.post(URL, {"note": "a"}, format="json", HTTP_IDEMPOTENCY_KEY="has space")
    assert bad.status_code == 400
    assert not OutboxMessage.objects.exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_client_error_is_stored_replayed_and_rolls_back_its_effects(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    client = client_for(UserFactory())
    first = client.post(URL, {"note": "refuse"}, format="json", HTTP_IDEMPOTENCY_KEY="k-err")
    second = client.post(URL, {"note": "refuse"}, format="json", HTTP_IDEMPOTENCY_KEY="k-err")
    assert first.status_code == second.status_code == 400
    assert second["Idempotent-Replayed"] == "true"
    assert first.json()["detail"] == second.json()["detail"] == "refused on purpose"
    assert not OutboxMessage.objects.filter(topic="test.refused").exists()


@pytest.mark.django_db
def test_invalid_body_is_a_field_error():
    client = client_for(UserFactory())
    response = client.post(URL, {"note": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-bad")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["violacoes"][0]["propriedade"] == "note"
