"""XML-DSig of DICT documents (API DICT, "Assinatura digital"): the http client signs what
it sends and accepts only answers signed by the DICT's certificate."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

from apps.pix.adapters import dict as dict_api
from apps.pix.adapters.dict import DictHttpClient, DictRequester, build_delete_entry
from apps.pix.adapters.xmldsig import SignatureError, sign_document, verify_document
from tests.factories.certificates import self_signed
from tests.pix.test_dict_simulator_http import ACCOUNT, EXAMPLES, OWNER, REQUEST_ID, FakeDict

DSIG = "{http://www.w3.org/2000/09/xmldsig#}"


def key_pair(common_name: str) -> tuple[bytes, bytes]:
    return self_signed(common_name)


@pytest.fixture(scope="module")
def ours():
    return key_pair("ATHENA PAY IP SA:13140088000199")


@pytest.fixture(scope="module")
def the_dict():
    return key_pair("BANCO CENTRAL DO BRASIL DICT")


@pytest.fixture(scope="module")
def stranger():
    return key_pair("SOMEONE ELSE")


def delete_request() -> bytes:
    return build_delete_entry(key="+5561988887777", participant="12345678", reason="FRAUD")


def test_a_signed_document_has_the_dicts_layout_and_algorithms(ours):
    signed = sign_document(delete_request(), key_pem=ours[0], cert_pem=ours[1])

    root = etree.fromstring(signed)
    assert root[0].tag == f"{DSIG}Signature"  # first, where the examples put it
    assert root.find("Signature") is None  # the empty slot is gone
    algorithms = {node.get("Algorithm") for node in root.iter() if node.get("Algorithm")}
    assert algorithms == {
        "http://www.w3.org/2001/10/xml-exc-c14n#",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/04/xmlenc#sha256",
    }
    assert root.find(f".//{DSIG}Reference").get("URI") == ""  # the whole document
    assert root.find(f".//{DSIG}X509Certificate").text.strip()


def test_verification_gives_back_only_the_signed_content(ours):
    signed = sign_document(delete_request(), key_pem=ours[0], cert_pem=ours[1])
    content = etree.fromstring(verify_document(signed, cert_pem=ours[1]))
    assert content.findtext("Reason") == "FRAUD"
    assert content.find(f"{DSIG}Signature") is None


@pytest.mark.parametrize("case", ["other signer", "tampered", "unsigned", "not xml"])
def test_what_the_expected_signer_did_not_sign_is_refused(ours, stranger, case):
    signed = sign_document(delete_request(), key_pem=ours[0], cert_pem=ours[1])
    document, cert = {
        "other signer": (signed, stranger[1]),
        "tampered": (signed.replace(b"FRAUD", b"USER_REQUESTED"), ours[1]),
        "unsigned": (delete_request(), ours[1]),
        "not xml": (b"<<<", ours[1]),
    }[case]
    with pytest.raises(SignatureError):
        verify_document(document, cert_pem=cert)


# --- The http client ------------------------------------------------------------------------


@pytest.fixture
def signing(settings, tmp_path, ours, the_dict):
    paths = {}
    for name, data in (
        ("key", ours[0]),
        ("cert", ours[1]),
        ("dict", the_dict[1]),
    ):
        path = tmp_path / f"{name}.pem"
        path.write_bytes(data)
        paths[name] = str(path)
    settings.PIX_DICT_SIGNING_KEY = paths["key"]
    settings.PIX_DICT_SIGNING_CERT = paths["cert"]
    settings.PIX_DICT_VERIFY_CERT = paths["dict"]


def dict_answer(name: str, signer, status: int = 200) -> tuple[int, bytes]:
    body = EXAMPLES[name].encode()
    return status, sign_document(body, key_pem=signer[0], cert_pem=signer[1])


def test_the_client_signs_its_writes_and_checks_the_dicts_answers(signing, ours, the_dict):
    fake = FakeDict(
        {
            ("POST", "entries/"): dict_answer("entries/CreateEntryResponse.xml", the_dict, 201),
            ("GET", "entries/11122233300"): dict_answer("entries/GetEntryResponse.xml", the_dict),
        }
    )
    client = DictHttpClient("12345678", transport=fake)

    entry = client.create_entry(
        key_type="PHONE", key="+5561988880000", account=ACCOUNT, owner=OWNER, request_id=REQUEST_ID
    )
    looked = client.get_entry(
        key="11122233300",
        requester=DictRequester(payer_id="52998224725", category="PF", participant="12345678"),
    )

    assert entry.key == "11122233300" and looked.masked_owner_name == "João S."
    sent = fake.sent[0][2]
    request = etree.fromstring(verify_document(sent, cert_pem=ours[1]))  # signed by us
    assert request.tag == "CreateEntryRequest" and request.findtext("Entry/Key") == "+5561988880000"
    assert fake.sent[1][2] is None  # a look-up has no body to sign


@pytest.mark.parametrize("answer", ["signed by someone else", "unsigned", "tampered"])
def test_an_answer_not_signed_by_the_dict_is_refused(signing, the_dict, stranger, answer):
    name = "entries/GetEntryResponse.xml"
    body = {
        "signed by someone else": dict_answer(name, stranger)[1],
        "unsigned": EXAMPLES[name].encode(),
        "tampered": dict_answer(name, the_dict)[1].replace(b"11122233300", b"99988877766"),
    }[answer]
    client = DictHttpClient(
        "12345678", transport=FakeDict({("GET", "entries/11122233300"): (200, body)})
    )
    payer = DictRequester(payer_id="52998224725", category="PF", participant="12345678")

    with pytest.raises(dict_api.DictUnavailable, match="not signed by the DICT"):
        client.get_entry(key="11122233300", requester=payer)


def test_production_refuses_a_dict_client_that_cannot_sign(settings):
    settings.DEBUG = False
    settings.TESTING = False
    settings.PIX_DICT_SIGNING_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="PIX_DICT_SIGNING_KEY"):
        DictHttpClient("12345678", transport=FakeDict({}))
