"""apps.core.transactions: writes kept despite the rollback of the work that asked for
them (the evidence of a refused payment), and calls to the outside after commit."""

from __future__ import annotations

import logging

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.models import OutboxMessage
from apps.core.transactions import keep_despite_rollback, kept_writes

pytestmark = pytest.mark.django_db


class Refused(Exception):
    pass


def note(topic: str, **fields) -> None:
    OutboxMessage.objects.create(topic=topic, payload={}, available_at=timezone.now(), **fields)


def topics() -> list[str]:
    return sorted(OutboxMessage.objects.values_list("topic", flat=True))


def test_a_kept_write_outlives_the_rollback_of_the_work_inside_the_block():
    with pytest.raises(Refused), kept_writes(), transaction.atomic():
        note("work")
        keep_despite_rollback(lambda: note("evidence"))
        raise Refused

    assert topics() == ["evidence"]


def test_inside_an_enclosing_transaction_the_kept_write_commits_with_it():
    """The API's shape: outer transaction, kept_writes, savepoint of the refused work."""
    with transaction.atomic():
        note("idempotency record")
        with kept_writes():
            try:
                with transaction.atomic():
                    note("work")
                    keep_despite_rollback(lambda: note("evidence"))
                    raise Refused
            except Refused:
                pass
    assert topics() == ["evidence", "idempotency record"]


def test_kept_writes_of_successful_work_run_too_and_once():
    with kept_writes(), transaction.atomic():
        note("work")
        keep_despite_rollback(lambda: note("evidence"))
        assert topics() == ["work"]  # not yet: when the block ends
    assert topics() == ["evidence", "work"]


def test_outside_a_block_the_write_runs_at_once_in_the_open_transaction():
    keep_despite_rollback(lambda: note("now"))
    assert topics() == ["now"]
    with pytest.raises(Refused), transaction.atomic():
        keep_despite_rollback(lambda: note("rolled back with its caller"))
        assert "rolled back with its caller" in topics()
        raise Refused
    assert topics() == ["now"]


def test_a_failing_kept_write_is_logged_and_hides_neither_the_outcome_nor_the_others(caplog):
    def duplicate():
        note("dup", pk=OutboxMessage.objects.get().pk)

    logs = caplog.at_level(logging.ERROR, logger="apps.core.transactions")
    with logs, pytest.raises(Refused), kept_writes():
        note("first")
        keep_despite_rollback(duplicate)  # IntegrityError, in its own savepoint
        keep_despite_rollback(lambda: note("second"))
        raise Refused
    assert topics() == ["first", "second"]
    assert "a kept write failed" in caplog.text
    assert IntegrityError.__name__ in caplog.text


def test_a_broken_enclosing_transaction_loses_the_write_with_a_log_line(caplog):
    with caplog.at_level(logging.ERROR, logger="apps.core.transactions"), transaction.atomic():
        with kept_writes():
            keep_despite_rollback(lambda: note("evidence"))
            transaction.set_rollback(True)  # what a database error inside leaves
        transaction.set_rollback(False)
    assert topics() == []
    assert "a kept write was lost" in caplog.text
