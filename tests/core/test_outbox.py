from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.core import outbox
from apps.core.models import OutboxMessage


@pytest.fixture
def recorder():
    seen = []
    handler = outbox.outbox_handler("test.recorded")(lambda payload, message: seen.append(payload))
    yield seen
    outbox._handlers["test.recorded"].remove(handler)


@pytest.mark.django_db
def test_drain_delivers_committed_messages_once(recorder, settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    outbox.publish(topic="test.recorded", payload={"n": 1})
    outbox.publish(topic="test.recorded", payload={"n": 2})
    assert outbox.drain_all() == 2
    assert recorder == [{"n": 1}, {"n": 2}]
    assert outbox.drain_all() == 0
    assert recorder == [{"n": 1}, {"n": 2}]


@pytest.mark.django_db
def test_rolled_back_publish_leaves_nothing(recorder, settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.publish(topic="test.recorded", payload={"n": 1})
        raise RuntimeError("roll back")
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_failing_handler_is_retried_later_with_backoff(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    calls = []

    def flaky(payload, message):
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("webhook down")

    outbox.outbox_handler("test.flaky")(flaky)
    try:
        outbox.publish(topic="test.flaky", payload={})
        assert outbox.drain_all() == 0
        message = OutboxMessage.objects.get()
        assert message.attempts == 1
        assert "webhook down" in message.last_error
        assert message.available_at > timezone.now()
        OutboxMessage.objects.update(available_at=timezone.now() - timedelta(seconds=1))
        assert outbox.drain_all() == 1
        assert OutboxMessage.objects.get().processed_at is not None
    finally:
        outbox._handlers["test.flaky"].remove(flaky)


@pytest.mark.django_db(transaction=True)
def test_commit_kicks_a_drain_task(recorder, settings):
    """With eager Celery in tests, the on-commit kick drains at once."""
    settings.OUTBOX_KICK_ON_COMMIT = True
    with transaction.atomic():
        outbox.publish(topic="test.recorded", payload={"n": 7})
        assert recorder == []  # nothing runs before commit
    assert recorder == [{"n": 7}]
