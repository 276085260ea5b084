"""ISO 8583 test helpers: a client speaking the 2-byte framing and the message an acquirer
would send for an AuthRequest."""

from __future__ import annotations

import socket

from apps.cards.iso import codec
from apps.cards.services import AuthRequest


class IsoClient:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, doc: dict) -> None:
        self.sock.sendall(codec.frame(codec.encode(doc)))

    def receive(self) -> dict:
        header = self._exactly(2)
        return codec.decode(self._exactly(codec.HEADER.unpack(header)[0]))

    def ask(self, doc: dict) -> dict:
        self.send(doc)
        return self.receive()

    def _exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed by the server")
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()


def iso_message(request: AuthRequest, **fields: str) -> dict:
    """The ISO 8583 form of a test AuthRequest (tests/support/cards.purchase)."""
    doc = {
        "t": request.mti,
        "2": request.pan,
        "3": "000000",
        "4": f"{request.amount_cents:012d}",
        "7": "0101120000",
        "11": request.stan,
        "12": "120000",
        "13": "0101",
        "14": request.expiry,
        "18": request.mcc,
        "22": request.entry_mode,
        "37": request.rrn,
        "41": request.terminal_id,
        "42": request.merchant_id.ljust(15),
        "43": f"{request.merchant_name:<25}{'SAO PAULO':<13}BR",
        "49": "986",
    }
    if request.cvv2:
        doc["48"] = codec.build_subelements({codec.CVV2_TAG: request.cvv2})
    if request.pin:
        doc["52"] = codec.pin_block(request.pin, request.pan)
    if request.original_stan:
        doc["90"] = f"{request.original_mti}{request.original_stan}".ljust(42, "0")
    doc.update(fields)
    return {key: value for key, value in doc.items() if value is not None}
