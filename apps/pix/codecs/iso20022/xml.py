"""The XML side of the ISO 20022 codec: the catalogue's message trees (element order and
cardinality), building a message's XML from its dataclass and parsing XML back into one."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from lxml import etree

from apps.pix.codecs.iso20022.messages import (
    _AMOUNT,
    _DATE,
    _TIMESTAMP,
    _XML_DECLARATION,
    MAX_MESSAGE_BYTES,
    SPI_VERSIONS,
    CreditTransfer,
    Iso20022Error,
    Party,
    PaymentReturn,
    PaymentStatus,
    msg_def_idr,
    namespace,
)


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
