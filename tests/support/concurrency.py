"""Running calls at the same moment on threads of their own (each its own database
connection), for the tests that prove a race is handled by the database, not by luck."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_at_once(*calls: Callable[[], object], timeout: float = 60) -> list[BaseException]:
    """Start every call on its own thread, release them together, wait for all; returns
    what they raised (each thread closes its connection when done)."""
    barrier = threading.Barrier(len(calls))
    errors: list[BaseException] = []

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            call()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return errors
