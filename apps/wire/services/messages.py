"""The STR messages of a wire, built from its rows, and the log of every message exchanged
(documents masked: `StrMessage.body` never holds a CPF/CNPJ in clear)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings

from apps.core.documents import normalize_tax_id
from apps.core.timezones import brasilia_now
from apps.wire.codecs import str_messages as codec
from apps.wire.models import InboundWire, StrMessage, Wire


def new_control_number(now: dt.datetime) -> str:
    """NumCtrlIF: ours, unique, 20 characters at most ("W" + date + time + random)."""
    return f"W{brasilia_now(now):%y%m%d%H%M%S}{secrets.token_hex(3).upper()}"


def operation_number(control_number: str) -> str:
    """NUOp: the sender's ISPB and 13 digits, unique per message we send."""
    return f"{settings.ATHENA_ISPB}{secrets.randbelow(10**13):013d}"


def person_type(tax_id: str) -> str:
    return "F" if len(normalize_tax_id(tax_id)) == 11 else "J"


def account_digits(number: str) -> str:
    """The catalogue's CtCredtd/CtDebtd: digits, no leading zeros ("001000014" -> "1000014")."""
    return "".join(c for c in number if c.isdigit()).lstrip("0") or "0"


def str0008(wire: Wire, *, day: dt.date) -> bytes:
    customer = wire.account.customer
    fields = {
        "NumCtrlIF": wire.control_number,
        "ISPBIFDebtd": settings.ATHENA_ISPB,
        "AgDebtd": wire.account.branch,
        "TpCtDebtd": "PG",
        "CtDebtd": account_digits(wire.account.number or ""),
        "TpPessoaDebtd": person_type(customer.tax_id),
        "CNPJ_CPFCliDebtd": normalize_tax_id(customer.tax_id),
        "NomCliDebtd": _ascii80(customer.full_name),
        "ISPBIFCredtd": wire.bank_ispb,
        "AgCredtd": wire.branch,
        "TpCtCredtd": wire.account_type,
        "CtCredtd": account_digits(wire.account_number),
        "TpPessoaCredtd": person_type(wire.holder_tax_id),
        "CNPJ_CPFCliCredtd": normalize_tax_id(wire.holder_tax_id),
        "NomCliCredtd": _ascii80(wire.holder_name),
        "VlrLanc": codec.cents_to_amount(wire.amount),
        "FinlddCli": wire.purpose,
        "Hist": _ascii80(wire.note) if wire.note else "",
        "DtMovto": day.isoformat(),
    }
    return codec.build(
        codec.Message(
            code="STR0008",
            fields=fields,
            sender=settings.ATHENA_ISPB,
            receiver=settings.WIRE_STR_ISPB,
            operation=operation_number(wire.control_number),
        )
    )


def str0010(inbound: InboundWire, *, day: dt.date) -> bytes:
    fields = {
        "NumCtrlIF": inbound.return_control_number,
        "ISPBIFDebtd": settings.ATHENA_ISPB,
        "ISPBIFCredtd": inbound.sender_ispb,
        "VlrLanc": codec.cents_to_amount(inbound.amount),
        "CodDevTransf": inbound.return_code,
        "NumCtrlSTROr": inbound.str_control_number,
        "DtMovto": day.isoformat(),
    }
    return codec.build(
        codec.Message(
            code="STR0010",
            fields=fields,
            sender=settings.ATHENA_ISPB,
            receiver=settings.WIRE_STR_ISPB,
            operation=operation_number(inbound.return_control_number),
        )
    )


def _ascii80(text: str) -> str:
    """Names and notes go as the catalogue's text: no markup characters, 80 at most."""
    cleaned = "".join(" " if c in "<>&\r\n\t" else c for c in (text or "")).strip()
    return cleaned[:80]


def log_message(
    *,
    direction: str,
    xml: bytes,
    message: codec.Message | None = None,
    wire: Wire | None = None,
    inbound: InboundWire | None = None,
) -> StrMessage:
    if message is None:
        try:
            message = codec.parse(xml)
        except codec.StrMessageError:
            message = None
    return StrMessage.objects.create(
        direction=direction,
        code=message.code if message else "invalid",
        control_number=(message.get("NumCtrlIF") if message else "")[:20],
        str_control_number=(message.get("NumCtrlSTR") if message else "")[:20],
        wire=wire,
        inbound=inbound,
        body=codec.masked(xml),
        error_code=(message.error_code if message else "")[:40],
    )
