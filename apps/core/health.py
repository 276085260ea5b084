"""Readiness probes of the servers the process depends on.

Each probe runs in its own short-lived thread so that `/readyz` answers within
`HEALTH_CHECK_TIMEOUT` seconds (default 3) even when a server hangs instead of refusing:
a probe that has not finished by then is reported as failed ("timed out") and left to end
on its own connect timeout. A probe never raises; it reports `ok`, how long it took and a
short detail (which never carries a password).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from django.conf import settings

DEFAULT_TIMEOUT = 3.0


def check_timeout() -> float:
    return float(getattr(settings, "HEALTH_CHECK_TIMEOUT", DEFAULT_TIMEOUT))


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _timed(fn: Callable[[], str]) -> dict:
    started = time.perf_counter()
    try:
        detail = fn()
        ok = True
    except Exception as exc:  # a probe reports failures, it never raises
        detail = _failure(exc)
        ok = False
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1), "detail": detail}


def check_database() -> str:
    """A round trip on the default database (in a thread: its own connection, then closed)."""
    from django.db import connections

    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        major, minor = divmod(connection.pg_version, 10000)
        return f"PostgreSQL {major}.{minor}"
    finally:
        connections.close_all()


def check_cache() -> str:
    """Write, read back and delete a short-lived key on the default cache."""
    from django.core.cache import caches

    cache = caches["default"]
    try:
        key = f"readyz:{uuid.uuid4().hex}"
        cache.set(key, "1", 5)
        if cache.get(key) != "1":
            raise RuntimeError("cache did not return what was written")
        cache.delete(key)
        return type(cache).__name__
    finally:
        caches.close_all()


def _check_filesystem_broker(options: dict) -> None:
    """The kombu filesystem transport has no server: its folders are the broker.

    A missing folder is created (what the first message would need anyway); one that cannot
    be written to is a failure.
    """
    folders = [options.get("data_folder_in"), options.get("data_folder_out")]
    if options.get("store_processed"):
        folders.append(options.get("processed_folder"))
    for folder in filter(None, folders):
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(f"broker folder {path} is not writable")


def check_broker() -> str:
    """Open (and close) a connection to Celery's broker: one attempt, no retry sleep."""
    from athena.celery import app

    timeout = check_timeout()
    with app.connection_for_write(connect_timeout=timeout) as conn:
        if conn.transport.driver_type == "filesystem":
            _check_filesystem_broker(conn.transport_options or {})
        # max_retries=0: fail on the first refusal instead of sleeping between retries.
        conn.ensure_connection(max_retries=0, timeout=timeout)
        return conn.as_uri()  # the password is masked


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
}


def run_checks(timeout: float | None = None) -> dict[str, dict]:
    """Run every probe concurrently; answer within `timeout` seconds whatever happens."""
    timeout = check_timeout() if timeout is None else timeout
    deadline = time.monotonic() + timeout
    executor = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    try:
        futures = {name: executor.submit(_timed, fn) for name, fn in CHECKS.items()}
        results: dict[str, dict] = {}
        for name, future in futures.items():
            try:
                results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                results[name] = {
                    "ok": False,
                    "ms": round(timeout * 1000, 1),
                    "detail": f"timed out after {timeout:g}s",
                }
            except Exception as exc:  # _timed never raises; belt and braces
                results[name] = {"ok": False, "ms": 0.0, "detail": _failure(exc)}
        return results
    finally:
        # Do not wait for a hung probe: it ends on its own connect timeout.
        executor.shutdown(wait=False, cancel_futures=True)
