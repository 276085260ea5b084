"""Helpers of the cards' portal, API, command and admin tests: signed-in clients and a
second factor (TOTP) for the reveal."""

from __future__ import annotations

import time

from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client

PASSWORD = "secret-pass-123"  # UserFactory's


def signed_in(account, language: str | None = None) -> Client:
    client = Client()
    client.force_login(account.customer.user)
    if language:
        client.cookies["django_language"] = language
    return client


def totp_on(user) -> str:
    """Turn on an authenticator app for the user; the secret, to compute its codes."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, *, at: float | None = None) -> str:
    return format_hotp_value(hotp_value(secret, int(at or time.time()) // 30))
