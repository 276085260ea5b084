"""Plumbing shared by the schemathesis suites (our Pix schema, every role, BACEN's file):
requests run inside the test's transaction, and a signed-in browser session as headers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client


@contextmanager
def requests_inside_the_test_transaction() -> Iterator[None]:
    """As Django's test client does: the test's transaction must outlive each request that
    schemathesis sends straight to the WSGI handler."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def session_headers(user) -> dict[str, str]:
    """A logged-in session cookie and CSRF pair, as a browser would send them."""
    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()
    session = client.cookies["sessionid"].value
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}
