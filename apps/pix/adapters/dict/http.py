"""`DictHttpClient`: the production DICT client. The DICT speaks XML over mTLS with
XML-DSig signatures (apps.pix.adapters.xmldsig); the documents are those of `codec`. The
RSFN is not reachable from here: this client is tested on BACEN's reference documents."""

from __future__ import annotations

import logging
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from apps.core.documents import normalize_tax_id
from apps.pix.adapters.dict.client import DictClient
from apps.pix.adapters.dict.codec import (
    _text,
    build_check_keys,
    build_claim_action,
    build_create_claim,
    build_create_entry,
    build_create_infraction_report,
    build_delete_entry,
    build_infraction_action,
    format_datetime,
    parse_claim,
    parse_datetime,
    parse_entry,
    parse_infraction_report,
    parse_problem,
    parse_xml,
)
from apps.pix.adapters.dict.errors import DictUnavailable, EntryNotFound, InfractionReportNotFound
from apps.pix.adapters.dict.records import (
    FRAUD_INFRACTION,
    TRANSACTION_SPI,
    USER_REQUESTED,
    ClaimPage,
    DictAccount,
    DictClaimRecord,
    DictEntryRecord,
    DictInfractionData,
    DictInfractionReportRecord,
    DictOwner,
)
from apps.pix.adapters.xmldsig import SignatureError, read_pem, sign_document, verify_document

logger = logging.getLogger(__name__)

Transport = Callable[[str, str, bytes | None, dict[str, str]], tuple[int, bytes]]


class DictHttpClient(DictClient):
    """DICT over HTTPS with mutual TLS; XML documents as in API DICT 1.8.0."""

    def __init__(
        self,
        participant: str | None = None,
        *,
        base_url: str | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.participant = participant or settings.ATHENA_ISPB
        self.base_url = (base_url or settings.PIX_DICT_URL).rstrip("/") + "/"
        self.transport = transport or self._requests_transport
        signing = (
            settings.PIX_DICT_SIGNING_KEY,
            settings.PIX_DICT_SIGNING_CERT,
            settings.PIX_DICT_VERIFY_CERT,
        )
        if not all(signing) and not (settings.DEBUG or settings.TESTING):
            raise ImproperlyConfigured(
                "The DICT http client signs its requests and checks the DICT's signatures: "
                "set PIX_DICT_SIGNING_KEY, PIX_DICT_SIGNING_CERT and PIX_DICT_VERIFY_CERT."
            )

    def _requests_transport(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:  # pragma: no cover - the RSFN is not reachable from here
        import requests

        cert = None
        if settings.PIX_DICT_CLIENT_CERT:
            cert = (settings.PIX_DICT_CLIENT_CERT, settings.PIX_DICT_CLIENT_KEY)
        try:
            response = requests.request(
                method,
                self.base_url + path,
                data=body,
                headers=headers,
                cert=cert,
                verify=settings.PIX_DICT_CA_BUNDLE or True,
                timeout=settings.PIX_DICT_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise DictUnavailable(f"DICT unreachable: {type(exc).__name__}") from exc
        return response.status_code, response.content

    def _call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> ET.Element:
        all_headers = {"Accept": "application/xml", "Accept-Encoding": "gzip"}
        if body is not None:
            all_headers["Content-Type"] = "application/xml"
        all_headers.update(headers or {})
        if body is not None and settings.PIX_DICT_SIGNING_KEY:
            body = sign_document(
                body,
                key_pem=read_pem(settings.PIX_DICT_SIGNING_KEY),
                cert_pem=read_pem(settings.PIX_DICT_SIGNING_CERT),
            )
        status_code, payload = self.transport(method, path, body, all_headers)
        if status_code >= 400:
            raise parse_problem(status_code, payload)
        if settings.PIX_DICT_VERIFY_CERT:
            parse_xml(payload)  # refuses a DTD before anything else reads the document
            try:
                payload = verify_document(payload, cert_pem=read_pem(settings.PIX_DICT_VERIFY_CERT))
            except SignatureError as exc:
                logger.error("DICT answer refused: %s", exc)
                raise DictUnavailable("The DICT's answer is not signed by the DICT.") from exc
        return parse_xml(payload)

    def create_entry(
        self,
        *,
        key_type: str,
        key: str | None,
        account: DictAccount,
        owner: DictOwner,
        request_id: uuid.UUID,
        reason: str = USER_REQUESTED,
        now: datetime | None = None,
    ) -> DictEntryRecord:
        body = build_create_entry(
            key_type=key_type,
            key=key,
            account=account,
            owner=owner,
            request_id=request_id,
            reason=reason,
        )
        return parse_entry(self._call("POST", "entries/", body).find("Entry"))

    def delete_entry(self, *, key, reason=USER_REQUESTED, now=None) -> None:
        body = build_delete_entry(key=key, participant=self.participant, reason=reason)
        self._call("POST", f"entries/{_quote(key)}/delete", body)

    def get_entry(self, *, key, requester, end_to_end_id="", now=None) -> DictEntryRecord:
        headers = {
            "PI-RequestingParticipant": requester.participant,
            "PI-PayerId": normalize_tax_id(requester.payer_id),
            "PI-EndToEndId": end_to_end_id,
        }
        return parse_entry(self._call("GET", f"entries/{_quote(key)}", None, headers).find("Entry"))

    def check_keys(self, *, keys) -> dict[str, bool]:
        root = self._call("POST", "keys/check", build_check_keys(keys))
        return {
            (node.text or "").strip(): node.get("hasEntry") == "true" for node in root.iter("Key")
        }

    def payment_sent(self, *, end_to_end_id, now=None) -> None:
        # The DICT credits the token itself when it sees the payment order (PI-EndToEndId
        # sent with the look-up): nothing to send.
        return None

    def create_claim(
        self,
        *,
        claim_type: str,
        key_type: str,
        key: str,
        claimer_account: DictAccount,
        claimer: DictOwner,
        now: datetime | None = None,
    ) -> DictClaimRecord:
        body = build_create_claim(
            claim_type=claim_type,
            key_type=key_type,
            key=key,
            claimer_account=claimer_account,
            claimer=claimer,
        )
        return parse_claim(self._call("POST", "claims/", body).find("Claim"))

    def _claim_action(self, action: str, tag: str, claim_id, **fields) -> ET.Element:
        body = build_claim_action(tag, claim_id=claim_id, participant=self.participant, **fields)
        return self._call("POST", f"claims/{claim_id}/{action}", body)

    def acknowledge_claim(self, *, claim_id, now=None) -> DictClaimRecord:
        root = self._claim_action("acknowledge", "AcknowledgeClaimRequest", claim_id)
        return parse_claim(root.find("Claim"))

    def confirm_claim(self, *, claim_id, reason, now=None) -> DictClaimRecord:
        root = self._claim_action("confirm", "ConfirmClaimRequest", claim_id, reason=reason)
        return parse_claim(root.find("Claim"))

    def cancel_claim(self, *, claim_id, reason, now=None) -> DictClaimRecord:
        root = self._claim_action("cancel", "CancelClaimRequest", claim_id, reason=reason)
        return parse_claim(root.find("Claim"))

    def complete_claim(self, *, claim_id, request_id, now=None):
        root = self._claim_action(
            "complete", "CompleteClaimRequest", claim_id, request_id=request_id
        )
        record = parse_claim(root.find("Claim"))
        entry = DictEntryRecord(
            key=record.key,
            key_type=record.key_type,
            account=record.claimer_account,
            owner=record.claimer,
            created_at=parse_datetime(_text(root, "EntryCreationDate")),
            key_ownership_date=parse_datetime(_text(root, "KeyOwnershipDate")),
        )
        return record, entry

    def get_claim(self, *, claim_id, now=None) -> DictClaimRecord:
        root = self._call(
            "GET", f"claims/{claim_id}", None, {"PI-RequestingParticipant": self.participant}
        )
        return parse_claim(root.find("Claim"))

    def list_claims(
        self,
        *,
        is_donor: bool | None = None,
        is_claimer: bool | None = None,
        statuses: Iterable[str] = (),
        modified_after: datetime | None = None,
        limit: int = 200,
        now: datetime | None = None,
    ) -> ClaimPage:
        from urllib.parse import urlencode

        query: list[tuple[str, str]] = [("Participant", self.participant)]
        if is_donor is not None:
            query.append(("IsDonor", str(bool(is_donor)).lower()))
        if is_claimer is not None:
            query.append(("IsClaimer", str(bool(is_claimer)).lower()))
        query.extend(("Status", s) for s in statuses)
        if modified_after is not None:
            query.append(("ModifiedAfter", format_datetime(modified_after)))
        query.append(("Limit", str(max(1, min(int(limit), 200)))))
        root = self._call("GET", "claims/?" + urlencode(query))
        claims = [parse_claim(node) for node in root.iter("Claim")]
        return ClaimPage(claims=claims, has_more=_text(root, "HasMoreElements") == "true")

    # --- infraction reports (MED) -----------------------------------------------------------

    def _infraction_call(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> DictInfractionReportRecord:
        try:
            node = self._call(method, path, body, headers).find("InfractionReport")
            if node is None:
                raise DictUnavailable("The DICT answered without an infraction report.")
            return parse_infraction_report(node)
        except EntryNotFound as exc:  # the DICT's generic NotFound
            raise InfractionReportNotFound(exc.message) from exc
        except (ET.ParseError, ValueError, TypeError) as exc:
            raise DictUnavailable(f"Unreadable answer of the DICT ({type(exc).__name__}).") from exc

    def create_infraction_report(
        self,
        *,
        transaction_id: str,
        details: str = "",
        infraction_type: str = FRAUD_INFRACTION,
        transaction_type: str = TRANSACTION_SPI,
        infraction_data: DictInfractionData | None = None,
        situation: str = "",
        now: datetime | None = None,
    ) -> DictInfractionReportRecord:
        body = build_create_infraction_report(
            participant=self.participant,
            transaction_id=transaction_id,
            infraction_type=infraction_type,
            details=details,
            transaction_type=transaction_type,
            infraction_data=infraction_data,
        )
        return self._infraction_call("POST", "infraction-reports/", body)

    def _infraction_action(self, action: str, tag: str, report_id, **fields):
        body = build_infraction_action(
            tag, report_id=report_id, participant=self.participant, **fields
        )
        return self._infraction_call("POST", f"infraction-reports/{report_id}/{action}", body)

    def acknowledge_infraction_report(self, *, report_id, now=None) -> DictInfractionReportRecord:
        return self._infraction_action(
            "acknowledge", "AcknowledgeInfractionReportRequest", report_id
        )

    def close_infraction_report(
        self, *, report_id, result, details="", now=None
    ) -> DictInfractionReportRecord:
        return self._infraction_action(
            "close", "CloseInfractionReportRequest", report_id, result=result, details=details
        )

    def cancel_infraction_report(self, *, report_id, now=None) -> DictInfractionReportRecord:
        return self._infraction_action("cancel", "CancelInfractionReportRequest", report_id)

    def get_infraction_report(self, *, report_id, now=None) -> DictInfractionReportRecord:
        return self._infraction_call(
            "GET",
            f"infraction-reports/{report_id}",
            None,
            {"PI-RequestingParticipant": self.participant},
        )


def _quote(key: str) -> str:
    from urllib.parse import quote

    return quote(key, safe="")
