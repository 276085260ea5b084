"""MED in the DICT: the simulator's infraction-report rules, and the production client's XML
against the reference examples of BACEN's DICT API (bacen/pix-dict-api 1.8.0,
openapi/examples/infractions; Apache License 2.0), spoken to a real HTTP server in a thread.

The examples are copied below (whitespace inside text normalised) so the suite does not
depend on ../shared; when that directory is present, a test checks the copies match it.
"""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from apps.pix.adapters import dict as dict_api
from apps.pix.adapters.dict import (
    DictHttpClient,
    DictInfractionData,
    build_create_infraction_report,
    build_infraction_action,
)
from apps.pix.med import services as med
from apps.pix.models import InfractionReport
from apps.simulators.dict.other_psps import report_infraction_as_other_psp
from apps.simulators.dict.simulator import DictSimulator
from tests.factories.ledger import funded_account
from tests.support.pix_keys import BB, ITAU, person
from tests.support.pix_med import fraudster, receive, reported, spend
from tests.support.pix_transfers import key_elsewhere

REFERENCE = (
    Path(settings.BASE_DIR).parent
    / "shared/reference/bacen-pix-dict-api/openapi/examples/infractions"
)
REPORT_ID = uuid.UUID("91d65e98-97c0-4b0f-b577-73625da1f9fc")
SCAM = InfractionReport.Situation.SCAM

EXAMPLES = {
    "CreateInfractionReportRequest-SPISettled": """<?xml version="1.0" encoding="UTF-8" ?>
<CreateInfractionReportRequest>
    <Signature></Signature>
    <Participant>99999010</Participant>
    <InfractionReport>
        <TransactionId>E9999901012341234123412345678900</TransactionId>
        <InfractionType>FRAUD</InfractionType>
        <ReportDetails>Transação feita através de QR Code falso em boleto</ReportDetails>
    </InfractionReport>
</CreateInfractionReportRequest>""",
    "CreateInfractionReportResponse-SPISettled": """<?xml version="1.0" encoding="UTF-8" ?>
<CreateInfractionReportResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <InfractionReport>
        <TransactionId>E9999901012341234123412345678900</TransactionId>
        <InfractionType>FRAUD</InfractionType>
        <ReportedBy>DEBITED_PARTICIPANT</ReportedBy>
        <ReportDetails>Transação feita através de QR Code falso em boleto</ReportDetails>
        <Id>91d65e98-97c0-4b0f-b577-73625da1f9fc</Id>
        <Status>OPEN</Status>
        <DebitedParticipant>99999010</DebitedParticipant>
        <CreditedParticipant>99999011</CreditedParticipant>
        <CreationTime>2020-01-17T10:00:00.000Z</CreationTime>
        <LastModified>2020-01-17T10:00:00.000Z</LastModified>
    </InfractionReport>
</CreateInfractionReportResponse>""",
    "CreateInfractionReportRequest-INTERNALSettled": """<?xml version="1.0" encoding="UTF-8" ?>
<CreateInfractionReportRequest>
    <Signature></Signature>
    <Participant>99999010</Participant>
    <InfractionReport>
        <TransactionId>12345679XPTO1234</TransactionId>
        <TransactionType>INTERNAL</TransactionType>
        <TransactionResult>SETTLED</TransactionResult>
        <InfractionType>FRAUD</InfractionType>
        <ReportDetails>Transação feita através de QR Code falso em boleto</ReportDetails>
        <InfractionData>
            <TaxIdNumber>11122233300</TaxIdNumber>
            <Key>+5561988880000</Key>
            <DebitedParticipant>99999010</DebitedParticipant>
            <CreditedParticipant>99999003</CreditedParticipant>
            <ReportedBy>DEBITED_PARTICIPANT</ReportedBy>
            <TransactionDate>2021-10-10T10:00:00Z</TransactionDate>
            <InfractingAccountData>
                <Branch>0001</Branch>
                <AccountNumber>0007654321</AccountNumber>
            </InfractingAccountData>
        </InfractionData>
    </InfractionReport>
</CreateInfractionReportRequest>""",
    "CreateInfractionReportResponse-INTERNALSettled": """<?xml version="1.0" encoding="UTF-8" ?>
<CreateInfractionReportResponse>
    <Signature></Signature>
    <ResponseTime>2020-11-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <InfractionReport>
        <TransactionId>12345679XPTO1234</TransactionId>
        <TransactionType>INTERNAL</TransactionType>
        <TransactionResult>SETTLED</TransactionResult>
        <InfractionData>
            <TaxIdNumber>11122233300</TaxIdNumber>
            <Key>+5561988880000</Key>
            <DebitedParticipant>99999010</DebitedParticipant>
            <CreditedParticipant>99999003</CreditedParticipant>
            <ReportedBy>DEBITED_PARTICIPANT</ReportedBy>
            <TransactionDate>2021-10-10T10:00:00.000Z</TransactionDate>
            <InfractingAccountData>
                <Branch>0001</Branch>
                <AccountNumber>0007654321</AccountNumber>
            </InfractingAccountData>
        </InfractionData>
        <InfractionType>FRAUD</InfractionType>
        <ReportDetails>Transação feita através de QR Code falso em boleto</ReportDetails>
        <Id>91d65e98-97c0-4b0f-b577-73625da1f9fc</Id>
        <Status>OPEN</Status>
        <DebitedParticipant>99999010</DebitedParticipant>
        <CreditedParticipant>99999003</CreditedParticipant>
        <ReportedBy>DEBITED_PARTICIPANT</ReportedBy>
        <CreationTime>2021-11-10T10:00:00.000Z</CreationTime>
        <LastModified>2021-11-10T10:00:00.000Z</LastModified>
    </InfractionReport>
</CreateInfractionReportResponse>""",
    "AcknowledgeInfractionReportRequest": """<?xml version="1.0" encoding="UTF-8" ?>
<AcknowledgeInfractionReportRequest>
    <Signature></Signature>
    <InfractionReportId>91d65e98-97c0-4b0f-b577-73625da1f9fc</InfractionReportId>
    <Participant>12345678</Participant>
</AcknowledgeInfractionReportRequest>""",
    "AcknowledgeInfractionReportResponse": """<?xml version="1.0" encoding="UTF-8" ?>
<AcknowledgeInfractionReportResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <InfractionReport>
        <TransactionId>E9999901012341234123412345678900</TransactionId>
        <InfractionType>FRAUD</InfractionType>
        <ReportedBy>DEBITED_PARTICIPANT</ReportedBy>
        <ReportDetails>Transação feita através de QR Code falso em boleto</ReportDetails>
        <Id>91d65e98-97c0-4b0f-b577-73625da1f9fc</Id>
        <Status>CLOSED</Status>
        <DebitedParticipant>99999010</DebitedParticipant>
        <CreditedParticipant>99999011</CreditedParticipant>
        <CreationTime>2020-01-17T10:00:00.000Z</CreationTime>
        <LastModified>2020-01-17T10:00:00.000Z</LastModified>
    </InfractionReport>
</AcknowledgeInfractionReportResponse>""",
    "CloseInfractionReportRequest": """<?xml version="1.0" encoding="UTF-8" ?>
<CloseInfractionReportRequest>
    <Signature></Signature>
    <InfractionReportId>91d65e98-97c0-4b0f-b577-73625da1f9fc</InfractionReportId>
    <Participant>12345678</Participant>
    <AnalysisResult>AGREED</AnalysisResult>
    <AnalysisDetails>
        Valor bloqueado. Para mais informações, contactar central antifraude em
        11 3000-00000, informando ID 9999.
    </AnalysisDetails>
</CloseInfractionReportRequest>""",
    "CloseInfractionReportResponse": """<?xml version="1.0" encoding="UTF-8" ?>
<CloseInfractionReportResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <InfractionReport>
        <TransactionId>E9999901012341234123412345678900</TransactionId>
        <InfractionType>FRAUD</InfractionType>
        <ReportedBy>DEBITED_PARTICIPANT</ReportedBy>
        <ReportDetails>Transação feita através de QR Code falso em boleto</ReportDetails>
        <Id>91d65e98-97c0-4b0f-b577-73625da1f9fc</Id>
        <Status>CLOSED</Status>
        <DebitedParticipant>99999010</DebitedParticipant>
        <CreditedParticipant>99999011</CreditedParticipant>
        <CreationTime>2020-01-17T10:00:00.000Z</CreationTime>
        <LastModified>2020-01-17T10:00:00.000Z</LastModified>
        <AnalysisResult>AGREED</AnalysisResult>
        <AnalysisDetails>
            Valor bloqueado. Para mais informações, contactar central antifraude em
            11 3000-00000, informando ID 9999.
        </AnalysisDetails>
    </InfractionReport>
</CloseInfractionReportResponse>""",
    "CancelInfractionReportRequest": """<?xml version="1.0" encoding="UTF-8" ?>
<CancelInfractionReportRequest>
    <Signature></Signature>
    <InfractionReportId>91d65e98-97c0-4b0f-b577-73625da1f9fc</InfractionReportId>
    <Participant>12345678</Participant>
</CancelInfractionReportRequest>""",
    "CancelInfractionReportResponse": """<?xml version="1.0" encoding="UTF-8" ?>
<CancelInfractionReportResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <InfractionReport>
        <TransactionId>E9999901012341234123412345678900</TransactionId>
        <InfractionType>FRAUD</InfractionType>
        <ReportedBy>DEBITED_PARTICIPANT</ReportedBy>
        <ReportDetails>Transação feita através de QR Code falso em boleto</ReportDetails>
        <Id>91d65e98-97c0-4b0f-b577-73625da1f9fc</Id>
        <Status>CANCELLED</Status>
        <DebitedParticipant>99999010</DebitedParticipant>
        <CreditedParticipant>99999011</CreditedParticipant>
        <CreationTime>2020-01-17T10:00:00.000Z</CreationTime>
        <LastModified>2020-01-17T10:00:00.000Z</LastModified>
    </InfractionReport>
</CancelInfractionReportResponse>""",
    "GetInfractionReportResponse": """<?xml version="1.0" encoding="UTF-8" ?>
<GetInfractionReportResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <InfractionReport>
        <TransactionId>E9999901012341234123412345678900</TransactionId>
        <InfractionType>FRAUD</InfractionType>
        <ReportedBy>DEBITED_PARTICIPANT</ReportedBy>
        <ReportDetails>Transação feita através de QR Code falso em boleto</ReportDetails>
        <Id>91d65e98-97c0-4b0f-b577-73625da1f9fc</Id>
        <Status>ACKNOWLEDGED</Status>
        <DebitedParticipant>99999010</DebitedParticipant>
        <CreditedParticipant>99999011</CreditedParticipant>
        <CreationTime>2020-01-17T10:00:00.000Z</CreationTime>
        <LastModified>2020-01-17T10:00:00.000Z</LastModified>
    </InfractionReport>
</GetInfractionReportResponse>""",
}


def canonical(document: bytes | str) -> tuple:
    """Tag, text (whitespace normalised), attributes, children: what a document says."""
    if isinstance(document, str):
        document = document.encode("utf-8")
    return _canon(ET.fromstring(document))  # noqa: S314  (our own documents)


def _canon(node: ET.Element) -> tuple:
    return (
        node.tag,
        " ".join((node.text or "").split()),
        tuple(sorted(node.attrib.items())),
        tuple(_canon(child) for child in node),
    )


def example(name: str) -> str:
    return EXAMPLES[name]


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


# --- the production client: documents, over real HTTP ---------------------------------------


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared reference not present")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_copies_match_the_reference_examples(name):
    original = (REFERENCE / f"{name}.xml").read_bytes()
    assert canonical(original) == canonical(EXAMPLES[name])


def test_requests_are_the_reference_documents():
    spi = build_create_infraction_report(
        participant="99999010",
        transaction_id="E9999901012341234123412345678900",
        infraction_type="FRAUD",
        details="Transação feita através de QR Code falso em boleto",
    )
    assert spi.startswith(b'<?xml version="1.0" encoding="UTF-8" ?>')
    assert canonical(spi) == canonical(example("CreateInfractionReportRequest-SPISettled"))
    internal = build_create_infraction_report(
        participant="99999010",
        transaction_id="12345679XPTO1234",
        infraction_type="FRAUD",
        details="Transação feita através de QR Code falso em boleto",
        transaction_type="INTERNAL",
        infraction_data=DictInfractionData(
            tax_id="111.222.333-00",
            key="+5561988880000",
            debited_participant="99999010",
            credited_participant="99999003",
            reported_by="DEBITED_PARTICIPANT",
            transaction_date=datetime(2021, 10, 10, 10, 0, tzinfo=UTC),
            branch="0001",
            account_number="0007654321",
        ),
    )
    assert canonical(internal) == canonical(
        example("CreateInfractionReportRequest-INTERNALSettled")
    )
    for tag, extra in (
        ("AcknowledgeInfractionReportRequest", {}),
        ("CancelInfractionReportRequest", {}),
        ("CloseInfractionReportRequest", {"result": "AGREED", "details": ANALYSIS}),
    ):
        body = build_infraction_action(tag, report_id=REPORT_ID, participant="12345678", **extra)
        assert canonical(body) == canonical(example(tag)), tag


ANALYSIS = (
    "Valor bloqueado. Para mais informações, contactar central antifraude em "
    "11 3000-00000, informando ID 9999."
)

NOT_FOUND = b"""<?xml version="1.0" encoding="UTF-8"?>
<problem xmlns="urn:ietf:rfc:7807">
  <type>https://dict.pi.rsfn.net.br/api/v1/error/NotFound</type>
  <title>Not found</title>
  <status>404</status>
  <detail>Infraction report not found</detail>
</problem>"""
ALREADY_OPEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<problem xmlns="urn:ietf:rfc:7807">
  <type>https://dict.pi.rsfn.net.br/api/v1/error/InfractionReportAlreadyBeingProcessedForTransaction</type>
  <title>Infraction report already being processed</title>
  <status>409</status>
  <detail>There is an open infraction report for this transaction</detail>
</problem>"""


class FakeDictServer:
    """A real HTTP server on 127.0.0.1 answering canned documents per (method, path) and
    recording each request: the DICT as the client's HTTP stack sees it."""

    def __init__(self, routes: dict[tuple[str, str], tuple[int, bytes]]):
        self.routes = routes
        self.requests: list[tuple[str, str, dict, bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((self.command, self.path, dict(self.headers), body))
                status, payload = server.routes.get((self.command, self.path), (404, NOT_FOUND))
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/api/v1/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def test_the_http_client_speaks_the_reference_documents():
    base = "/api/v1/infraction-reports/"
    routes = {
        ("POST", base): (201, example("CreateInfractionReportResponse-SPISettled").encode()),
        ("POST", f"{base}{REPORT_ID}/acknowledge"): (
            200,
            example("AcknowledgeInfractionReportResponse").encode(),
        ),
        ("POST", f"{base}{REPORT_ID}/close"): (
            200,
            example("CloseInfractionReportResponse").encode(),
        ),
        ("POST", f"{base}{REPORT_ID}/cancel"): (
            200,
            example("CancelInfractionReportResponse").encode(),
        ),
        ("GET", f"{base}{REPORT_ID}"): (200, example("GetInfractionReportResponse").encode()),
    }
    with FakeDictServer(routes) as server:
        client = DictHttpClient("99999010", base_url=server.url)
        created = client.create_infraction_report(
            transaction_id="E9999901012341234123412345678900",
            details="Transação feita através de QR Code falso em boleto",
        )
        method, path, headers, body = server.requests[-1]
        assert (method, path) == ("POST", base)
        assert headers["Content-Type"] == "application/xml"
        assert canonical(body) == canonical(example("CreateInfractionReportRequest-SPISettled"))
        assert created.id == REPORT_ID and created.status == "OPEN"
        assert created.reported_by == dict_api.DEBITED_PARTICIPANT
        assert (created.debited_participant, created.credited_participant) == (
            "99999010",
            "99999011",
        )
        assert created.reporter_participant == "99999010"
        assert created.created_at == datetime(2020, 1, 17, 10, 0, tzinfo=UTC)
        assert created.situation == ""  # API DICT 1.8.0 has no element for it

        client.acknowledge_infraction_report(report_id=REPORT_ID)
        sent = server.requests[-1][3].replace(b"99999010", b"12345678")
        assert canonical(sent) == canonical(example("AcknowledgeInfractionReportRequest"))

        closed = client.close_infraction_report(
            report_id=REPORT_ID, result="AGREED", details=ANALYSIS
        )
        sent = server.requests[-1][3].replace(b"99999010", b"12345678")
        assert canonical(sent) == canonical(example("CloseInfractionReportRequest"))
        assert closed.status == "CLOSED" and closed.analysis_result == "AGREED"
        assert " ".join(closed.analysis_details.split()) == ANALYSIS

        cancelled = client.cancel_infraction_report(report_id=REPORT_ID)
        assert cancelled.status == "CANCELLED"
        got = client.get_infraction_report(report_id=REPORT_ID)
        assert got.status == "ACKNOWLEDGED"
        assert server.requests[-1][2]["PI-RequestingParticipant"] == "99999010"


def test_the_http_client_reads_an_internal_report():
    routes = {
        ("POST", "/api/v1/infraction-reports/"): (
            201,
            example("CreateInfractionReportResponse-INTERNALSettled").encode(),
        )
    }
    with FakeDictServer(routes) as server:
        record = DictHttpClient("99999010", base_url=server.url).create_infraction_report(
            transaction_id="12345679XPTO1234",
            transaction_type="INTERNAL",
            infraction_data=DictInfractionData(
                tax_id="11122233300",
                debited_participant="99999010",
                credited_participant="99999003",
                reported_by="DEBITED_PARTICIPANT",
                transaction_date=datetime(2021, 10, 10, 10, 0, tzinfo=UTC),
                account_number="0007654321",
            ),
        )
    assert record.transaction_type == "INTERNAL" and record.transaction_id == "12345679XPTO1234"
    assert record.reported_by == "DEBITED_PARTICIPANT"


def test_the_http_client_turns_problems_into_the_dicts_errors():
    base = "/api/v1/infraction-reports/"
    routes = {
        ("POST", base): (409, ALREADY_OPEN),
        ("POST", f"{base}{REPORT_ID}/close"): (503, b"upstream down"),
        ("POST", f"{base}{REPORT_ID}/cancel"): (200, b"<CancelInfractionReportResponse/>"),
        ("GET", f"{base}{REPORT_ID}"): (200, b"<<<not xml"),
    }
    with FakeDictServer(routes) as server:
        client = DictHttpClient("99999010", base_url=server.url)
        with pytest.raises(dict_api.InfractionReportAlreadyBeingProcessedForTransaction) as exc:
            client.create_infraction_report(transaction_id="E9999901012341234123412345678900")
        assert exc.value.status_code == 409
        with pytest.raises(dict_api.InfractionReportNotFound):
            client.acknowledge_infraction_report(report_id=REPORT_ID)  # not routed: 404
        with pytest.raises(dict_api.DictUnavailable):
            client.close_infraction_report(report_id=REPORT_ID, result="AGREED")
        with pytest.raises(dict_api.DictUnavailable):
            client.cancel_infraction_report(report_id=REPORT_ID)
        with pytest.raises(dict_api.DictUnavailable):
            client.get_infraction_report(report_id=REPORT_ID)


# --- the simulator: the DICT's rules ---------------------------------------------------------


@pytest.mark.django_db
def test_the_transaction_must_exist_be_settled_and_be_recent(django_capture_on_commit_callbacks):
    ours = DictSimulator()
    with pytest.raises(dict_api.InfractionReportTransactionNotFound):
        ours.create_infraction_report(transaction_id="E00000000202601011200abcdefghijk")
    payer = funded_account(50_000, customer=person())
    with django_capture_on_commit_callbacks(execute=True):
        # An account number starting with 9 does not exist at the other PSP: RJCT AC03.
        from apps.pix.transfers.services.send import pix_send

        rejected = pix_send(account=payer, key=key_elsewhere(number="91234567"), amount_cents=100)
    with pytest.raises(dict_api.InfractionReportTransactionNotSettled):
        ours.create_infraction_report(transaction_id=rejected.end_to_end_id)
    sent = spend(payer, 1_000, django_capture_on_commit_callbacks)
    with pytest.raises(dict_api.InfractionReportPeriodExpired):
        ours.create_infraction_report(
            transaction_id=sent.end_to_end_id, now=timezone.now() + timedelta(days=81)
        )
    record = ours.create_infraction_report(
        transaction_id=sent.end_to_end_id, now=timezone.now() + timedelta(days=79)
    )
    assert record.status == "OPEN" and record.reported_by == dict_api.DEBITED_PARTICIPANT


@pytest.mark.django_db
def test_malformed_reports_are_refused(django_capture_on_commit_callbacks):
    payer = funded_account(50_000, customer=person())
    sent = spend(payer, 1_000, django_capture_on_commit_callbacks)
    ours = DictSimulator()
    data = DictInfractionData(
        tax_id="11122233300",
        debited_participant=settings.ATHENA_ISPB,
        credited_participant=settings.ATHENA_ISPB,
        reported_by=dict_api.DEBITED_PARTICIPANT,
        transaction_date=timezone.now(),
        account_number="12345",
    )
    bad = [
        {"transaction_id": "E1"},
        {"transaction_id": "E-9999901012341234123412345678900"},
        {"infraction_type": "THEFT"},
        {"details": "x" * 2001},
        {"infraction_data": data},  # an SPI transaction carries no InfractionData
        {"transaction_type": "INTERNAL"},  # ... and an INTERNAL one needs it
        {"transaction_type": "TED"},
        {
            "transaction_type": "INTERNAL",
            "infraction_data": replace(data, credited_participant=BB),
        },
        {
            "transaction_type": "INTERNAL",
            "infraction_data": replace(data, account_number="12-3"),
        },
        {
            "transaction_type": "INTERNAL",
            "infraction_data": replace(data, tax_id="123"),
        },
    ]
    for override in bad:
        kwargs = {"transaction_id": sent.end_to_end_id, **override}
        with pytest.raises(dict_api.InfractionReportInvalid):
            ours.create_infraction_report(**kwargs)


@pytest.mark.django_db
def test_one_report_per_transaction_and_side(django_capture_on_commit_callbacks):
    payer = funded_account(50_000, customer=person())
    sent = spend(payer, 1_000, django_capture_on_commit_callbacks)
    report = med.infraction_report_open(transfer=sent, situation=SCAM, details="", actor=None)
    with pytest.raises(dict_api.InfractionReportAlreadyBeingProcessedForTransaction):
        DictSimulator().create_infraction_report(transaction_id=sent.end_to_end_id)
    # The credited side (the payee's PSP) may report the same Pix on its own side.
    theirs = DictSimulator(BB).create_infraction_report(transaction_id=sent.end_to_end_id)
    assert theirs.reported_by == dict_api.CREDITED_PARTICIPANT
    with pytest.raises(dict_api.DictForbidden):  # not a party
        DictSimulator(ITAU).create_infraction_report(transaction_id=sent.end_to_end_id)
    with pytest.raises(dict_api.DictForbidden):
        DictSimulator(ITAU).get_infraction_report(report_id=report.dict_report_id)
    with pytest.raises(dict_api.InfractionReportNotFound):
        DictSimulator().get_infraction_report(report_id=uuid.uuid4())


@pytest.mark.django_db
def test_who_may_acknowledge_close_and_cancel():
    account = fraudster()
    pix = receive(account, 10_000)
    report = reported(pix)  # BB (debited) reports; we (credited) analyse
    ours, theirs = DictSimulator(), DictSimulator(BB)
    report_id = report.dict_report_id

    with pytest.raises(dict_api.DictForbidden):
        theirs.acknowledge_infraction_report(report_id=report_id)
    with pytest.raises(dict_api.InfractionReportOperationInvalid):
        ours.close_infraction_report(report_id=report_id, result="AGREED")  # not acknowledged
    with pytest.raises(dict_api.DictForbidden):
        ours.cancel_infraction_report(report_id=report_id)  # only the creator cancels
    assert theirs.cancel_infraction_report(report_id=report_id).status == "CANCELLED"
    assert ours.acknowledge_infraction_report(report_id=report_id).status == "ACKNOWLEDGED"
    with pytest.raises(dict_api.InfractionReportInvalid):
        ours.close_infraction_report(report_id=report_id, result="MAYBE")

    med.infraction_report_acknowledge(report=report, actor=None)
    again = ours.acknowledge_infraction_report(report_id=report_id)  # idempotent
    assert again.status == "ACKNOWLEDGED"
    closing = ours.close_infraction_report(report_id=report_id, result="DISAGREED", details="ok")
    assert (closing.status, closing.analysis_result) == ("CLOSED", "DISAGREED")

    med.infraction_report_close(report=report, result="DISAGREED", details="ok", actor=None)
    same = ours.close_infraction_report(report_id=report_id, result="DISAGREED")
    assert same.status == "CLOSED"  # idempotent
    with pytest.raises(dict_api.InfractionReportOperationInvalid):
        ours.close_infraction_report(report_id=report_id, result="AGREED")
    with pytest.raises(dict_api.InfractionReportOperationInvalid):
        theirs.cancel_infraction_report(report_id=report_id)
    with pytest.raises(dict_api.InfractionReportAlreadyProcessedForTransaction):
        reported(pix)


@pytest.mark.django_db
def test_our_own_reports_are_not_delivered_as_another_psps():
    pix = receive(fraudster(), 1_000)
    with pytest.raises(dict_api.DictForbidden):
        report_infraction_as_other_psp(
            reporter=settings.ATHENA_ISPB, end_to_end_id=pix.end_to_end_id
        )


@pytest.mark.django_db
def test_management_command_delivers_a_report():
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    account = fraudster()
    pix = receive(account, 4_200)
    out = StringIO()
    call_command("med_receive_report", pix.end_to_end_id, "--details", "golpe", stdout=out)
    report = InfractionReport.objects.get(transfer=pix)
    assert report.reporter_participant == BB and report.details == "golpe"
    assert "R$ 42,00" in out.getvalue()
    with pytest.raises(CommandError, match="in progress"):
        call_command("med_receive_report", pix.end_to_end_id, stdout=out)
    with pytest.raises(CommandError, match="No Pix"):
        call_command("med_receive_report", "E00000000202601011200abcdefghijk", stdout=out)


# XML 1.0 characters our services let through (see med_common._check_text).
XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11"
        "\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\ufffe\uffff\r",
    ),
    max_size=300,
)


@given(details=XML_TEXT, analysis=XML_TEXT)
def test_any_text_survives_the_xml_documents(details, analysis):
    """Whatever a customer or an officer writes reaches the DICT as written (escaping of
    <, &, quotes, accents, emoji)."""
    create = ET.fromstring(  # noqa: S314  (our own document)
        build_create_infraction_report(
            participant="99999010",
            transaction_id="E9999901012341234123412345678900",
            infraction_type="FRAUD",
            details=details,
        )
    )
    assert (create.findtext("InfractionReport/ReportDetails") or "") == details
    close = ET.fromstring(  # noqa: S314
        build_infraction_action(
            "CloseInfractionReportRequest",
            report_id=REPORT_ID,
            participant="99999010",
            result="AGREED",
            details=analysis,
        )
    )
    assert (close.findtext("AnalysisDetails") or "") == analysis
