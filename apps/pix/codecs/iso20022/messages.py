"""The ISO 20022 messages of the SPI as Python values: constants, enumerations, the
validating dataclasses (Party, CreditTransfer, PaymentStatus, PaymentReturn) and Iso20022Error."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TypeVar

from apps.pix.codecs import e2e

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


# --- field maps: attribute -> (XML path, kind) ------------------------------------------------


# --- formatting and reading values ------------------------------------------------------------


# --- building ---------------------------------------------------------------------------------


# --- parsing ----------------------------------------------------------------------------------
