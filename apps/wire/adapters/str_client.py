"""BACEN's STR (Sistema de Transferencia de Reservas) behind one interface.

`StrClient` is what the wire services call, with the catalogue's XML
(apps/wire/codecs/str_messages.py):

* `send(xml) -> xml`: hand over an STR0008 (a TED) or an STR0010 (a devolucao); the answer
  is the R1 (SitLancSTR 1 = settled, with the STR's NumCtrlSTR) or the message itself with
  `CodErro` when refused. The STR recognises a message by its NumCtrlIF: sending the same
  one again answers the first outcome, so a sender whose answer was lost simply resends.
* `receive(limit) -> [(id, xml)]`: the messages waiting for us (STR0008R2: a TED to one of
  our customers; STR0010R2: a TED of ours returned by the credited bank), oldest first.
* `acknowledge(ids)`: they were processed (processing is idempotent by NumCtrlSTR, so a
  message delivered twice is harmless).

Implementations, chosen by settings.WIRE_STR_CLIENT through `str_client()`:

* "simulator" (the default): the STR and the other banks behind it, in
  apps/simulators/str/ (named by a dotted path in settings, never imported here);
* "http": `StrHttpClient`, the production shape: the RSFN is reached through the bank's
  message gateway (an MQ bridge) exposed over HTTPS; never the default.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import requests
from django.conf import settings

from apps.core.adapters import client_class, http_call


class StrError(Exception):
    """The STR could not be asked or did not answer: the outcome is unknown."""


class StrClient(ABC):
    @abstractmethod
    def send(self, xml: bytes) -> bytes:
        """Send an STR0008/STR0010; returns its R1, or the message with CodErro."""

    @abstractmethod
    def receive(self, limit: int = 100) -> list[tuple[str, bytes]]:
        """Messages waiting for us, as (delivery id, XML), oldest first."""

    @abstractmethod
    def acknowledge(self, ids: list[str]) -> None:
        """Remove processed messages from our queue."""


def str_client() -> StrClient:
    return client_class("WIRE_STR_CLIENT", "WIRE_STR_CLIENTS")()


class StrHttpClient(StrClient):
    """The RSFN through the bank's message gateway (settings.WIRE_STR_URL)."""

    def __init__(self) -> None:
        self.base = settings.WIRE_STR_URL.rstrip("/")

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        return http_call(
            method,
            f"{self.base}{path}",
            timeout=settings.WIRE_STR_TIMEOUT,
            error=StrError,
            system="STR gateway",
            **kwargs,
        )

    def send(self, xml: bytes) -> bytes:
        headers = {"Content-Type": "application/xml"}
        return self._call("POST", "/messages", data=xml, headers=headers).content

    def receive(self, limit: int = 100) -> list[tuple[str, bytes]]:
        answer = self._call("GET", "/inbox", params={"limit": limit}).json()
        return [(str(item["id"]), item["xml"].encode("utf-8")) for item in answer]

    def acknowledge(self, ids: list[str]) -> None:
        if ids:
            self._call("POST", "/inbox/ack", json={"ids": ids})
