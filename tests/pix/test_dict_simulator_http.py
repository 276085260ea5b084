"""The production DICT client (XML over mTLS): its documents against the reference examples
of BACEN's DICT API (bacen/pix-dict-api 1.8.0, openapi/examples; Apache License 2.0).

The RSFN is not reachable from here: the client runs over a fake transport that records
what it sends and answers with the reference response documents. The examples are copied
below (verbatim, indentation aside) so the suite does not depend on ../shared; when that
directory is present, a test checks the copies still match it.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from apps.pix.adapters import dict as dict_api
from apps.pix.adapters.dict import (
    DictAccount,
    DictHttpClient,
    DictOwner,
    DictRequester,
    build_claim_action,
    build_create_claim,
    build_create_entry,
    build_delete_entry,
)

REFERENCE = Path(settings.BASE_DIR).parent / "shared/reference/bacen-pix-dict-api/openapi/examples"
CLAIM_ID = uuid.UUID("123e4567-e89b-12d3-a456-426655440000")
REQUEST_ID = uuid.UUID("a946d533-7f22-42a5-9a9b-e87cd55c0f4d")
ACCOUNT = DictAccount(
    participant="12345678",
    branch="0001",
    account_number="0007654321",
    account_type="CACC",
    opened_at=datetime(2010, 1, 10, 3, 0, tzinfo=UTC),
)
OWNER = DictOwner(type="NATURAL_PERSON", tax_id="11122233300", name="João Silva")

EXAMPLES = {
    "entries/CreateEntryRequest.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<CreateEntryRequest>
    <Signature></Signature>
    <Entry>
        <Key>+5561988880000</Key>
        <KeyType>PHONE</KeyType>
        <Account>
            <Participant>12345678</Participant>
            <Branch>0001</Branch>
            <AccountNumber>0007654321</AccountNumber>
            <AccountType>CACC</AccountType>
            <OpeningDate>2010-01-10T03:00:00Z</OpeningDate>
        </Account>
        <Owner>
            <Type>NATURAL_PERSON</Type>
            <TaxIdNumber>11122233300</TaxIdNumber>
            <Name>João Silva</Name>
        </Owner>
    </Entry>
    <Reason>USER_REQUESTED</Reason>
    <RequestId>a946d533-7f22-42a5-9a9b-e87cd55c0f4d</RequestId>
</CreateEntryRequest>""",
    "entries/CreateEntryResponse.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<CreateEntryResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <Entry>
        <Key>11122233300</Key>
        <KeyType>CPF</KeyType>
        <Account>
            <Participant>12345678</Participant>
            <Branch>0001</Branch>
            <AccountNumber>0007654321</AccountNumber>
            <AccountType>CACC</AccountType>
            <OpeningDate>2010-01-10T03:00:00.000Z</OpeningDate>
        </Account>
        <Owner>
            <Type>NATURAL_PERSON</Type>
            <TaxIdNumber>11122233300</TaxIdNumber>
            <Name>João Silva</Name>
        </Owner>
        <CreationDate>2019-11-18T03:00:00.000Z</CreationDate>
        <KeyOwnershipDate>2019-11-18T03:00:00.000Z</KeyOwnershipDate>
    </Entry>
</CreateEntryResponse>""",
    "entries/DeleteEntryRequest.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<DeleteEntryRequest>
    <Signature></Signature>
    <Key>+5561988887777</Key>
    <Participant>12345678</Participant>
    <Reason>ACCOUNT_CLOSURE</Reason>
</DeleteEntryRequest>""",
    "entries/DeleteEntryResponse.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<DeleteEntryResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <Key>+5561988887777</Key>
</DeleteEntryResponse>""",
    "entries/GetEntryResponse.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<GetEntryResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <Entry>
        <Key>11122233300</Key>
        <KeyType>CPF</KeyType>
        <Account>
            <Participant>12345678</Participant>
            <Branch>0001</Branch>
            <AccountNumber>0007654321</AccountNumber>
            <AccountType>CACC</AccountType>
            <OpeningDate>2010-01-10T03:00:00Z</OpeningDate>
        </Account>
        <Owner>
            <Type>NATURAL_PERSON</Type>
            <TaxIdNumber>11122233300</TaxIdNumber>
            <Name>João Silva</Name>
        </Owner>
        <CreationDate>2019-11-18T03:00:00Z</CreationDate>
        <KeyOwnershipDate>2019-11-18T03:00:00Z</KeyOwnershipDate>
        <OpenClaimCreationDate>2019-11-19T03:00:00Z</OpenClaimCreationDate>
    </Entry>
    <Statistics>
        <LastUpdated>2020-01-17T10:00:00Z</LastUpdated>
        <Counters>
            <Counter type="SETTLEMENTS" by="KEY" d3="0" d30="5" m6="30"/>
        </Counters>
    </Statistics>
</GetEntryResponse>""",
    "claims/CreateClaimRequest.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<CreateClaimRequest>
    <Signature></Signature>
    <Claim>
        <Type>OWNERSHIP</Type>
        <Key>+5561988887777</Key>
        <KeyType>PHONE</KeyType>
        <ClaimerAccount>
            <Participant>12345678</Participant>
            <Branch>0001</Branch>
            <AccountNumber>0007654321</AccountNumber>
            <AccountType>CACC</AccountType>
            <OpeningDate>2010-01-10T03:00:00Z</OpeningDate>
        </ClaimerAccount>
        <Claimer>
            <Type>NATURAL_PERSON</Type>
            <TaxIdNumber>11122233300</TaxIdNumber>
            <Name>João Silva</Name>
        </Claimer>
    </Claim>
</CreateClaimRequest>""",
    "claims/CreateClaimResponse.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<CreateClaimResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <Claim>
        <Type>OWNERSHIP</Type>
        <Key>+5561988887777</Key>
        <KeyType>PHONE</KeyType>
        <ClaimerAccount>
            <Participant>12345678</Participant>
            <Branch>0001</Branch>
            <AccountNumber>0007654321</AccountNumber>
            <AccountType>CACC</AccountType>
            <OpeningDate>2010-01-10T03:00:00.000Z</OpeningDate>
        </ClaimerAccount>
        <Claimer>
            <Type>NATURAL_PERSON</Type>
            <TaxIdNumber>11122233300</TaxIdNumber>
            <Name>João Silva</Name>
        </Claimer>
        <DonorParticipant>87654321</DonorParticipant>
        <Id>123e4567-e89b-12d3-a456-426655440000</Id>
        <Status>OPEN</Status>
        <CompletionPeriodEnd>2020-01-17T10:00:00.000Z</CompletionPeriodEnd>
        <ResolutionPeriodEnd>2020-01-17T10:00:00.000Z</ResolutionPeriodEnd>
        <LastModified>2020-01-10T10:00:00.000Z</LastModified>
    </Claim>
</CreateClaimResponse>""",
    "claims/AcknowledgeClaimRequest.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<AcknowledgeClaimRequest>
    <Signature></Signature>
    <ClaimId>123e4567-e89b-12d3-a456-426655440000</ClaimId>
    <Participant>12345678</Participant>
</AcknowledgeClaimRequest>""",
    "claims/ConfirmClaimRequest.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<ConfirmClaimRequest>
    <Signature></Signature>
    <ClaimId>123e4567-e89b-12d3-a456-426655440000</ClaimId>
    <Participant>12345678</Participant>
    <Reason>USER_REQUESTED</Reason>
</ConfirmClaimRequest>""",
    "claims/CancelClaimRequest.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<CancelClaimRequest>
    <Signature></Signature>
    <ClaimId>123e4567-e89b-12d3-a456-426655440000</ClaimId>
    <Participant>12345678</Participant>
    <Reason>USER_REQUESTED</Reason>
</CancelClaimRequest>""",
    "claims/CancelClaimResponse.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<CancelClaimResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <Claim>
        <Type>OWNERSHIP</Type>
        <Key>+5561988887777</Key>
        <KeyType>PHONE</KeyType>
        <ClaimerAccount>
            <Participant>12345678</Participant>
            <Branch>0001</Branch>
            <AccountNumber>0007654321</AccountNumber>
            <AccountType>CACC</AccountType>
            <OpeningDate>2010-01-10T03:00:00.000Z</OpeningDate>
        </ClaimerAccount>
        <Claimer>
            <Type>NATURAL_PERSON</Type>
            <TaxIdNumber>11122233300</TaxIdNumber>
            <Name>João Silva</Name>
        </Claimer>
        <DonorParticipant>87654321</DonorParticipant>
        <Id>123e4567-e89b-12d3-a456-426655440000</Id>
        <Status>CANCELLED</Status>
        <ResolutionPeriodEnd>2020-01-17T10:00:00.000Z</ResolutionPeriodEnd>
        <CompletionPeriodEnd>2020-01-17T10:00:00.000Z</CompletionPeriodEnd>
        <LastModified>2020-01-10T10:00:00.000Z</LastModified>
        <CancelReason>FRAUD</CancelReason>
        <CancelledBy>CLAIMER</CancelledBy>
    </Claim>
</CancelClaimResponse>""",
    "claims/CompleteClaimRequest.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<CompleteClaimRequest>
    <Signature></Signature>
    <ClaimId>123e4567-e89b-12d3-a456-426655440000</ClaimId>
    <Participant>12345678</Participant>
    <RequestId>a946d533-7f22-42a5-9a9b-e87cd55c0f4d</RequestId>
</CompleteClaimRequest>""",
    "claims/CompleteClaimResponse.xml": """<?xml version="1.0" encoding="UTF-8" ?>
<CompleteClaimResponse>
    <Signature></Signature>
    <ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
    <CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
    <Claim>
        <Type>OWNERSHIP</Type>
        <Key>+5561988887777</Key>
        <KeyType>PHONE</KeyType>
        <ClaimerAccount>
            <Participant>12345678</Participant>
            <Branch>0001</Branch>
            <AccountNumber>0007654321</AccountNumber>
            <AccountType>CACC</AccountType>
            <OpeningDate>2010-01-10T03:00:00.000Z</OpeningDate>
        </ClaimerAccount>
        <Claimer>
            <Type>NATURAL_PERSON</Type>
            <TaxIdNumber>11122233300</TaxIdNumber>
            <Name>João Silva</Name>
        </Claimer>
        <DonorParticipant>87654321</DonorParticipant>
        <Id>123e4567-e89b-12d3-a456-426655440000</Id>
        <Status>COMPLETED</Status>
        <ResolutionPeriodEnd>2020-01-17T10:00:00.000Z</ResolutionPeriodEnd>
        <CompletionPeriodEnd>2020-01-17T10:00:00.000Z</CompletionPeriodEnd>
        <LastModified>2020-01-10T10:00:00.000Z</LastModified>
        <ConfirmReason>DEFAULT_OPERATION</ConfirmReason>
    </Claim>
    <EntryCreationDate>2020-01-10T10:00:00.000Z</EntryCreationDate>
    <KeyOwnershipDate>2019-11-18T03:00:00.000Z</KeyOwnershipDate>
</CompleteClaimResponse>""",
}

NOT_FOUND = b"""<?xml version="1.0" encoding="UTF-8"?>
<problem xmlns="urn:ietf:rfc:7807">
  <type>https://dict.pi.rsfn.net.br/api/v1/error/NotFound</type>
  <title>Not found</title>
  <status>404</status>
  <detail>Entry associated with given key does not exist</detail>
</problem>"""
RATE_LIMITED = b"""<?xml version="1.0" encoding="UTF-8"?>
<problem xmlns="urn:ietf:rfc:7807">
  <type>https://dict.pi.rsfn.net.br/api/v1/error/RateLimited</type>
  <title>Rate limited</title>
  <status>429</status>
</problem>"""


def canonical(document: bytes | str) -> tuple:
    """Tag, trimmed text, attributes and children: what a document says, not its layout."""
    if isinstance(document, str):
        document = document.encode("utf-8")
    return _canon(ET.fromstring(document))  # noqa: S314  (our own documents)


def _canon(node: ET.Element) -> tuple:
    return (
        node.tag,
        (node.text or "").strip(),
        tuple(sorted(node.attrib.items())),
        tuple(_canon(child) for child in node),
    )


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="../shared reference not present")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_copies_match_the_reference_examples(name):
    original = (REFERENCE / name).read_bytes()
    copy = canonical(EXAMPLES[name])
    if name == "entries/GetEntryResponse.xml":  # our copy keeps one counter of twelve
        reference = canonical(original)
        assert reference[3][:4] == copy[3][:4]  # Signature, ResponseTime, Id, Entry
        return
    assert canonical(original) == copy


def test_create_entry_request_is_the_reference_document():
    body = build_create_entry(
        key_type="PHONE",
        key="+5561988880000",
        account=ACCOUNT,
        owner=OWNER,
        request_id=REQUEST_ID,
        reason="USER_REQUESTED",
    )
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8" ?>')
    assert canonical(body) == canonical(EXAMPLES["entries/CreateEntryRequest.xml"])


def test_evp_creation_sends_no_key():
    body = build_create_entry(
        key_type="EVP",
        key=None,
        account=ACCOUNT,
        owner=OWNER,
        request_id=REQUEST_ID,
        reason="USER_REQUESTED",
    )
    assert ET.fromstring(body).find("Entry/Key") is None  # noqa: S314


def test_delete_entry_request_is_the_reference_document():
    body = build_delete_entry(
        key="+5561988887777", participant="12345678", reason="ACCOUNT_CLOSURE"
    )
    assert canonical(body) == canonical(EXAMPLES["entries/DeleteEntryRequest.xml"])


def test_claim_requests_are_the_reference_documents():
    create = build_create_claim(
        claim_type="OWNERSHIP",
        key_type="PHONE",
        key="+5561988887777",
        claimer_account=ACCOUNT,
        claimer=OWNER,
    )
    assert canonical(create) == canonical(EXAMPLES["claims/CreateClaimRequest.xml"])
    for tag, extra in (
        ("AcknowledgeClaimRequest", {}),
        ("ConfirmClaimRequest", {"reason": "USER_REQUESTED"}),
        ("CancelClaimRequest", {"reason": "USER_REQUESTED"}),
        ("CompleteClaimRequest", {"request_id": REQUEST_ID}),
    ):
        body = build_claim_action(tag, claim_id=CLAIM_ID, participant="12345678", **extra)
        assert canonical(body) == canonical(EXAMPLES[f"claims/{tag}.xml"]), tag


class FakeDict:
    """A transport answering reference documents and recording the requests."""

    def __init__(self, answers: dict[tuple[str, str], tuple[int, bytes]]):
        self.answers = answers
        self.sent: list[tuple[str, str, bytes | None, dict]] = []

    def __call__(self, method, path, body, headers):
        self.sent.append((method, path, body, headers))
        route = (method, path.split("?")[0])
        return self.answers[route]


def ok(name: str) -> tuple[int, bytes]:
    return 200, EXAMPLES[name].encode("utf-8")


def test_the_http_client_speaks_the_reference_documents():
    fake = FakeDict(
        {
            ("POST", "entries/"): (201, EXAMPLES["entries/CreateEntryResponse.xml"].encode()),
            ("GET", "entries/11122233300"): ok("entries/GetEntryResponse.xml"),
            ("POST", "entries/%2B5561988887777/delete"): ok("entries/DeleteEntryResponse.xml"),
            ("POST", "claims/"): (201, EXAMPLES["claims/CreateClaimResponse.xml"].encode()),
            ("POST", f"claims/{CLAIM_ID}/cancel"): ok("claims/CancelClaimResponse.xml"),
            ("POST", f"claims/{CLAIM_ID}/complete"): ok("claims/CompleteClaimResponse.xml"),
        }
    )
    client = DictHttpClient("12345678", base_url="https://dict.test/api/v1", transport=fake)
    entry = client.create_entry(
        key_type="PHONE", key="+5561988880000", account=ACCOUNT, owner=OWNER, request_id=REQUEST_ID
    )
    assert canonical(fake.sent[-1][2]) == canonical(EXAMPLES["entries/CreateEntryRequest.xml"])
    assert fake.sent[-1][3]["Content-Type"] == "application/xml"
    assert entry.key == "11122233300" and entry.owner.name == "João Silva"
    assert entry.created_at == datetime(2019, 11, 18, 3, 0, tzinfo=UTC)

    payer = DictRequester(payer_id="529.982.247-25", category="PF", participant="12345678")
    looked = client.get_entry(key="11122233300", requester=payer, end_to_end_id="E1234")
    headers = fake.sent[-1][3]
    assert headers["PI-PayerId"] == "52998224725" and headers["PI-RequestingParticipant"] == (
        "12345678"
    )
    assert headers["PI-EndToEndId"] == "E1234"
    assert looked.masked_owner_name == "João S." and looked.masked_tax_id == "***.222.333-**"
    assert looked.open_claim_created_at == datetime(2019, 11, 19, 3, 0, tzinfo=UTC)

    client.delete_entry(key="+5561988887777", reason="ACCOUNT_CLOSURE")
    assert canonical(fake.sent[-1][2]) == canonical(EXAMPLES["entries/DeleteEntryRequest.xml"])

    claim = client.create_claim(
        claim_type="OWNERSHIP",
        key_type="PHONE",
        key="+5561988887777",
        claimer_account=ACCOUNT,
        claimer=OWNER,
    )
    assert claim.id == CLAIM_ID and claim.status == "OPEN" and claim.donor_participant == "87654321"
    assert claim.resolution_period_end == datetime(2020, 1, 17, 10, 0, tzinfo=UTC)

    cancelled = client.cancel_claim(claim_id=CLAIM_ID, reason="USER_REQUESTED")
    assert canonical(fake.sent[-1][2]) == canonical(EXAMPLES["claims/CancelClaimRequest.xml"])
    assert (cancelled.status, cancelled.cancel_reason, cancelled.cancelled_by) == (
        "CANCELLED",
        "FRAUD",
        "CLAIMER",
    )
    completed, new_entry = client.complete_claim(claim_id=CLAIM_ID, request_id=REQUEST_ID)
    assert canonical(fake.sent[-1][2]) == canonical(EXAMPLES["claims/CompleteClaimRequest.xml"])
    assert completed.status == "COMPLETED" and completed.confirm_reason == "DEFAULT_OPERATION"
    assert new_entry.created_at == datetime(2020, 1, 10, 10, 0, tzinfo=UTC)


def test_problems_become_the_dicts_error_types():
    fake = FakeDict(
        {
            ("GET", "entries/nobody%40example.com"): (404, NOT_FOUND),
            ("GET", "entries/someone%40example.com"): (429, RATE_LIMITED),
            ("POST", "entries/"): (503, b"gateway down"),
        }
    )
    client = DictHttpClient("12345678", transport=fake)
    payer = DictRequester(payer_id="52998224725", category="PF", participant="12345678")
    with pytest.raises(dict_api.EntryNotFound, match="does not exist"):
        client.get_entry(key="nobody@example.com", requester=payer)
    with pytest.raises(dict_api.RateLimited) as excinfo:
        client.get_entry(key="someone@example.com", requester=payer)
    assert excinfo.value.status_code == 429
    with pytest.raises(dict_api.DictUnavailable):
        client.create_entry(
            key_type="EVP", key=None, account=ACCOUNT, owner=OWNER, request_id=REQUEST_ID
        )


def test_documents_with_a_dtd_are_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(dict_api.BadRequest):
        dict_api.parse_xml(bomb)


def test_a_dtd_in_utf16_is_refused_too():
    # "<!DOCTYPE" in UTF-16 has no such bytes; expat would read it and expand the entity.
    bomb = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(dict_api.BadRequest):
        dict_api.parse_xml(bomb.encode("utf-16"))
    assert dict_api.parse_xml("<x>ok</x>".encode("utf-16")).text == "ok"


def test_list_claims_query():
    listing = (
        b"""<?xml version="1.0" encoding="UTF-8" ?>
<ListClaimsResponse><Signature></Signature><ResponseTime>2020-01-10T10:00:00.000Z</ResponseTime>
<CorrelationId>a9f13566e19f5ca51329479a5bae60c5</CorrelationId>
<HasMoreElements>true</HasMoreElements><Claims>"""
        + (
            EXAMPLES["claims/CancelClaimResponse.xml"]
            .split("<Claim>", 1)[1]
            .split("</Claim>", 1)[0]
            .join(["<Claim>", "</Claim>"])
            .encode()
        )
        + b"</Claims></ListClaimsResponse>"
    )
    fake = FakeDict({("GET", "claims/"): (200, listing)})
    client = DictHttpClient("12345678", transport=fake)
    page = client.list_claims(
        is_donor=True, statuses=["OPEN", "WAITING_RESOLUTION"], modified_after=datetime(
            2020, 1, 1, tzinfo=UTC), limit=500
    )  # fmt: skip
    path = fake.sent[-1][1]
    assert path.startswith("claims/?Participant=12345678&IsDonor=true&Status=OPEN")
    assert "ModifiedAfter=2020-01-01T00%3A00%3A00Z" in path and path.endswith("Limit=200")
    assert page.has_more and [c.status for c in page.claims] == ["CANCELLED"]
