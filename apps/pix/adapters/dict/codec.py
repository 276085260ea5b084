"""The DICT's XML documents (API DICT 1.8.0, built as in BACEN's reference examples,
bacen/pix-dict-api): request builders and answer parsers, free of any transport."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime

from apps.core.documents import normalize_tax_id
from apps.core.errors import DomainError
from apps.pix.adapters.dict.errors import ERRORS_BY_TYPE, BadRequest, DictError, DictUnavailable
from apps.pix.adapters.dict.records import (
    LEGAL_PERSON,
    TRANSACTION_SPI,
    DictAccount,
    DictClaimRecord,
    DictEntryRecord,
    DictInfractionData,
    DictInfractionReportRecord,
    DictOwner,
)


def format_datetime(value: datetime) -> str:
    """UTC, 'Z', milliseconds only when there are any: 2010-01-10T03:00:00Z."""
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _account_xml(parent: ET.Element, tag: str, account: DictAccount) -> None:
    node = _sub(parent, tag)
    _sub(node, "Participant", account.participant)
    _sub(node, "Branch", account.branch)
    _sub(node, "AccountNumber", account.account_number)
    _sub(node, "AccountType", account.account_type)
    _sub(node, "OpeningDate", format_datetime(account.opened_at))


def _person_xml(parent: ET.Element, tag: str, owner: DictOwner) -> None:
    node = _sub(parent, tag)
    _sub(node, "Type", owner.type)
    _sub(node, "TaxIdNumber", normalize_tax_id(owner.tax_id))
    _sub(node, "Name", owner.name)
    if owner.type == LEGAL_PERSON and owner.trade_name:
        _sub(node, "TradeName", owner.trade_name)


def _document(root: ET.Element) -> bytes:
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" ?>\n' + body + "\n").encode("utf-8")


def _new_root(tag: str) -> ET.Element:
    root = ET.Element(tag)
    # The XML-DSig enveloped signature goes here; signing needs the participant's
    # ICP-Brasil key and happens in the transport (an HSM in production).
    _sub(root, "Signature", "")
    return root


def build_create_entry(
    *,
    key_type: str,
    key: str | None,
    account: DictAccount,
    owner: DictOwner,
    request_id: uuid.UUID,
    reason: str,
) -> bytes:
    root = _new_root("CreateEntryRequest")
    entry = _sub(root, "Entry")
    if key:
        _sub(entry, "Key", key)
    _sub(entry, "KeyType", key_type)
    _account_xml(entry, "Account", account)
    _person_xml(entry, "Owner", owner)
    _sub(root, "Reason", reason)
    _sub(root, "RequestId", str(request_id))
    return _document(root)


def build_delete_entry(*, key: str, participant: str, reason: str) -> bytes:
    root = _new_root("DeleteEntryRequest")
    _sub(root, "Key", key)
    _sub(root, "Participant", participant)
    _sub(root, "Reason", reason)
    return _document(root)


def build_create_claim(
    *, claim_type: str, key_type: str, key: str, claimer_account: DictAccount, claimer: DictOwner
) -> bytes:
    root = _new_root("CreateClaimRequest")
    claim = _sub(root, "Claim")
    _sub(claim, "Type", claim_type)
    _sub(claim, "Key", key)
    _sub(claim, "KeyType", key_type)
    _account_xml(claim, "ClaimerAccount", claimer_account)
    _person_xml(claim, "Claimer", claimer)
    return _document(root)


def build_claim_action(
    tag: str,
    *,
    claim_id: uuid.UUID,
    participant: str,
    reason: str | None = None,
    request_id: uuid.UUID | None = None,
) -> bytes:
    """AcknowledgeClaimRequest, ConfirmClaimRequest, CancelClaimRequest, CompleteClaimRequest."""
    root = _new_root(tag)
    _sub(root, "ClaimId", str(claim_id))
    _sub(root, "Participant", participant)
    if reason is not None:
        _sub(root, "Reason", reason)
    if request_id is not None:
        _sub(root, "RequestId", str(request_id))
    return _document(root)


def build_check_keys(keys: Iterable[str]) -> bytes:
    root = ET.Element("CheckKeysRequest")
    node = _sub(root, "Keys")
    for key in keys:
        _sub(node, "Key", key)
    return _document(root)


def build_create_infraction_report(
    *,
    participant: str,
    transaction_id: str,
    infraction_type: str,
    details: str,
    transaction_type: str = TRANSACTION_SPI,
    infraction_data: DictInfractionData | None = None,
) -> bytes:
    root = _new_root("CreateInfractionReportRequest")
    _sub(root, "Participant", participant)
    report = _sub(root, "InfractionReport")
    _sub(report, "TransactionId", transaction_id)
    if transaction_type != TRANSACTION_SPI:
        _sub(report, "TransactionType", transaction_type)
        _sub(report, "TransactionResult", "SETTLED")
    _sub(report, "InfractionType", infraction_type)
    if details:
        _sub(report, "ReportDetails", details)
    if infraction_data is not None:
        data = _sub(report, "InfractionData")
        _sub(data, "TaxIdNumber", normalize_tax_id(infraction_data.tax_id))
        if infraction_data.key:
            _sub(data, "Key", infraction_data.key)
        _sub(data, "DebitedParticipant", infraction_data.debited_participant)
        _sub(data, "CreditedParticipant", infraction_data.credited_participant)
        _sub(data, "ReportedBy", infraction_data.reported_by)
        _sub(data, "TransactionDate", format_datetime(infraction_data.transaction_date))
        account = _sub(data, "InfractingAccountData")
        if infraction_data.branch:
            _sub(account, "Branch", infraction_data.branch)
        _sub(account, "AccountNumber", infraction_data.account_number)
    return _document(root)


def build_infraction_action(
    tag: str,
    *,
    report_id: uuid.UUID,
    participant: str,
    result: str | None = None,
    details: str = "",
) -> bytes:
    """AcknowledgeInfractionReportRequest, CancelInfractionReportRequest,
    CloseInfractionReportRequest (with AnalysisResult and AnalysisDetails)."""
    root = _new_root(tag)
    _sub(root, "InfractionReportId", str(report_id))
    _sub(root, "Participant", participant)
    if result is not None:
        _sub(root, "AnalysisResult", result)
    if details:
        _sub(root, "AnalysisDetails", details)
    return _document(root)


class _NoDoctypeBuilder(ET.TreeBuilder):
    """Stops the parse at the start of a DOCTYPE, before expat reads any entity declaration.

    A byte search for "<!DOCTYPE" is not enough: the same declaration in UTF-16 has no such
    bytes, and expat would then expand the entities it declares."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise BadRequest("Refusing an XML document with a DTD.")


def parse_xml(body: bytes) -> ET.Element:
    """Parse a DICT document. Refuses DTDs outright: the DICT never sends one, and that
    closes entity-expansion and external-entity attacks whatever the expat version."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise BadRequest("Refusing an XML document with a DTD.")
    # ruff S314, bandit B314: the builder refuses a DTD in any encoding: no entity is declared.
    parser = ET.XMLParser(target=_NoDoctypeBuilder())  # noqa: S314  # nosec B314
    parser.feed(body)
    return parser.close()


def _text(node: ET.Element | None, tag: str, default: str = "") -> str:
    if node is None:
        return default
    found = node.find(tag)
    return (found.text or "").strip() if found is not None and found.text else default


def _parse_account(node: ET.Element | None) -> DictAccount:
    return DictAccount(
        participant=_text(node, "Participant"),
        branch=_text(node, "Branch"),
        account_number=_text(node, "AccountNumber"),
        account_type=_text(node, "AccountType"),
        opened_at=parse_datetime(_text(node, "OpeningDate")) or datetime.min.replace(tzinfo=UTC),
    )


def _parse_person(node: ET.Element | None) -> DictOwner:
    return DictOwner(
        type=_text(node, "Type"),
        tax_id=_text(node, "TaxIdNumber"),
        name=_text(node, "Name"),
        trade_name=_text(node, "TradeName"),
    )


def parse_entry(node: ET.Element) -> DictEntryRecord:
    return DictEntryRecord(
        key=_text(node, "Key"),
        key_type=_text(node, "KeyType"),
        account=_parse_account(node.find("Account")),
        owner=_parse_person(node.find("Owner")),
        created_at=parse_datetime(_text(node, "CreationDate")),
        key_ownership_date=parse_datetime(_text(node, "KeyOwnershipDate")),
        open_claim_created_at=parse_datetime(_text(node, "OpenClaimCreationDate")),
    )


def parse_claim(node: ET.Element) -> DictClaimRecord:
    return DictClaimRecord(
        id=uuid.UUID(_text(node, "Id")),
        claim_type=_text(node, "Type"),
        key=_text(node, "Key"),
        key_type=_text(node, "KeyType"),
        claimer_account=_parse_account(node.find("ClaimerAccount")),
        claimer=_parse_person(node.find("Claimer")),
        donor_participant=_text(node, "DonorParticipant"),
        status=_text(node, "Status"),
        resolution_period_end=parse_datetime(_text(node, "ResolutionPeriodEnd")),
        completion_period_end=parse_datetime(_text(node, "CompletionPeriodEnd")),
        last_modified=parse_datetime(_text(node, "LastModified")),
        confirm_reason=_text(node, "ConfirmReason"),
        cancel_reason=_text(node, "CancelReason"),
        cancelled_by=_text(node, "CancelledBy"),
    )


def parse_infraction_report(node: ET.Element) -> DictInfractionReportRecord:
    data = node.find("InfractionData")
    return DictInfractionReportRecord(
        id=uuid.UUID(_text(node, "Id")),
        transaction_id=_text(node, "TransactionId"),
        infraction_type=_text(node, "InfractionType"),
        reported_by=_text(node, "ReportedBy") or _text(data, "ReportedBy"),
        status=_text(node, "Status"),
        debited_participant=_text(node, "DebitedParticipant"),
        credited_participant=_text(node, "CreditedParticipant"),
        created_at=parse_datetime(_text(node, "CreationTime")),
        last_modified=parse_datetime(_text(node, "LastModified")),
        details=_text(node, "ReportDetails"),
        transaction_type=_text(node, "TransactionType") or TRANSACTION_SPI,
        analysis_result=_text(node, "AnalysisResult"),
        analysis_details=_text(node, "AnalysisDetails"),
    )


def parse_problem(status_code: int, body: bytes) -> DictError:
    """An RFC 7807 problem (application/problem+xml) -> the matching DictError."""
    try:
        root = parse_xml(body)
    except (ET.ParseError, DomainError):
        return DictUnavailable(f"DICT answered {status_code} without a readable problem.")
    ns = "{urn:ietf:rfc:7807}"
    type_url = _text(root, ns + "type") or _text(root, "type")
    detail = _text(root, ns + "detail") or _text(root, "detail")
    name = type_url.rstrip("/").rsplit("/", 1)[-1]
    cls = ERRORS_BY_TYPE.get(name)
    if cls is None:
        cls = DictUnavailable if status_code >= 500 else BadRequest
    return cls(detail or name)
