"""COMPE clearing (Centralizadora da Compensacao, Banco do Brasil) behind one interface.

What we exchange with clearing for boletos:

* `submit_payment(item)`: a boleto our customer paid goes into the day's outgoing clearing;
  the beneficiary's bank receives it and we owe it the amount;
* `send_remittance(name, content)`: a CNAB 240 remittance file (the boletos we registered,
  the write-offs we ask for);
* `fetch_returns()`: the CNAB 240 return files waiting for us (registrations accepted or
  rejected, our boletos paid at any bank, write-offs, fees), as (name, content) pairs; each
  file is handed over once;
* `net_position(day)`: the day's net in centavos (positive: clearing owes us), which is
  settled against our reserves account at BACEN.

Implementations, chosen by settings.BOLETO_COMPE_CLIENT through `compe_client()`:
"simulator" (the default, apps/simulators/compe/) and "http" (`CompeHttpClient`, below: the
production shape; never the default).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass

import requests
from django.conf import settings

from apps.core.adapters import client_class, http_call


class CompeError(Exception):
    """Clearing could not be reached or refused the exchange."""


@dataclass(frozen=True)
class ClearingItem:
    barcode: str
    amount_cents: int
    paid_on: dt.date
    paying_bank: str
    reference: str  # our payment's public id: what a return or an inquiry names


class CompeClient(ABC):
    @abstractmethod
    def submit_payment(self, item: ClearingItem) -> None: ...

    @abstractmethod
    def send_remittance(self, name: str, content: str) -> None: ...

    @abstractmethod
    def fetch_returns(self) -> list[tuple[str, str]]: ...

    @abstractmethod
    def net_position(self, day: dt.date) -> int: ...


def compe_client() -> CompeClient:
    return client_class("BOLETO_COMPE_CLIENT", "BOLETO_COMPE_CLIENTS")()


class CompeHttpClient(CompeClient):
    """The production shape: files and items exchanged with the clearing house over HTTPS
    (settings.BOLETO_COMPE_URL). Never the default."""

    def __init__(self) -> None:
        self.base = settings.BOLETO_COMPE_URL.rstrip("/")

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        return http_call(
            method,
            f"{self.base}{path}",
            timeout=settings.BOLETO_COMPE_TIMEOUT,
            error=CompeError,
            system="COMPE",
            **kwargs,
        )

    def submit_payment(self, item: ClearingItem) -> None:
        self._call(
            "POST",
            "/items",
            json={**item.__dict__, "paid_on": item.paid_on.isoformat()},
        )

    def send_remittance(self, name: str, content: str) -> None:
        self._call("PUT", f"/remittances/{name}", data=content.encode("ascii"))

    def fetch_returns(self) -> list[tuple[str, str]]:
        names = self._call("GET", "/returns").json()
        return [(name, self._call("GET", f"/returns/{name}").text) for name in names]

    def net_position(self, day: dt.date) -> int:
        return int(self._call("GET", f"/positions/{day.isoformat()}").json()["net"])
