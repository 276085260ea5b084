"""Payments a customer is confirming, parked in the session under one-time tokens.

Every portal payment (book transfer, Pix, boleto) is a form, then a confirmation page, then
one POST that pays: what the form found waits in the session, keyed by a random token the
confirmation carries. Entries expire after `ttl_seconds` and only the newest `keep` are
kept, so an abandoned confirmation never pays later and a session never grows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class SessionPending:
    session_key: str
    keep: int = 5
    ttl_seconds: int = 15 * 60

    def all(self, request: HttpRequest) -> dict[str, dict]:
        """The live entries, by token (each carries its "created" time)."""
        pending = request.session.get(self.session_key, {})
        now = time.time()
        return {
            token: item
            for token, item in pending.items()
            if now - item.get("created", 0) < self.ttl_seconds
        }

    def save(self, request: HttpRequest, pending: dict[str, dict]) -> None:
        newest = sorted(pending.items(), key=lambda kv: kv[1]["created"])[-self.keep :]
        request.session[self.session_key] = dict(newest)
