"""The SPI (Sistema de Pagamentos Instantâneos, BACEN) behind one interface.

`SpiClient` is what the transfer service calls: it hands over ISO 20022 XML (the codec is
apps/pix/codecs/iso20022.py) and gets the SPI's pacs.002 back, or `SpiTimeout` when no answer came.

* `send_credit_transfer(pacs.008) -> pacs.002`: ACSC (settled at the SPI) or RJCT + reason.
* `send_return(pacs.004) -> pacs.002`: the same, for a devolução.
* `transfer_status(endToEndId or returnId) -> pacs.002`: the status query, for a message
  whose answer was lost (a resend only earns RJCT DUPL); `SpiUnknownMessage` when the SPI
  never recorded it.

Implementations, chosen by settings.PIX_SPI_CLIENT through `spi_client()`:

* "simulator" (the default): `SpiSimulator`, the SPI and the other PSPs behind it, in
  apps/simulators/spi/ (its rules are described there). Settings name it by a dotted path
  (PIX_SPI_CLIENTS), so no domain code imports it.
* "http": `SpiHttpClient` (below), the production shape (ICOM over mTLS). The RSFN is not
  reachable from here; the client is kept minimal and is never the default.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable

from django.conf import settings

from apps.pix.codecs import e2e
from apps.pix.codecs.iso20022 import MAX_MESSAGE_BYTES, PaymentStatus, TxStatus, parse_pacs002

logger = logging.getLogger(__name__)

SETTLED = (TxStatus.ACSC.value, TxStatus.ACCC.value)


class SpiError(Exception):
    """The SPI could not be asked or did not answer."""


class SpiTimeout(SpiError):
    """No answer in time: the outcome is unknown to the caller."""


class SpiUnavailable(SpiError):
    """The SPI refused the connection or answered with an HTTP error."""


class SpiUnknownMessage(SpiError):
    """The status query names a message the SPI has no record of."""


class SpiClient(ABC):
    """BACEN's SPI as the transfer service sees it: XML in, the pacs.002 XML out."""

    @abstractmethod
    def send_credit_transfer(self, xml: bytes) -> bytes:
        """Send a pacs.008; returns the SPI's pacs.002 (ACSC or RJCT). May raise SpiTimeout."""

    @abstractmethod
    def send_return(self, xml: bytes) -> bytes:
        """Send a pacs.004; returns the SPI's pacs.002 (ACSC or RJCT). May raise SpiTimeout."""

    @abstractmethod
    def transfer_status(self, end_to_end_id: str) -> bytes:
        """The SPI's status query: the pacs.002 of a message it already processed, named by
        its endToEndId (pacs.008) or returnId (pacs.004). Raises SpiUnknownMessage when the
        SPI never recorded it, SpiTimeout/SpiUnavailable when it could not be asked.

        This is how a sender learns the outcome of a message whose answer was lost: sending
        it again only earns RJCT DUPL."""


def spi_client(participant: str | None = None) -> SpiClient:
    """The SPI client speaking for `participant` (our ISPB by default), as settings name it."""
    from apps.pix.adapters import client_class

    return client_class("PIX_SPI_CLIENT", "PIX_SPI_CLIENTS")(participant)


def final_status(
    client: SpiClient, answer: bytes, message_id: str
) -> tuple[PaymentStatus, bytes] | None:
    """The SPI's answer to a message we sent, with a DUPL resolved.

    RJCT DUPL to a message of ours means the SPI already has it: an earlier attempt reached
    it and its answer was lost. That says nothing about the outcome, so rejecting (and
    giving the money back) would be wrong: the outcome is the original's, which the status
    query gives. Returns (status, the pacs.002 it came in), or None when the outcome cannot
    be known now (the query failed or found nothing): the caller leaves the message in
    flight, to be sent again later."""
    status = parse_pacs002(answer)
    if status.status != TxStatus.RJCT or status.reason_code != "DUPL":
        return status, answer
    try:
        answer = client.transfer_status(message_id)
    except SpiError as exc:
        logger.warning("SPI status query after DUPL failed: %s", exc, extra={"id": message_id})
        return None
    status = parse_pacs002(answer)
    if status.status == TxStatus.RJCT and status.reason_code == "DUPL":
        return None
    return status, answer


# Lenient reads of a message the codec refused, to say which id the rejection is about.
_LENIENT = {
    tag: re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?" + tag.encode() + rb">\s*([A-Za-z0-9]{32})\s*<")
    for tag in ("EndToEndId", "OrgnlEndToEndId", "RtrId")
}


def lenient_id(xml: object, tag: str, kind: str) -> str | None:
    """The id under `tag` ("EndToEndId", "OrgnlEndToEndId", "RtrId") of a message the codec
    refused, when it can still be read and is well formed; None otherwise. Lets an answer
    (RJCT CH16) name the message it is about."""
    if not isinstance(xml, bytes | str):
        return None
    data = xml.encode("utf-8", "replace") if isinstance(xml, str) else xml
    match = _LENIENT[tag].search(data[:MAX_MESSAGE_BYTES])
    if match is None:
        return None
    value = match.group(1).decode("ascii")
    return value if e2e.is_valid_end_to_end_id(value, kind=kind) else None


class SpiHttpClient(SpiClient):
    """The SPI over the RSFN: ICOM's HTTP interface with mutual TLS.

    Minimal on purpose: the real ICOM answers asynchronously (the pacs.002 arrives on the
    participant's message stream), so production code wraps this in a correlator waiting on
    the stream for the endToEndId. Settings (read with defaults, none required): PIX_SPI_URL,
    PIX_SPI_CLIENT_CERT / PIX_SPI_CLIENT_KEY (PEM), PIX_SPI_CA_BUNDLE, PIX_SPI_HTTP_TIMEOUT.
    """

    def __init__(
        self,
        participant: str | None = None,
        *,
        base_url: str | None = None,
        transport: Callable[[str, bytes], bytes] | None = None,
    ) -> None:
        self.participant = participant or settings.ATHENA_ISPB
        url = base_url or getattr(settings, "PIX_SPI_URL", "https://icom-h.pi.rsfn.net.br:16422/")
        self.base_url = url.rstrip("/") + "/"
        self.transport = transport or self._requests_transport

    def _requests_transport(self, path: str, body: bytes) -> bytes:  # pragma: no cover
        import requests  # the RSFN is not reachable from here

        cert_file = getattr(settings, "PIX_SPI_CLIENT_CERT", "")
        cert = (cert_file, getattr(settings, "PIX_SPI_CLIENT_KEY", "")) if cert_file else None
        try:
            # bandit B113 reads only a literal timeout; this one comes from the settings.
            response = requests.post(  # nosec B113
                self.base_url + path,
                data=body,
                headers={"Content-Type": "application/xml; charset=utf-8"},
                cert=cert,
                verify=getattr(settings, "PIX_SPI_CA_BUNDLE", "") or True,
                timeout=getattr(settings, "PIX_SPI_HTTP_TIMEOUT", 10.0),
            )
        except requests.Timeout as exc:
            raise SpiTimeout("the SPI did not answer in time") from exc
        except requests.RequestException as exc:
            raise SpiUnavailable(f"SPI unreachable: {type(exc).__name__}") from exc
        if response.status_code == 404 and "/status/" in path:
            raise SpiUnknownMessage("the SPI has no record of this message")
        if response.status_code >= 400:
            raise SpiUnavailable(f"SPI answered HTTP {response.status_code}")
        return response.content

    def _send(self, xml: bytes) -> bytes:
        return self.transport(f"api/v1/in/{self.participant}/msgs", xml)

    def send_credit_transfer(self, xml: bytes) -> bytes:
        return self._send(xml)

    def send_return(self, xml: bytes) -> bytes:
        return self._send(xml)

    def transfer_status(self, end_to_end_id: str) -> bytes:
        if not e2e.is_valid_end_to_end_id(end_to_end_id, kind=None):
            raise SpiUnknownMessage(f"{end_to_end_id!r} is not an endToEndId or returnId")
        return self.transport(f"api/v1/out/{self.participant}/status/{end_to_end_id}", b"")
