"""Fixtures of the cards' portal, API, command and admin tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps rate-limit counters and used TOTP codes in the cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
