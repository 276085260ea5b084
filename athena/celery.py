"""The Celery app. Beat schedules live here, in code."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "athena.settings")

app = Celery("athena")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "drain-outbox": {"task": "apps.core.tasks.drain_outbox_task", "schedule": 2.0},
    "purge-idempotency-records": {
        "task": "apps.core.tasks.purge_idempotency_records_task",
        "schedule": 3600.0,
    },
}
