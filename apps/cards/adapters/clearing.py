"""The card network's clearing behind one interface.

What the issuer exchanges with the network after the authorizations:

* `fetch_files()`: the clearing files waiting for us (ATHENA-CLR 001, apps/cards/clearing/
  codecs/layout.py), as (name, content) pairs; each file is handed over once (a file handed twice
  is recognised by its digest and changes nothing);
* `net_position(day)`: what the issuer owes the network for a business day, in centavos
  (negative: what the network owes the issuer), settled against our reserves account.

Implementations, chosen by settings.CARDS_CLEARING_CLIENT through `clearing_client()`:
"simulator" (the default, apps/simulators/cardnet/) and "http" (`ClearingHttpClient`,
below: the production shape; never the default).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod

from django.conf import settings

from apps.core.adapters import client_class, http_call


class ClearingNetworkError(Exception):
    """The network could not be reached or refused the exchange."""


class ClearingClient(ABC):
    @abstractmethod
    def fetch_files(self) -> list[tuple[str, str]]: ...

    @abstractmethod
    def net_position(self, day: dt.date) -> int: ...


def clearing_client() -> ClearingClient:
    return client_class("CARDS_CLEARING_CLIENT", "CARDS_CLEARING_CLIENTS")()


class ClearingHttpClient(ClearingClient):
    """The production shape: the network's file gateway over HTTPS
    (settings.CARDS_CLEARING_URL); a file is acknowledged once fetched. Never the default."""

    def __init__(self) -> None:
        self.base = settings.CARDS_CLEARING_URL.rstrip("/")

    def _call(self, method: str, path: str, **kwargs):
        return http_call(
            method,
            f"{self.base}{path}",
            timeout=settings.CARDS_CLEARING_TIMEOUT,
            error=ClearingNetworkError,
            system="card network",
            **kwargs,
        )

    def fetch_files(self) -> list[tuple[str, str]]:
        files = []
        for name in self._call("GET", "/clearing-files").json():
            content = self._call("GET", f"/clearing-files/{name}").content.decode(
                "ascii", "replace"
            )
            files.append((name, content))
            self._call("POST", f"/clearing-files/{name}/ack")
        return files

    def net_position(self, day: dt.date) -> int:
        return int(self._call("GET", f"/positions/{day.isoformat()}").json()["net"])
