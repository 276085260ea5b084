"""STR messages of the SFN message catalogue (Catalogo de Mensagens e de Arquivos do SFN),
as XML: the ones a TED between customers takes.

* STR0008   IF -> STR: a customer of ours pays a customer of another bank (TED).
* STR0008R1 STR -> sender: the outcome (SitLancSTR 1 = settled), with the STR's NumCtrlSTR.
* STR0008R2 STR -> the credited bank: the TED, to credit to its customer.
* STR0010   IF -> STR: the devolucao of a TED the bank cannot credit, with its reason
            (CodDevTransf) and the original's NumCtrlSTR (NumCtrlSTROr).
* STR0010R1 / STR0010R2: the same two answers for the devolucao.

A message the STR refuses comes back as itself with a `CodErro` attribute on the message
element (the catalogue's error form); `parse` reports it as `error_code`.

Tag names and domains (TpCt CC/PP/PG, TpPessoa F/J, SitLancSTR, CodDevTransf) follow the
catalogue. No maintained Python library covers the SFN catalogue (the one public package
found wraps pydantic models of hundreds of messages; these six are all a TED needs), so the
codec is written here: element order and required tags are checked like the XSD would, and
amounts are parsed as text, never through a float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

NAMESPACE = "http://www.bcb.gov.br/SPB/{code}.xsd"
MAX_MESSAGE_BYTES = 64 * 1024

# The SPB return reasons (CodDevTransf) that Brazilian BaaS APIs expose for TED returns.
RETURN_REASONS = {
    "1": "destination account closed",
    "2": "invalid destination branch or account",
    "3": "missing or divergent CPF/CNPJ",
    "4": "invalid message for the transaction type or purpose",
    "5": "holder divergence",
    "9": "return for fraud",
    "16": "outside business hours",
    "61": "above the destination account's limit",
    "70": "returned at the customer's request",
    "84": "invalid destination account for the type or purpose",
}

# SitLancSTR: the catalogue's settlement situations the STR answers with.
SETTLED = "1"
REJECTED_NO_FUNDS = "5"

_ISPB = r"[0-9A-Z]{8}"
_BRANCH = r"[0-9]{1,4}"
_ACCOUNT = r"[1-9][0-9]{0,12}"
_DOC = r"[0-9A-Z]{11}|[0-9A-Z]{14}"
_AMOUNT = r"(0|[1-9][0-9]{0,16})\.[0-9]{2}"
_DATE = r"\d{4}-\d{2}-\d{2}"
_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"
_CTRL_IF = r"[0-9A-Za-z]{1,20}"
_CTRL_STR = r"STR\d{8}\d{9}"
_TEXT80 = r"[^<>&]{1,80}"

# Each message: its tags in order, (tag, pattern, required).
_PARTIES = [
    ("ISPBIFDebtd", _ISPB, True),
    ("AgDebtd", _BRANCH, False),
    ("TpCtDebtd", r"CC|CD|CG|PG|PP", True),
    ("CtDebtd", _ACCOUNT, False),
    ("TpPessoaDebtd", r"F|J", True),
    ("CNPJ_CPFCliDebtd", _DOC, True),
    ("NomCliDebtd", _TEXT80, True),
    ("ISPBIFCredtd", _ISPB, True),
    ("AgCredtd", _BRANCH, False),
    ("TpCtCredtd", r"CC|CD|CG|PG|PP", True),
    ("CtCredtd", _ACCOUNT, False),
    ("TpPessoaCredtd", r"F|J", True),
    ("CNPJ_CPFCliCredtd", _DOC, True),
    ("NomCliCredtd", _TEXT80, True),
    ("VlrLanc", _AMOUNT, True),
    ("FinlddCli", r"[0-9]{1,5}", True),
    ("Hist", r"[^<>&]{0,200}", False),
]
_ANSWER = [
    ("NumCtrlIF", _CTRL_IF, True),
    ("ISPBIFDebtd", _ISPB, True),
    ("NumCtrlSTR", _CTRL_STR, True),
    ("SitLancSTR", r"[0-9]{1,2}", True),
    ("DtHrSit", _DATETIME, True),
    ("DtMovto", _DATE, True),
]
SCHEMAS: dict[str, list[tuple[str, str, bool]]] = {
    "STR0008": [
        ("NumCtrlIF", _CTRL_IF, True),
        *_PARTIES,
        ("DtAgendt", _DATE, False),
        ("NivelPref", r"[A-D]", False),
        ("DtMovto", _DATE, True),
    ],
    "STR0008R1": _ANSWER,
    "STR0008R2": [
        ("NumCtrlSTR", _CTRL_STR, True),
        ("DtHrBC", _DATETIME, True),
        *_PARTIES,
        ("DtMovto", _DATE, True),
    ],
    "STR0010": [
        ("NumCtrlIF", _CTRL_IF, True),
        ("ISPBIFDebtd", _ISPB, True),
        ("ISPBIFCredtd", _ISPB, True),
        ("VlrLanc", _AMOUNT, True),
        ("CodDevTransf", r"[0-9]{1,2}", True),
        ("NumCtrlSTROr", _CTRL_STR, True),
        ("Hist", r"[^<>&]{0,200}", False),
        ("DtMovto", _DATE, True),
    ],
    "STR0010R1": _ANSWER,
    "STR0010R2": [
        ("NumCtrlSTR", _CTRL_STR, True),
        ("DtHrBC", _DATETIME, True),
        ("ISPBIFDebtd", _ISPB, True),
        ("ISPBIFCredtd", _ISPB, True),
        ("VlrLanc", _AMOUNT, True),
        ("CodDevTransf", r"[0-9]{1,2}", True),
        ("NumCtrlSTROr", _CTRL_STR, True),
        ("Hist", r"[^<>&]{0,200}", False),
        ("DtMovto", _DATE, True),
    ],
}
_COMPILED = {
    code: [(tag, re.compile(rf"(?:{pattern})\Z"), required) for tag, pattern, required in schema]
    for code, schema in SCHEMAS.items()
}
DOCUMENT_TAGS = ("CNPJ_CPFCliDebtd", "CNPJ_CPFCliCredtd")


class StrMessageError(ValueError):
    """A message that does not follow the catalogue: `where` names the tag."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where


@dataclass(frozen=True)
class Message:
    """One STR message: its code (STR0008, ...), its fields by tag, and the routing header."""

    code: str
    fields: dict[str, str]
    sender: str = ""  # IdentdEmissor (ISPB)
    receiver: str = ""  # IdentdDestinatario (ISPB)
    operation: str = ""  # NUOp
    error_code: str = ""  # CodErro, when the STR refused it

    def get(self, tag: str, default: str = "") -> str:
        return self.fields.get(tag, default)

    @property
    def amount_cents(self) -> int:
        return amount_to_cents(self.fields["VlrLanc"])


def cents_to_amount(cents: int) -> str:
    if cents < 0:
        raise ValueError("negative amount")
    return f"{cents // 100}.{cents % 100:02d}"


def amount_to_cents(text: str) -> int:
    whole, _, fraction = text.partition(".")
    return int(whole) * 100 + int(fraction)


def str_control_number(day: date, sequence: int) -> str:
    """NumCtrlSTR: "STR", the date (AAAAMMDD) and a 9-digit sequence of the day."""
    return f"STR{day:%Y%m%d}{sequence % 10**9:09d}"


def timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def build(message: Message) -> bytes:
    """The XML of `message`, checked against its schema first (a bad field never leaves)."""
    validate(message.code, message.fields)
    nsmap = {None: NAMESPACE.format(code=message.code[:7])}
    doc = etree.Element("DOC", nsmap=nsmap)
    header = etree.SubElement(doc, "BCMSG")
    for tag, value in (
        ("IdentdEmissor", message.sender),
        ("IdentdDestinatario", message.receiver),
        ("DomSist", "SPB01"),
        ("NUOp", message.operation),
    ):
        etree.SubElement(header, tag).text = value
    body = etree.SubElement(etree.SubElement(doc, "SISMSG"), message.code)
    if message.error_code:
        body.set("CodErro", message.error_code)
    etree.SubElement(body, "CodMsg").text = message.code
    for tag, _pattern, _required in SCHEMAS[message.code]:
        value = message.fields.get(tag)
        if value not in (None, ""):
            etree.SubElement(body, tag).text = value
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8")


def validate(code: str, fields: dict[str, str]) -> None:
    schema = _COMPILED.get(code)
    if schema is None:
        raise StrMessageError("CodMsg", f"unknown message {code!r}")
    known = {tag for tag, _p, _r in schema}
    for tag in fields:
        if tag not in known:
            raise StrMessageError(tag, f"not a field of {code}")
    for tag, pattern, required in schema:
        value = fields.get(tag, "")
        if value == "":
            if required:
                raise StrMessageError(tag, "required")
            continue
        if not pattern.match(value):
            raise StrMessageError(tag, f"invalid value {mask_value(tag, value)!r}")


def _parse_xml(data: bytes) -> etree._Element:
    if len(data) > MAX_MESSAGE_BYTES:
        raise StrMessageError("DOC", f"larger than {MAX_MESSAGE_BYTES} bytes")
    # The RSFN's messages are UTF-8 and never carry a DTD: refuse one before libxml2 reads it.
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise StrMessageError("DOC", "not UTF-8") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise StrMessageError("DOC", "DTDs are not allowed")
    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise StrMessageError("DOC", f"not well-formed XML: {exc}") from None
    return root


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def parse(data: bytes) -> Message:
    """Read and check one message (any of SCHEMAS); raises StrMessageError."""
    root = _parse_xml(data)
    if not isinstance(root.tag, str) or _local(root) != "DOC":
        raise StrMessageError("DOC", "the root element must be DOC")
    children = [c for c in root if isinstance(c.tag, str)]
    if [_local(c) for c in children] != ["BCMSG", "SISMSG"]:
        raise StrMessageError("DOC", "expected BCMSG then SISMSG")
    header = {_local(c): (c.text or "").strip() for c in children[0] if isinstance(c.tag, str)}
    bodies = [c for c in children[1] if isinstance(c.tag, str)]
    if len(bodies) != 1:
        raise StrMessageError("SISMSG", "exactly one message expected")
    body = bodies[0]
    code = _local(body)
    if code not in SCHEMAS:
        raise StrMessageError("SISMSG", f"unknown message {code!r}")
    fields: dict[str, str] = {}
    order = [tag for tag, _p, _r in SCHEMAS[code]]
    last = -1
    elements = [e for e in body if isinstance(e.tag, str)]
    if not elements or _local(elements[0]) != "CodMsg" or (elements[0].text or "") != code:
        raise StrMessageError("CodMsg", f"must come first and read {code}")
    for element in elements[1:]:
        tag = _local(element)
        if tag not in order:
            raise StrMessageError(tag, f"not a field of {code}")
        position = order.index(tag)
        if position <= last:
            raise StrMessageError(tag, "out of order or repeated")
        last = position
        if len(element):
            raise StrMessageError(tag, "must be a simple value")
        fields[tag] = (element.text or "").strip()
    error_code = body.get("CodErro", "")
    if not error_code:
        validate(code, fields)
    return Message(
        code=code,
        fields=fields,
        sender=header.get("IdentdEmissor", ""),
        receiver=header.get("IdentdDestinatario", ""),
        operation=header.get("NUOp", ""),
        error_code=error_code,
    )


def mask_value(tag: str, value: str) -> str:
    if tag in DOCUMENT_TAGS and len(value) >= 6:
        return value[:3] + "*" * (len(value) - 5) + value[-2:]
    return value


def masked(data: bytes) -> str:
    """The message as text with the CPF/CNPJ of both customers masked: what we keep."""
    text = data.decode("utf-8", errors="replace")
    for tag in DOCUMENT_TAGS:
        text = re.sub(
            rf"(<{tag}>)([^<]*)(</{tag}>)",
            lambda m, tag=tag: m.group(1) + mask_value(tag, m.group(2)) + m.group(3),
            text,
        )
    return text
