"""Playwright against Debian's Chromium (never a downloaded browser) and the live server."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # The browser asks for Brazilian Portuguese, as most customers' browsers do.
    return {**browser_context_args, "locale": "pt-BR"}


@pytest.fixture
def locmem_email(settings):
    """live_server runs in a thread of this process, so its mail lands in mail.outbox."""
    from django.core import mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return mail.outbox


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth keeps rate-limit counters and used TOTP codes in the (in-process) cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
