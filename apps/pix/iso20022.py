"""ISO 20022 codec for Pix's SPI: pacs.008 (credit transfer), pacs.002 (status), pacs.004 (return).

Pure Python over lxml, free of Django: the `SpiClient` adapter and the SPI simulator both use it.

The wire shape follows BACEN's "Catálogo de Mensagens e de Arquivos do SPI" (catalogue 5.13):

    <?xml version="1.0" encoding="UTF-8"?>
    <Envelope xmlns="https://www.bcb.gov.br/pi/pacs.008/1.16">
      <AppHdr>                       business application header (head.001 shape)
        <Fr><FIId><FinInstnId><Othr><Id>ISPB of the sender</Id></Othr></FinInstnId></FIId></Fr>
        <To>...ISPB of the receiver (a PSP always sends to the SPI, 00038166)...</To>
        <BizMsgIdr>M + ISPB + 23 alphanumerics</BizMsgIdr>      equal to GrpHdr/MsgId
        <MsgDefIdr>pacs.008.spi.1.16</MsgDefIdr>
        <CreDt>2020-01-01T08:30:12.000Z</CreDt>
        <Sgntr/>                     XMLDSig signature; empty here, as in BACEN's examples
      </AppHdr>
      <Document><FIToFICstmrCdtTrf>...</FIToFICstmrCdtTrf></Document>
    </Envelope>

One default namespace per message type and SPI version covers the whole envelope: the SPI
does not use the `urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08` namespaces of plain ISO
20022 (those name the base messages the catalogue restricts; see ISO_BASE_MESSAGES).

Amounts are centavos (int) in Python and "150.00" in XML; timestamps are aware UTC datetimes
in Python, held to the millisecond the wire carries, and "2020-01-01T08:30:12.000Z" in XML.

Parsing checks the structure like the catalogue's XSDs do (known elements only, in order,
with their cardinality; attributes; one namespace), then every value (patterns, enumerations,
lengths), and raises Iso20022Error(field, message), where field is the XML path under
Envelope ("Document/FIToFICstmrCdtTrf/CdtTrfTxInf/IntrBkSttlmAmt"). Constructing a message
dataclass validates it too; then field is the attribute ("debtor.tax_id"). A DOCTYPE is
refused outright, so no entity (external or internal) is ever loaded or expanded.

Not modelled (parsing refuses them as unknown elements): more than one transaction per
message, Pix Saque/Troco's structured remittance (RmtInf/Strd), and the XMLDSig signature
(emitted empty, its content ignored when parsing: signing belongs to the production client).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from lxml import etree

from apps.pix import e2e

__all__ = [
    "ISO_BASE_MESSAGES",
    "MAX_MESSAGE_BYTES",
    "RETURN_REASONS",
    "SPI_ISPB",
    "SPI_VERSIONS",
    "STATUS_REASONS",
    "AccountType",
    "CreditTransfer",
    "Iso20022Error",
    "LocalInstrument",
    "Party",
    "PaymentReturn",
    "PaymentStatus",
    "Priority",
    "Purpose",
    "ReturnReason",
    "ServiceLevel",
    "TxStatus",
    "build_pacs002",
    "build_pacs004",
    "build_pacs008",
    "msg_def_idr",
    "namespace",
    "parse_message",
    "parse_pacs002",
    "parse_pacs004",
    "parse_pacs008",
]

SPI_ISPB = "00038166"  # the SPI itself (Banco Central do Brasil)
CATALOG_VERSION = "5.13"
SPI_VERSIONS = {"pacs.008": "1.16", "pacs.002": "1.17", "pacs.004": "1.5"}
ISO_BASE_MESSAGES = {
    "pacs.008": "pacs.008.001.08",
    "pacs.002": "pacs.002.001.10",
    "pacs.004": "pacs.004.001.09",
}
MAX_MESSAGE_BYTES = 100_000  # an SPI message is a few kilobytes; refuse anything far larger
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def namespace(msg_type: str) -> str:
    """The envelope namespace, e.g. https://www.bcb.gov.br/pi/pacs.008/1.16."""
    return f"https://www.bcb.gov.br/pi/{msg_type}/{SPI_VERSIONS[msg_type]}"


def msg_def_idr(msg_type: str) -> str:
    """The AppHdr/MsgDefIdr, e.g. pacs.008.spi.1.16."""
    return f"{msg_type}.spi.{SPI_VERSIONS[msg_type]}"


class Iso20022Error(ValueError):
    """A message that is not valid SPI content: `field` names where, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


# --- code lists -------------------------------------------------------------------------


class TxStatus(StrEnum):
    ACSP = "ACSP"  # accepted by the receiving PSP, settlement in process
    ACSC = "ACSC"  # settled: the SPI's notice to the paying PSP
    ACCC = "ACCC"  # settled: the SPI's notice to the receiving PSP
    RJCT = "RJCT"  # rejected, with a reason code


class AccountType(StrEnum):
    CACC = "CACC"  # conta corrente
    SVGS = "SVGS"  # poupança
    TRAN = "TRAN"  # conta de pagamento
    SLRY = "SLRY"  # conta salário


class LocalInstrument(StrEnum):
    """How the payer started the Pix (MndtRltdInf/Tp/LclInstrm/Prtry)."""

    MANU = "MANU"  # account data typed in by hand
    DICT = "DICT"  # Pix key looked up in DICT
    INIC = "INIC"  # payment initiator (ITP)
    QRDN = "QRDN"  # dynamic QR code
    QRES = "QRES"  # static QR code
    AUTO = "AUTO"  # Pix Automático
    APDN = "APDN"  # Pix Automático with dynamic QR
    APES = "APES"  # Pix Automático with static QR


class Priority(StrEnum):
    HIGH = "HIGH"
    NORM = "NORM"


class ServiceLevel(StrEnum):
    PAGPRI = "PAGPRI"  # ordinary Pix, priority HIGH
    PAGFRD = "PAGFRD"  # held for fraud analysis, priority NORM
    PAGAGD = "PAGAGD"  # scheduled Pix, priority NORM


class Purpose(StrEnum):
    IPAY = "IPAY"  # instant payment
    GSCB = "GSCB"  # Pix Troco
    OTHR = "OTHR"  # Pix Saque


class ReturnReason(StrEnum):
    BE08 = "BE08"  # bank error (MED)
    FR01 = "FR01"  # fraud (MED)
    MD06 = "MD06"  # refund requested by the receiving customer
    SL02 = "SL02"  # Pix Saque/Troco: specific service by the creditor agent


RETURN_REASONS = {
    "BE08": "bank error",
    "FR01": "fraud",
    "MD06": "refund requested by the end customer",
    "SL02": "specific service offered by the creditor agent (Pix Saque/Troco)",
}

# TxInfAndSts/StsRsnInf/Rsn/Cd of pacs.002.spi.1.17, with their ISO 20022 meanings.
STATUS_REASONS = {
    "AB03": "settlement aborted: timeout",
    "AB09": "rejected because of an error at the creditor agent",
    "AB11": "timeout at the debtor agent",
    "AC03": "invalid creditor account number",
    "AC06": "blocked account",
    "AC07": "closed creditor account",
    "AC14": "invalid creditor account type",
    "AG03": "transaction type not supported",
    "AG12": "book transfer (same institution) not allowed",
    "AG13": "returned payment type not allowed",
    "AGNT": "incorrect agent",
    "AM01": "zero amount",
    "AM02": "amount not allowed",
    "AM04": "insufficient funds",
    "AM09": "wrong amount",
    "AM12": "invalid amount",
    "AM18": "invalid number of transactions",
    "AM23": "amount exceeds settlement limit",
    "BE01": "inconsistent with end customer",
    "BE05": "unrecognised initiating party",
    "BE15": "invalid identification code",
    "BE17": "invalid creditor identification code",
    "CH11": "creditor identifier incorrect",
    "CH16": "element content formally incorrect",
    "CN01": "authorisation cancelled",
    "DS02": "order cancelled",
    "DS04": "order rejected",
    "DS0G": "payment not allowed",
    "DS27": "user not yet activated",
    "DT02": "invalid creation date",
    "DT05": "invalid cut-off date",
    "DU03": "duplicate transaction",
    "DUPL": "duplicate payment",
    "ED05": "settlement failed",
    "FF07": "invalid purpose",
    "FF08": "invalid end-to-end id",
    "FRAD": "fraudulent origin",
    "INDT": "rejected (SPI code INDT)",
    "MD01": "no mandate",
    "RC09": "invalid debtor clearing system member",
    "RC10": "invalid creditor clearing system member",
    "RR04": "regulatory reason",
    "RR06": "tax information missing or invalid",
    "SL02": "specific service offered by the creditor agent",
    "UPAY": "undue payment",
}

# --- value checks (raise Iso20022Error(name, ...)) ------------------------------------------

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CPF = re.compile(r"\A[0-9]{11}\Z")
_CNPJ = re.compile(r"\A[0-9A-Z]{12}[0-9]{2}\Z")  # numeric or the 2026 alphanumeric CNPJ
_ACCOUNT = re.compile(r"\A[0-9]{1,20}\Z")
_BRANCH = re.compile(r"\A[0-9]{1,4}\Z")
_TX_ID = re.compile(r"\A[a-zA-Z0-9]{1,35}\Z")
_PIX_KEY = re.compile(r"\A\S{1,77}\Z")
_AMOUNT = re.compile(r"\A([0-9]{1,16})(?:\.([0-9]{1,2}))?\Z")  # XSD: 18 digits, 2 decimals
_TIMESTAMP = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z\Z")
_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
MAX_CENTS = 10**18  # 16 integer digits + 2 decimals


def _text(name: str, value: object, max_len: int) -> str:
    if not isinstance(value, str):
        raise Iso20022Error(name, "must be a string")
    if not value:
        raise Iso20022Error(name, "must not be empty")
    if len(value) > max_len:
        raise Iso20022Error(name, f"must have at most {max_len} characters, has {len(value)}")
    if _XML_ILLEGAL.search(value):
        raise Iso20022Error(name, "contains control characters XML cannot carry")
    return value


def _optional_text(name: str, value: object, max_len: int) -> str | None:
    return None if value is None else _text(name, value, max_len)


def _match(name: str, value: object, pattern: re.Pattern[str], expected: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise Iso20022Error(name, f"must be {expected}, got {value!r}")
    return value


def _ispb(name: str, value: object) -> str:
    if not e2e.is_valid_ispb(value):
        raise Iso20022Error(name, f"ISPB must be 8 characters of [0-9A-Z], got {value!r}")
    return value  # type: ignore[return-value]


def _tax_id(name: str, value: object) -> str:
    if isinstance(value, str) and (_CPF.match(value) or _CNPJ.match(value)):
        return value
    raise Iso20022Error(name, f"must be a CPF (11 digits) or a CNPJ (14 characters), got {value!r}")


def _cents(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Iso20022Error(name, "must be an int of centavos")
    if value <= 0:
        raise Iso20022Error(name, "must be greater than zero")
    if value >= MAX_CENTS:
        raise Iso20022Error(name, "is too large (at most 16 integer digits)")
    return value


def _moment(name: str, value: object) -> datetime:
    """An aware datetime, as UTC, truncated to the millisecond the wire carries."""
    if not isinstance(value, datetime):
        raise Iso20022Error(name, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise Iso20022Error(name, "must be timezone-aware")
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise Iso20022Error(name, "is out of range") from exc
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)


_E = TypeVar("_E", bound=StrEnum)


def _enum(name: str, value: object, enum: type[_E]) -> _E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(enum)
        raise Iso20022Error(name, f"must be one of {allowed}, got {value!r}") from None


def _tx_ref(name: str, value: object, kind: str | None) -> str:
    try:
        e2e.parse_end_to_end_id(value, kind=kind)
    except e2e.InvalidIdError as exc:
        raise Iso20022Error(name, str(exc)) from None
    return value  # type: ignore[return-value]


def _msg_id(name: str, value: object) -> str:
    try:
        e2e.parse_msg_id(value)
    except e2e.InvalidIdError as exc:
        raise Iso20022Error(name, str(exc)) from None
    return value  # type: ignore[return-value]


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)  # normalising a frozen dataclass in __post_init__


# --- message content ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class Party:
    """A debtor or creditor: the customer, their account, and their PSP (by ISPB)."""

    tax_id: str  # CPF (11 digits) or CNPJ (14)
    ispb: str  # the customer's PSP (DbtrAgt/CdtrAgt)
    account_number: str  # digits only, up to 20
    account_type: AccountType | str = AccountType.CACC
    branch: str | None = None  # agência, up to 4 digits; absent for some payment accounts
    name: str | None = None  # debtor only: the SPI carries no creditor name
    pix_key: str | None = None  # creditor only (CdtrAcct/Prxy/Id)

    def __post_init__(self) -> None:
        _tax_id("tax_id", self.tax_id)
        _ispb("ispb", self.ispb)
        _match("account_number", self.account_number, _ACCOUNT, "1 to 20 digits")
        _set(self, "account_type", _enum("account_type", self.account_type, AccountType))
        if self.branch is not None:
            _match("branch", self.branch, _BRANCH, "1 to 4 digits")
        _optional_text("name", self.name, 140)
        if self.pix_key is not None:
            _match("pix_key", self.pix_key, _PIX_KEY, "1 to 77 characters without spaces")
            _text("pix_key", self.pix_key, 77)


@dataclass(frozen=True, kw_only=True, slots=True)
class CreditTransfer:
    """pacs.008: one Pix, from the debtor's PSP through the SPI to the creditor's."""

    msg_id: str  # GrpHdr/MsgId and AppHdr/BizMsgIdr: M + ISPB + 23 alphanumerics
    created_at: datetime  # GrpHdr/CreDtTm and AppHdr/CreDt
    sender_ispb: str  # AppHdr/Fr
    receiver_ispb: str = SPI_ISPB  # AppHdr/To
    end_to_end_id: str
    amount_cents: int
    debtor: Party
    creditor: Party
    accepted_at: datetime | None = None  # AccptncDtTm; defaults to created_at
    settlement_method: str = "CLRG"
    priority: Priority | str = Priority.HIGH
    service_level: ServiceLevel | str = ServiceLevel.PAGPRI
    initiation: LocalInstrument | str = LocalInstrument.MANU
    purpose: Purpose | str = Purpose.IPAY
    tx_id: str | None = None  # PmtId/TxId: the receiver's reconciliation id (QR code txid)
    remittance_info: str | None = None  # RmtInf/Ustrd: the payer's message

    def __post_init__(self) -> None:
        _msg_id("msg_id", self.msg_id)
        _set(self, "created_at", _moment("created_at", self.created_at))
        _ispb("sender_ispb", self.sender_ispb)
        _ispb("receiver_ispb", self.receiver_ispb)
        _tx_ref("end_to_end_id", self.end_to_end_id, "E")
        _cents("amount_cents", self.amount_cents)
        for role in ("debtor", "creditor"):
            if not isinstance(getattr(self, role), Party):
                raise Iso20022Error(role, "must be a Party")
        if self.debtor.name is None:
            raise Iso20022Error("debtor.name", "is required")
        if self.creditor.name is not None:
            raise Iso20022Error("creditor.name", "the SPI's pacs.008 carries no creditor name")
        if self.debtor.pix_key is not None:
            raise Iso20022Error("debtor.pix_key", "only the creditor has a Pix key")
        accepted = self.created_at if self.accepted_at is None else self.accepted_at
        _set(self, "accepted_at", _moment("accepted_at", accepted))
        if self.settlement_method != "CLRG":
            raise Iso20022Error("settlement_method", "must be CLRG")
        priority = _enum("priority", self.priority, Priority)
        service = _enum("service_level", self.service_level, ServiceLevel)
        if (service is ServiceLevel.PAGPRI) != (priority is Priority.HIGH):
            raise Iso20022Error(
                "priority",
                f"must be {'HIGH' if service is ServiceLevel.PAGPRI else 'NORM'} "
                f"for service level {service}",
            )
        _set(self, "priority", priority)
        _set(self, "service_level", service)
        initiation = _enum("initiation", self.initiation, LocalInstrument)
        _set(self, "initiation", initiation)
        if initiation is LocalInstrument.MANU and self.creditor.pix_key is not None:
            raise Iso20022Error("creditor.pix_key", "must be absent for MANU (no key was used)")
        keyed = (LocalInstrument.DICT, LocalInstrument.QRES, LocalInstrument.QRDN)
        if initiation in keyed and self.creditor.pix_key is None:
            raise Iso20022Error("creditor.pix_key", f"is required for {initiation}")
        _set(self, "purpose", _enum("purpose", self.purpose, Purpose))
        if self.tx_id is not None:
            _match("tx_id", self.tx_id, _TX_ID, "1 to 35 of [a-zA-Z0-9]")
        _optional_text("remittance_info", self.remittance_info, 140)


@dataclass(frozen=True, kw_only=True, slots=True)
class PaymentStatus:
    """pacs.002: the receiving PSP's ACSP/RJCT, or the SPI's ACSC/ACCC/RJCT.

    It answers a pacs.008 (original_instruction_id is its endToEndId) or a pacs.004
    (original_instruction_id is the returnId "D...", original_end_to_end_id the "E..." of
    the Pix being returned). The SPI's pacs.002 has no OrgnlMsgId: messages are matched on
    these two ids.
    """

    msg_id: str
    created_at: datetime
    sender_ispb: str
    receiver_ispb: str = SPI_ISPB
    original_end_to_end_id: str  # OrgnlEndToEndId
    status: TxStatus | str
    original_instruction_id: str | None = None  # OrgnlInstrId; defaults to the endToEndId
    reason_code: str | None = None  # StsRsnInf/Rsn/Cd: required for RJCT, absent otherwise
    additional_info: tuple[str, ...] = field(default=())  # StsRsnInf/AddtlInf, each <= 105
    settled_at: datetime | None = None  # FctvIntrBkSttlmDt/DtTm
    settlement_date: date | None = None  # OrgnlTxRef/IntrBkSttlmDt

    def __post_init__(self) -> None:
        _msg_id("msg_id", self.msg_id)
        _set(self, "created_at", _moment("created_at", self.created_at))
        _ispb("sender_ispb", self.sender_ispb)
        _ispb("receiver_ispb", self.receiver_ispb)
        _tx_ref("original_end_to_end_id", self.original_end_to_end_id, "E")
        instruction = self.original_instruction_id
        if instruction is None:
            instruction = self.original_end_to_end_id
        _tx_ref("original_instruction_id", instruction, None)
        if instruction.startswith("E") and instruction != self.original_end_to_end_id:
            raise Iso20022Error(
                "original_instruction_id", "an endToEndId here must equal OrgnlEndToEndId"
            )
        _set(self, "original_instruction_id", instruction)
        status = _enum("status", self.status, TxStatus)
        _set(self, "status", status)
        if status is TxStatus.RJCT:
            if self.reason_code is None:
                raise Iso20022Error("reason_code", "is required when the status is RJCT")
            if self.reason_code not in STATUS_REASONS:
                raise Iso20022Error("reason_code", f"unknown SPI reason code {self.reason_code!r}")
        elif self.reason_code is not None:
            raise Iso20022Error("reason_code", f"must be absent when the status is {status}")
        info = self.additional_info
        if isinstance(info, str):
            info = (info,)
        if not isinstance(info, tuple | list):
            raise Iso20022Error("additional_info", "must be a tuple of strings")
        _set(self, "additional_info", tuple(_text("additional_info", i, 105) for i in info))
        if self.settled_at is not None:
            _set(self, "settled_at", _moment("settled_at", self.settled_at))
        day = self.settlement_date
        if day is not None and (not isinstance(day, date) or isinstance(day, datetime)):
            raise Iso20022Error("settlement_date", "must be a date")


@dataclass(frozen=True, kw_only=True, slots=True)
class PaymentReturn:
    """pacs.004: a devolução of a settled Pix, in whole or in part."""

    msg_id: str
    created_at: datetime
    sender_ispb: str
    receiver_ispb: str = SPI_ISPB
    return_id: str  # RtrId: D + ISPB + yyyyMMddHHmm + 11 alphanumerics
    original_end_to_end_id: str  # the E... of the Pix being returned
    amount_cents: int  # RtrdIntrBkSttlmAmt
    reason_code: ReturnReason | str
    debtor_ispb: str  # OrgnlTxRef/DbtrAgt: the PSP paying the return (the original creditor's)
    creditor_ispb: str  # OrgnlTxRef/CdtrAgt: the PSP receiving it (the original debtor's)
    priority: Priority | str = Priority.HIGH  # SttlmPrty
    settlement_method: str = "CLRG"
    additional_info: str | None = None  # RtrRsnInf/AddtlInf, <= 105
    remittance_info: str | None = None  # OrgnlTxRef/RmtInf/Ustrd, <= 140

    def __post_init__(self) -> None:
        _msg_id("msg_id", self.msg_id)
        _set(self, "created_at", _moment("created_at", self.created_at))
        _ispb("sender_ispb", self.sender_ispb)
        _ispb("receiver_ispb", self.receiver_ispb)
        _tx_ref("return_id", self.return_id, "D")
        _tx_ref("original_end_to_end_id", self.original_end_to_end_id, "E")
        _cents("amount_cents", self.amount_cents)
        _set(self, "reason_code", _enum("reason_code", self.reason_code, ReturnReason))
        _ispb("debtor_ispb", self.debtor_ispb)
        _ispb("creditor_ispb", self.creditor_ispb)
        _set(self, "priority", _enum("priority", self.priority, Priority))
        if self.settlement_method != "CLRG":
            raise Iso20022Error("settlement_method", "must be CLRG")
        _optional_text("additional_info", self.additional_info, 105)
        _optional_text("remittance_info", self.remittance_info, 140)


# --- structure: the catalogue's element trees -------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Node:
    tag: str
    children: tuple[_Node, ...] = ()  # empty: a leaf holding text
    min: int = 1
    max: int = 1
    attrs: tuple[tuple[str, str], ...] = ()  # fixed attribute values (Ccy="BRL")
    opaque: bool = False  # content neither checked nor read (Sgntr)


def _n(tag: str, *children: _Node, min: int = 1, max: int = 1, **kw: Any) -> _Node:
    return _Node(tag, children, min, max, **kw)


_BRL = (("Ccy", "BRL"),)


def _fi_id(tag: str) -> _Node:
    return _n(tag, _n("FIId", _n("FinInstnId", _n("Othr", _n("Id")))))


def _agent(tag: str) -> _Node:
    return _n(tag, _n("FinInstnId", _n("ClrSysMmbId", _n("MmbId"))))


def _account(tag: str, *extra: _Node) -> _Node:
    return _n(tag, _n("Id", _n("Othr", _n("Id"), _n("Issr", min=0))), _n("Tp", _n("Cd")), *extra)


_PARTY_ID = _n("Id", _n("PrvtId", _n("Othr", _n("Id"))))
_APP_HDR = _n(
    "AppHdr",
    _fi_id("Fr"),
    _fi_id("To"),
    _n("BizMsgIdr"),
    _n("MsgDefIdr"),
    _n("CreDt"),
    _n("Sgntr", min=0, opaque=True),
)
_HDR_FR = "AppHdr/Fr/FIId/FinInstnId/Othr/Id"
_HDR_TO = "AppHdr/To/FIId/FinInstnId/Othr/Id"

_PACS008 = _n(
    "Envelope",
    _APP_HDR,
    _n(
        "Document",
        _n(
            "FIToFICstmrCdtTrf",
            _n(
                "GrpHdr",
                _n("MsgId"),
                _n("CreDtTm"),
                _n("NbOfTxs"),
                _n("SttlmInf", _n("SttlmMtd")),
                _n("PmtTpInf", _n("InstrPrty"), _n("SvcLvl", _n("Prtry"))),
            ),
            _n(
                "CdtTrfTxInf",
                _n("PmtId", _n("EndToEndId"), _n("TxId", min=0)),
                _n("IntrBkSttlmAmt", attrs=_BRL),
                _n("AccptncDtTm"),
                _n("ChrgBr"),
                _n("MndtRltdInf", _n("Tp", _n("LclInstrm", _n("Prtry")))),
                _n("Dbtr", _n("Nm"), _PARTY_ID),
                _account("DbtrAcct"),
                _agent("DbtrAgt"),
                _agent("CdtrAgt"),
                _n("Cdtr", _PARTY_ID),
                _account("CdtrAcct", _n("Prxy", _n("Id"), min=0)),
                _n("Purp", _n("Cd")),
                _n("RmtInf", _n("Ustrd"), min=0),
            ),
        ),
    ),
)

_PACS002 = _n(
    "Envelope",
    _APP_HDR,
    _n(
        "Document",
        _n(
            "FIToFIPmtStsRpt",
            _n("GrpHdr", _n("MsgId"), _n("CreDtTm")),
            _n(
                "TxInfAndSts",
                _n("OrgnlInstrId"),
                _n("OrgnlEndToEndId"),
                _n("TxSts"),
                _n(
                    "StsRsnInf",
                    _n("Rsn", _n("Cd"), min=0),
                    _n("AddtlInf", min=0, max=1000),
                    min=0,
                ),
                _n("FctvIntrBkSttlmDt", _n("DtTm"), min=0),
                _n("OrgnlTxRef", _n("IntrBkSttlmDt"), min=0),
            ),
        ),
    ),
)

_PACS004 = _n(
    "Envelope",
    _APP_HDR,
    _n(
        "Document",
        _n(
            "PmtRtr",
            _n(
                "GrpHdr",
                _n("MsgId"),
                _n("CreDtTm"),
                _n("NbOfTxs"),
                _n("SttlmInf", _n("SttlmMtd")),
            ),
            _n(
                "TxInf",
                _n("RtrId"),
                _n("OrgnlEndToEndId"),
                _n("RtrdIntrBkSttlmAmt", attrs=_BRL),
                _n("SttlmPrty"),
                _n("ChrgBr"),
                _n("RtrRsnInf", _n("Rsn", _n("Cd")), _n("AddtlInf", min=0)),
                _n(
                    "OrgnlTxRef",
                    _n("RmtInf", _n("Ustrd"), min=0),
                    _agent("DbtrAgt"),
                    _agent("CdtrAgt"),
                ),
            ),
        ),
    ),
)

_SPECS = {"pacs.008": _PACS008, "pacs.002": _PACS002, "pacs.004": _PACS004}
_GRP = {
    "pacs.008": "Document/FIToFICstmrCdtTrf/GrpHdr",
    "pacs.002": "Document/FIToFIPmtStsRpt/GrpHdr",
    "pacs.004": "Document/PmtRtr/GrpHdr",
}

# --- field maps: attribute -> (XML path, kind) ------------------------------------------------

_TX8 = "Document/FIToFICstmrCdtTrf/CdtTrfTxInf"
_TX2 = "Document/FIToFIPmtStsRpt/TxInfAndSts"
_TX4 = "Document/PmtRtr/TxInf"


def _party_fields(role: str, party: str, account: str, agent: str) -> dict[str, tuple[str, str]]:
    return {
        f"{role}.tax_id": (f"{_TX8}/{party}/Id/PrvtId/Othr/Id", "text"),
        f"{role}.account_number": (f"{_TX8}/{account}/Id/Othr/Id", "text"),
        f"{role}.branch": (f"{_TX8}/{account}/Id/Othr/Issr", "text"),
        f"{role}.account_type": (f"{_TX8}/{account}/Tp/Cd", "text"),
        f"{role}.ispb": (f"{_TX8}/{agent}/FinInstnId/ClrSysMmbId/MmbId", "text"),
    }


_FIELDS_008: dict[str, tuple[str, str]] = {
    "settlement_method": (f"{_GRP['pacs.008']}/SttlmInf/SttlmMtd", "text"),
    "priority": (f"{_GRP['pacs.008']}/PmtTpInf/InstrPrty", "text"),
    "service_level": (f"{_GRP['pacs.008']}/PmtTpInf/SvcLvl/Prtry", "text"),
    "end_to_end_id": (f"{_TX8}/PmtId/EndToEndId", "text"),
    "tx_id": (f"{_TX8}/PmtId/TxId", "text"),
    "amount_cents": (f"{_TX8}/IntrBkSttlmAmt", "amount"),
    "accepted_at": (f"{_TX8}/AccptncDtTm", "timestamp"),
    "initiation": (f"{_TX8}/MndtRltdInf/Tp/LclInstrm/Prtry", "text"),
    "debtor.name": (f"{_TX8}/Dbtr/Nm", "text"),
    **_party_fields("debtor", "Dbtr", "DbtrAcct", "DbtrAgt"),
    **_party_fields("creditor", "Cdtr", "CdtrAcct", "CdtrAgt"),
    "creditor.pix_key": (f"{_TX8}/CdtrAcct/Prxy/Id", "text"),
    "purpose": (f"{_TX8}/Purp/Cd", "text"),
    "remittance_info": (f"{_TX8}/RmtInf/Ustrd", "text"),
}
_FIELDS_002: dict[str, tuple[str, str]] = {
    "original_instruction_id": (f"{_TX2}/OrgnlInstrId", "text"),
    "original_end_to_end_id": (f"{_TX2}/OrgnlEndToEndId", "text"),
    "status": (f"{_TX2}/TxSts", "text"),
    "reason_code": (f"{_TX2}/StsRsnInf/Rsn/Cd", "text"),
    "additional_info": (f"{_TX2}/StsRsnInf/AddtlInf", "list"),
    "settled_at": (f"{_TX2}/FctvIntrBkSttlmDt/DtTm", "timestamp"),
    "settlement_date": (f"{_TX2}/OrgnlTxRef/IntrBkSttlmDt", "date"),
}
_FIELDS_004: dict[str, tuple[str, str]] = {
    "settlement_method": (f"{_GRP['pacs.004']}/SttlmInf/SttlmMtd", "text"),
    "return_id": (f"{_TX4}/RtrId", "text"),
    "original_end_to_end_id": (f"{_TX4}/OrgnlEndToEndId", "text"),
    "amount_cents": (f"{_TX4}/RtrdIntrBkSttlmAmt", "amount"),
    "priority": (f"{_TX4}/SttlmPrty", "text"),
    "reason_code": (f"{_TX4}/RtrRsnInf/Rsn/Cd", "text"),
    "additional_info": (f"{_TX4}/RtrRsnInf/AddtlInf", "text"),
    "remittance_info": (f"{_TX4}/OrgnlTxRef/RmtInf/Ustrd", "text"),
    "debtor_ispb": (f"{_TX4}/OrgnlTxRef/DbtrAgt/FinInstnId/ClrSysMmbId/MmbId", "text"),
    "creditor_ispb": (f"{_TX4}/OrgnlTxRef/CdtrAgt/FinInstnId/ClrSysMmbId/MmbId", "text"),
}
# fixed content: (XML path, value)
_CONSTANTS = {
    "pacs.008": ((f"{_GRP['pacs.008']}/NbOfTxs", "1"), (f"{_TX8}/ChrgBr", "SLEV")),
    "pacs.002": (),
    "pacs.004": ((f"{_GRP['pacs.004']}/NbOfTxs", "1"), (f"{_TX4}/ChrgBr", "SLEV")),
}
_CONSTANT_WHY = {"NbOfTxs": "only one transaction per message is supported", "ChrgBr": "SLEV"}


def _common_fields(msg_type: str) -> dict[str, tuple[str, str]]:
    return {
        "msg_id": (f"{_GRP[msg_type]}/MsgId", "text"),
        "created_at": (f"{_GRP[msg_type]}/CreDtTm", "timestamp"),
        "sender_ispb": (_HDR_FR, "text"),
        "receiver_ispb": (_HDR_TO, "text"),
    }


# --- formatting and reading values ------------------------------------------------------------


def _format_timestamp(moment: datetime) -> str:
    t = moment.astimezone(UTC)
    return (
        f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
        f".{t.microsecond // 1000:03d}Z"
    )


def _format_amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _format(kind: str, value: Any) -> str | list[str] | None:
    if value is None:
        return None
    if kind == "amount":
        return _format_amount(value)
    if kind == "timestamp":
        return _format_timestamp(value)
    if kind == "date":
        return value.isoformat()
    if kind == "list":
        return list(value) or None
    return str(value)


def _parse_timestamp(path: str, text: str) -> datetime:
    if not _TIMESTAMP.match(text):
        raise Iso20022Error(path, f"must be a UTC time like 2020-01-01T08:30:12.000Z, got {text!r}")
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise Iso20022Error(path, f"is not a real date and time: {text!r}") from None


def _parse_amount(path: str, text: str) -> int:
    match = _AMOUNT.match(text)
    if match is None:
        raise Iso20022Error(
            path, f"must be a decimal amount with a dot and at most 2 places, got {text!r}"
        )
    whole, frac = match.groups()
    return int(whole) * 100 + int((frac or "0").ljust(2, "0"))


def _parse_date(path: str, text: str) -> date:
    if not _DATE.match(text):
        raise Iso20022Error(path, f"must be a date like 2020-01-01, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Iso20022Error(path, f"is not a real date: {text!r}") from None


def _read(kind: str, path: str, value: str | list[str] | None) -> Any:
    if value is None:
        return () if kind == "list" else None
    if kind == "list":
        return tuple(value)
    assert isinstance(value, str)
    if kind == "amount":
        return _parse_amount(path, value)
    if kind == "timestamp":
        return _parse_timestamp(path, value)
    if kind == "date":
        return _parse_date(path, value)
    return value


# --- building ---------------------------------------------------------------------------------


def _join(path: str, tag: str) -> str:
    return f"{path}/{tag}" if path else tag


def _build_children(parent: etree._Element, node: _Node, path: str, values: dict, ns: str) -> None:
    """Write `node`'s children from `values` (XML path -> text or list of texts).

    Absent values are left out, and so is an optional container left empty: which fields are
    required was decided by the dataclass's validation, and the tests re-read every built
    message with the strict parser.
    """
    for child in node.children:
        child_path = _join(path, child.tag)
        if child.opaque:
            etree.SubElement(parent, f"{{{ns}}}{child.tag}")
        elif not child.children:
            value = values.get(child_path)
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                leaf = etree.SubElement(parent, f"{{{ns}}}{child.tag}", dict(child.attrs))
                leaf.text = item
        else:
            element = etree.SubElement(parent, f"{{{ns}}}{child.tag}")
            _build_children(element, child, child_path, values, ns)
            if len(element) == 0:
                if child.min:
                    raise AssertionError(f"{child_path} is required but has no content")
                parent.remove(element)


def _build(msg_type: str, message: Any, fields_map: dict[str, tuple[str, str]]) -> bytes:
    values: dict[str, str | list[str] | None] = {
        "AppHdr/BizMsgIdr": message.msg_id,
        "AppHdr/MsgDefIdr": msg_def_idr(msg_type),
        "AppHdr/CreDt": _format_timestamp(message.created_at),
    }
    values.update(_CONSTANTS[msg_type])
    for attr, (path, kind) in {**_common_fields(msg_type), **fields_map}.items():
        obj = message
        for part in attr.split("."):
            obj = getattr(obj, part)
        values[path] = _format(kind, obj)
    ns = namespace(msg_type)
    root = etree.Element(f"{{{ns}}}Envelope", nsmap={None: ns})
    _build_children(root, _SPECS[msg_type], "", values, ns)
    return _XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def build_pacs008(ct: CreditTransfer) -> bytes:
    """The SPI envelope of a pacs.008, as UTF-8 bytes."""
    if not isinstance(ct, CreditTransfer):
        raise TypeError("build_pacs008 takes a CreditTransfer")
    return _build("pacs.008", ct, _FIELDS_008)


def build_pacs002(status: PaymentStatus) -> bytes:
    """The SPI envelope of a pacs.002, as UTF-8 bytes."""
    if not isinstance(status, PaymentStatus):
        raise TypeError("build_pacs002 takes a PaymentStatus")
    return _build("pacs.002", status, _FIELDS_002)


def build_pacs004(ret: PaymentReturn) -> bytes:
    """The SPI envelope of a pacs.004, as UTF-8 bytes."""
    if not isinstance(ret, PaymentReturn):
        raise TypeError("build_pacs004 takes a PaymentReturn")
    return _build("pacs.004", ret, _FIELDS_004)


# --- parsing ----------------------------------------------------------------------------------


_DECLARED_ENCODING = re.compile(
    r"""\A\ufeff?<\?xml[^>]*?\bencoding\s*=\s*["'](?P<enc>[^"']*)["']"""
)


def _load(xml: bytes | str) -> etree._Element:
    """Parse untrusted bytes safely: no DTD, no entities, no network, bounded size."""
    if isinstance(xml, str):
        try:
            xml = xml.encode("utf-8")
        except UnicodeEncodeError:
            raise Iso20022Error("xml", "text that UTF-8 cannot encode") from None
    if not isinstance(xml, bytes | bytearray | memoryview):
        raise TypeError("xml must be bytes (or str)")
    data = bytes(xml)
    if len(data) > MAX_MESSAGE_BYTES:
        raise Iso20022Error("Envelope", f"message larger than {MAX_MESSAGE_BYTES} bytes")
    # Refuse a DTD before libxml2 sees it: then no entity, internal or external, general or
    # parameter, is ever declared, loaded or expanded. The scan is sound because the bytes
    # must be UTF-8 (as the SPI requires), so "<!DOCTYPE" cannot hide in another encoding.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Iso20022Error("xml", "SPI messages are UTF-8; these bytes are not") from None
    declared = _DECLARED_ENCODING.match(text)
    if declared and declared["enc"].upper() not in ("UTF-8", "UTF8"):
        raise Iso20022Error("xml", f"SPI messages are UTF-8, not {declared['enc']}")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise Iso20022Error("DOCTYPE", "DTDs and entity declarations are not allowed")
    parser = etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise Iso20022Error("xml", f"not well-formed XML: {exc}") from None
    if root is None:
        raise Iso20022Error("xml", "empty document")
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise Iso20022Error("DOCTYPE", "DTDs and entity declarations are not allowed")
    if (info.encoding or "UTF-8").upper() not in ("UTF-8", "UTF8"):
        raise Iso20022Error("xml", f"SPI messages are UTF-8, not {info.encoding}")
    return root


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _walk(element: etree._Element, node: _Node, path: str, ns: str, out: dict) -> None:
    """Check `element` against `node` (like the XSD would) and collect leaf texts in `out`."""
    where = path or node.tag
    if set(element.attrib) != {name for name, _ in node.attrs}:
        raise Iso20022Error(where, f"unexpected or missing attributes {sorted(element.attrib)}")
    for name, value in node.attrs:
        if element.get(name) != value:
            raise Iso20022Error(where, f"attribute {name} must be {value!r}")
    if node.opaque:
        return
    children = list(element)
    if not node.children:
        if children:
            raise Iso20022Error(where, "must hold text, not elements")
        text = element.text or ""
        if not text:
            raise Iso20022Error(where, "must not be empty")
        if node.max > 1:
            out.setdefault(path, []).append(text)
        else:
            out[path] = text
        return
    if (element.text or "").strip():
        raise Iso20022Error(where, "must hold elements, not text")
    for child in children:
        if not isinstance(child.tag, str):
            raise Iso20022Error(where, "entity references are not allowed")
        if (child.tail or "").strip():
            raise Iso20022Error(where, "must hold elements, not text")
        if etree.QName(child).namespace != ns:
            raise Iso20022Error(_join(path, _local(child)), f"element outside the namespace {ns}")
    known = {spec.tag for spec in node.children}
    for child in children:
        if _local(child) not in known:
            raise Iso20022Error(_join(path, _local(child)), "unexpected element (unknown here)")
    i = 0
    for spec in node.children:
        count = 0
        while i < len(children) and _local(children[i]) == spec.tag:
            count += 1
            if count > spec.max:
                raise Iso20022Error(_join(path, spec.tag), f"appears more than {spec.max} time(s)")
            _walk(children[i], spec, _join(path, spec.tag), ns, out)
            i += 1
        if count < spec.min:
            raise Iso20022Error(_join(path, spec.tag), "is missing (or out of order)")
    if i < len(children):
        raise Iso20022Error(_join(path, _local(children[i])), "unexpected element (misplaced)")


def _message_type(root: etree._Element) -> str:
    ns = etree.QName(root).namespace or ""
    for msg_type in SPI_VERSIONS:
        if ns == namespace(msg_type):
            return msg_type
    if ns.startswith("urn:iso:std:iso:20022"):
        raise Iso20022Error(
            "Envelope",
            f"namespace {ns!r} is plain ISO 20022; SPI messages use {namespace('pacs.008')!r} etc.",
        )
    raise Iso20022Error("Envelope", f"unknown or unsupported message namespace {ns!r}")


def _decode(root: etree._Element, msg_type: str) -> dict[str, str | list[str]]:
    if _local(root) != "Envelope":
        raise Iso20022Error(_local(root), "the root element must be Envelope")
    found = _message_type(root)
    if found != msg_type:
        raise Iso20022Error("Envelope", f"this is a {found} message, not a {msg_type}")
    values: dict[str, str | list[str]] = {}
    _walk(root, _SPECS[msg_type], "", namespace(msg_type), values)
    if values["AppHdr/MsgDefIdr"] != msg_def_idr(msg_type):
        raise Iso20022Error(
            "AppHdr/MsgDefIdr",
            f"must be {msg_def_idr(msg_type)} for namespace {namespace(msg_type)}, "
            f"got {values['AppHdr/MsgDefIdr']!r}",
        )
    _parse_timestamp("AppHdr/CreDt", values["AppHdr/CreDt"])  # type: ignore[arg-type]
    if values["AppHdr/BizMsgIdr"] != values[f"{_GRP[msg_type]}/MsgId"]:
        raise Iso20022Error("AppHdr/BizMsgIdr", "must equal GrpHdr/MsgId")
    for path, expected in _CONSTANTS[msg_type]:
        if values[path] != expected:
            why = _CONSTANT_WHY[path.rsplit("/", 1)[1]]
            raise Iso20022Error(path, f"must be {expected} ({why}), got {values[path]!r}")
    return values


@contextmanager
def _at_paths(fields_map: dict[str, tuple[str, str]], prefix: str = "") -> Iterator[None]:
    """Re-raise a dataclass's attribute-named error under the XML path it came from."""
    try:
        yield
    except Iso20022Error as exc:
        path = fields_map.get(prefix + exc.field, (None,))[0]
        if path is None:
            raise
        raise Iso20022Error(path, exc.message) from None


def _kwargs(values: dict, fields_map: dict[str, tuple[str, str]]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for attr, (path, kind) in fields_map.items():
        target = kwargs
        *parents, name = attr.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[name] = _read(kind, path, values.get(path))
    return kwargs


def _construct(cls: Callable[..., Any], values: dict, fields_map: dict) -> Any:
    fields_map = {**_common_fields(_TYPE_OF[cls]), **fields_map}
    kwargs = _kwargs(values, fields_map)
    for role in ("debtor", "creditor"):
        if role in kwargs:
            with _at_paths(fields_map, f"{role}."):
                kwargs[role] = Party(**{k: v for k, v in kwargs[role].items() if v is not None})
    with _at_paths(fields_map):
        return cls(**kwargs)


def parse_pacs008(xml: bytes | str) -> CreditTransfer:
    return _construct(CreditTransfer, _decode(_load(xml), "pacs.008"), _FIELDS_008)


def parse_pacs002(xml: bytes | str) -> PaymentStatus:
    return _construct(PaymentStatus, _decode(_load(xml), "pacs.002"), _FIELDS_002)


def parse_pacs004(xml: bytes | str) -> PaymentReturn:
    return _construct(PaymentReturn, _decode(_load(xml), "pacs.004"), _FIELDS_004)


_TYPE_OF: dict[Any, str] = {
    CreditTransfer: "pacs.008",
    PaymentStatus: "pacs.002",
    PaymentReturn: "pacs.004",
}
_PARSERS = {
    "pacs.008": (CreditTransfer, _FIELDS_008),
    "pacs.002": (PaymentStatus, _FIELDS_002),
    "pacs.004": (PaymentReturn, _FIELDS_004),
}


def parse_message(xml: bytes | str) -> CreditTransfer | PaymentStatus | PaymentReturn:
    """Parse whichever of pacs.008/pacs.002/pacs.004 arrived (an SPI inbox reads all three)."""
    root = _load(xml)
    msg_type = _message_type(root)
    cls, fields_map = _PARSERS[msg_type]
    return _construct(cls, _decode(root, msg_type), fields_map)
