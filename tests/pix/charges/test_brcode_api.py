"""The BR Code API: /api/v1/pix/brcode/decode and /api/v1/pix/brcode."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from apps.pix.codecs.brcode import crc16_ccitt_false
from apps.pix.keys import services
from tests.support.pix_keys import (
    _clean_sms_outbox,  # noqa: F401  (autouse fixture)
    account_of,
    api_client,
    person,
)

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
DECODE = "/api/v1/pix/brcode/decode"
CREATE = "/api/v1/pix/brcode"
BACEN_STATIC = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)


def with_crc(body: str) -> str:
    """`body` ending in "6304", completed with its right CRC."""
    return body + crc16_ccitt_false(body.encode("utf-8"))


@pytest.fixture
def client():
    return api_client(person())


def decode(client, brcode):
    return client.post(DECODE, {"brcode": brcode}, format="json")


def test_decode_bacen_static_example(client):
    response = decode(client, BACEN_STATIC)
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "type": "static",
        "key": "123e4567-e12b-12d1-a456-426655440000",
        "url": None,
        "amount": None,
        "merchant_name": "Fulano de Tal",
        "merchant_city": "BRASILIA",
        "txid": None,
        "description": None,
    }


def test_decode_is_lenient_on_name_and_city_length(client):
    name, city = "Fulano de Tal da Silva Sauro Jr", "Presidente Prudente"
    long = with_crc(
        "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
        f"520400005303986540510.505802BR59{len(name)}{name}60{len(city)}{city}"
        "62100506ABC1236304"
    )
    body = decode(client, long).json()
    assert body["merchant_name"] == name and body["merchant_city"] == city
    assert body["amount"] == "10.50" and body["txid"] == "ABC123"


def assert_brcode_problem(response, rule: str | None = None) -> str:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    code = body["type"].rsplit("/", 1)[-1]
    assert code.startswith("brcode_")
    if rule is not None:
        assert code == f"brcode_{rule}"
    assert body["detail"]
    assert body["violacoes"][0]["propriedade"] == "brcode"
    return code.removeprefix("brcode_")


def test_flipped_character_is_a_crc_problem(client):
    flipped = BACEN_STATIC.replace("BRASILIA", "BRASILIO")
    assert_brcode_problem(decode(client, flipped), "crc")


def test_wrong_length_with_right_crc_is_a_structural_problem(client):
    wrong = with_crc(BACEN_STATIC[:-4].replace("5913Fulano", "5912Fulano"))
    rule = assert_brcode_problem(decode(client, wrong))
    assert rule != "crc"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "garbage",
        "0" * 10_000,
        BACEN_STATIC + "X" * 600,
        12345,
        None,
        [],
        {"a": 1},
        True,
        "6304ABCD",
        BACEN_STATIC + BACEN_STATIC,
        BACEN_STATIC[:-8],
    ],
)
def test_garbage_is_refused_never_500(client, value):
    response = decode(client, value)
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == PROBLEM


def test_lone_surrogate_is_refused(client):
    raw = '{"brcode": "\\ud800' + BACEN_STATIC[6:] + '"}'
    response = client.post(DECODE, raw, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content


def test_decode_needs_a_brcode_and_authentication(client):
    assert client.post(DECODE, {}, format="json").status_code == 400
    assert client.post(DECODE, "not json", content_type="application/json").status_code == 400
    assert APIClient().post(DECODE, {"brcode": BACEN_STATIC}, format="json").status_code == 401


def test_too_long_is_422(client):
    assert_brcode_problem(decode(client, "0" * 513), "too_long")


def test_create_for_own_active_key_decodes_back(client, settings):
    settings.PIX_MERCHANT_CITY = "São José dos Campos"
    customer = person("José Antônio da Conceição Albuquerque")
    pix_key = services.key_register(account=account_of(customer), key_type="EVP")
    assert pix_key.state == "active"
    own = api_client(customer)
    response = own.post(
        CREATE,
        {"key": pix_key.key, "amount": "12.34", "description": "Pizza", "txid": "PED42"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"brcode", "qr_png_base64"}
    assert base64.b64decode(body["qr_png_base64"]).startswith(b"\x89PNG")
    decoded = decode(own, body["brcode"]).json()
    assert decoded == {
        "type": "static",
        "key": pix_key.key,
        "url": None,
        "amount": "12.34",
        "merchant_name": "Jose Antonio da Conceicao",
        "merchant_city": "Sao Jose dos Ca",
        "txid": "PED42",
        "description": "Pizza",
    }


def test_create_minimal_uses_default_city_and_cpf_key():
    customer = person("Maria Souza Lima")
    services.key_register(account=account_of(customer), key_type="CPF", key=customer.tax_id)
    own = api_client(customer)
    response = own.post(CREATE, {"key": customer.tax_id}, format="json")
    assert response.status_code == 201, response.json()
    decoded = decode(own, response.json()["brcode"]).json()
    assert decoded["key"] == customer.tax_id and decoded["amount"] is None
    assert decoded["merchant_name"] == "Maria Souza Lima"
    assert decoded["merchant_city"] == "SAO PAULO" and decoded["txid"] is None


def test_create_for_someone_elses_key_is_404(client):
    other = person("Carlos Pereira Dias")
    their_key = services.key_register(account=account_of(other), key_type="EVP")
    response = client.post(CREATE, {"key": their_key.key}, format="json")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    unknown = client.post(CREATE, {"key": "nope@example.com"}, format="json")
    assert unknown.status_code == 404


def test_create_refuses_bad_input():
    customer = person()
    pix_key = services.key_register(account=account_of(customer), key_type="EVP")
    own = api_client(customer)
    bad_txid = own.post(CREATE, {"key": pix_key.key, "txid": "has space"}, format="json")
    assert bad_txid.status_code == 400
    assert bad_txid.json()["violacoes"][0]["propriedade"] == "txid"
    bad_amount = own.post(CREATE, {"key": pix_key.key, "amount": "12,34"}, format="json")
    assert bad_amount.status_code == 400
    long_description = own.post(
        CREATE, {"key": pix_key.key, "description": "x" * 60}, format="json"
    )
    assert long_description.status_code == 422
    assert long_description.json()["type"].endswith("brcode_description")


def test_create_needs_authentication():
    response = APIClient().post(CREATE, {"key": "a@b.com"}, format="json")
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
