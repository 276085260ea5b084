"""Helpers shared by the API Pix charges tests (cob, cobv, loc, payloads); no tests here."""

from __future__ import annotations

import datetime as dt
import uuid

import jwt
from django.conf import settings as django_settings
from django.test import Client

from apps.accounts.models import Account, Customer
from apps.pix.keys.services import key_register
from apps.pix.models import PixTransfer
from apps.pix.transfers.services.receive import pix_receive
from tests.factories.ledger import funded_account
from tests.support.pix_keys import api_client, company, new_cpf
from tests.support.pix_payments import inbound_xml

BACEN = "https://pix.bcb.gov.br/api/v2/error/"
PROBLEM = "application/problem+json"
V2 = "/api/pix/v2"


class Receiver:
    """A company that receives charges: its account, an active EVP key, an API client."""

    def __init__(self, name: str = "Padaria Tres Irmaos Ltda") -> None:
        self.customer: Customer = company(name)
        self.account: Account = funded_account(customer=self.customer)
        self.key: str = key_register(
            account=self.account, key_type="EVP", actor=self.customer.user
        ).key
        self.client = api_client(self.customer)


def txid() -> str:
    return uuid.uuid4().hex  # 32 letters and digits


def cob_body(receiver: Receiver, **overrides) -> dict:
    body = {
        "calendario": {"expiracao": 3600},
        "devedor": {"cpf": new_cpf(), "nome": "Francisco da Silva"},
        "valor": {"original": "37.00"},
        "chave": receiver.key,
        "solicitacaoPagador": "Serviço realizado.",
        "infoAdicionais": [{"nome": "Campo 1", "valor": "Informação adicional"}],
    }
    body.update(overrides)
    return body


def cobv_body(receiver: Receiver, *, due: dt.date, **overrides) -> dict:
    body = {
        "calendario": {"dataDeVencimento": due.isoformat(), "validadeAposVencimento": 30},
        "devedor": {
            "logradouro": "Alameda Souza, Numero 80, Bairro Braz",
            "cidade": "Recife",
            "uf": "PE",
            "cep": "70011750",
            "cpf": new_cpf(),
            "nome": "Francisco da Silva",
        },
        "valor": {
            "original": "123.45",
            "multa": {"modalidade": 2, "valorPerc": "2.00"},
            "juros": {"modalidade": 2, "valorPerc": "1.00"},
        },
        "chave": receiver.key,
        "solicitacaoPagador": "Cobrança dos serviços prestados.",
    }
    body.update(overrides)
    return body


def put(client, kind: str, tx: str, body) -> object:
    return client.put(f"{V2}/{kind}/{tx}", body, format="json")


def assert_bacen_problem(response, status: int, name: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"] == BACEN + name, body
    assert body["status"] == status
    return body


def violated(body: dict) -> set[str]:
    return {v["propriedade"] for v in body.get("violacoes", [])}


def pay(receiver: Receiver, *, tx: str, amount_cents: int) -> PixTransfer:
    """An inbound Pix from another PSP paying the QR code of `tx` (QRDN), through the SPI
    simulator and pix_receive, as production receives it."""
    xml = inbound_xml(
        receiver.account, amount_cents, txid=tx, key=receiver.key, remittance="pedido 42"
    )
    return pix_receive(xml)


def jws_payload(token: str) -> tuple[dict, dict]:
    """(header, payload) of a payload JWS, verified with the key our JWKS endpoint publishes."""
    jwks = Client().get("/qr/v2/jwks").json()
    header = jwt.get_unverified_header(token)
    (key,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    public = jwt.PyJWK(key).key
    return header, jwt.decode(token, public, algorithms=[key["alg"]])


def location_path(location: str) -> str:
    host = django_settings.PIX_LOCATION_HOST
    assert location.startswith(host + "/qr/v2/"), location
    return location[len(host) :]
