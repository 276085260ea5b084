"""The outside world of Pix: the DICT (dict/), the SPI (spi.py) and the SMS gateway (here).

Each system is an interface with a production client here; its simulator lives with the
other simulators (apps/simulators/), and settings pick the implementation by name:
PIX_DICT_CLIENT / PIX_SPI_CLIENT are "simulator" (the default), "http", or a dotted path
to a client class; the names map to classes in PIX_DICT_CLIENTS / PIX_SPI_CLIENTS. Loading
the class by its path (import_string) is what keeps domain code from importing a
simulator. `sms_backend()` returns the SMS sender named by settings.PIX_SMS_BACKEND.
"""

from __future__ import annotations

import logging
import sys
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from apps.core.adapters import client_class

logger = logging.getLogger(__name__)


def dict_client(participant: str | None = None):
    """The DICT client speaking for `participant` (our ISPB by default)."""
    return client_class("PIX_DICT_CLIENT", "PIX_DICT_CLIENTS")(participant)


# --- SMS -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class SmsBackend(ABC):
    """Sends a text message to an E.164 number. Production plugs a gateway in here."""

    @abstractmethod
    def send(self, *, to: str, body: str) -> None: ...


class ConsoleSmsBackend(SmsBackend):
    """Development: writes the message to stdout, as Django's console e-mail backend does
    (that output is the fake phone; it is not the application log)."""

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout

    def send(self, *, to: str, body: str) -> None:
        self.stream.write(f"--- SMS to {to} ---\n{body}\n")
        self.stream.flush()


#: Messages "sent" by LocmemSmsBackend, like django.core.mail.outbox.
sms_outbox: list[SmsMessage] = []
_outbox_lock = threading.Lock()


class LocmemSmsBackend(SmsBackend):
    """Tests: keeps the messages in `apps.pix.adapters.sms_outbox`."""

    def send(self, *, to: str, body: str) -> None:
        with _outbox_lock:
            sms_outbox.append(SmsMessage(to=to, body=body))


def sms_backend() -> SmsBackend:
    return import_string(settings.PIX_SMS_BACKEND)()
