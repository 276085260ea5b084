"""Shared fixtures. Tests run on PostgreSQL: the CI server, or the embedded one."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright + live_server


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_participant_directory():
    """The participant directory is cached per process for minutes (apps.wire.directory):
    a snapshot taken in one test (a test's own small list, a flushed table) must not answer
    the next test's look-ups."""
    from apps.wire.directory.selectors import forget

    forget()
    yield
    forget()


@pytest.fixture(autouse=True)
def _celery_eager_state():
    """Each test starts with Celery's process globals as a web process has them.

    Eager tasks run inside `denied_join_result()`, which saves and restores one process-wide
    flag; two threads running eager tasks at once (the concurrency tests) can restore it in the
    wrong order and leave it set, and every later `.apply().get()` in that process then raises
    "Never call result.get() within a task!". A test that turns eager mode off gets it back.
    """
    from celery.result import _set_task_join_will_block

    from athena.celery import app

    _set_task_join_will_block(False)
    eager = app.conf.task_always_eager
    yield
    app.conf.task_always_eager = eager
    _set_task_join_will_block(False)


@pytest.fixture
def rabbitmq_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("amqp"):
        pytest.skip("CELERY_BROKER_URL is not an AMQP broker (RabbitMQ not configured)")
    return url


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set (Redis not configured)")
    return url
