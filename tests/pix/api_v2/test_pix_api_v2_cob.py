"""API Pix v2 immediate charges (cob): create, replay, revise, read, list, pay, expire, and
the payload at the location; garbage in never answers 500 nor changes anything."""

from __future__ import annotations

import datetime as dt
import json
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apps.core.errors import DomainError, NotFound
from apps.pix.charges.payloads import charge_brcode, payload_for_location
from apps.pix.charges.services import ChargeInput, charge_create, charges_expire
from apps.pix.codecs import brcode
from apps.pix.models import PixCharge, PixLocation, PixTransfer
from apps.pix.tasks import expire_charges_task
from apps.pix.transfers.services.refunds import refund_request
from tests.factories.users import UserFactory
from tests.support.pix_charges import (
    BACEN,
    V2,
    Receiver,
    assert_bacen_problem,
    cob_body,
    jws_payload,
    location_path,
    pay,
    put,
    txid,
    violated,
)
from tests.support.pix_keys import new_cpf

pytestmark = pytest.mark.django_db

WIDE = "inicio=2000-01-01T00:00:00Z&fim=2100-01-01T00:00:00Z"


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


def test_put_creates_a_cob_with_location_and_dynamic_brcode(receiver):
    tx = txid()
    body = cob_body(receiver)
    response = put(receiver.client, "cob", tx, body)

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["txid"] == tx and data["revisao"] == 0 and data["status"] == "ATIVA"
    assert data["calendario"]["expiracao"] == 3600
    assert dt.datetime.fromisoformat(data["calendario"]["criacao"]) <= timezone.now()
    assert data["valor"] == {"original": "37.00", "modalidadeAlteracao": 0}
    assert data["chave"] == receiver.key
    assert data["devedor"] == body["devedor"]
    assert data["solicitacaoPagador"] == body["solicitacaoPagador"]
    assert data["infoAdicionais"] == body["infoAdicionais"]
    location = PixLocation.objects.get(pk=data["loc"]["id"])
    assert (
        data["location"]
        == data["loc"]["location"]
        == f"pix.athena.example/qr/v2/{location.uuid.hex}"
    )
    assert data["loc"]["tipoCob"] == "cob"

    code = brcode.decode(data["pixCopiaECola"])
    assert code.type == "dynamic" and code.url == data["location"]
    assert code.txid is None  # "***": the payload carries the txid
    assert code.amount_cents is None
    assert code.merchant_name == "Padaria Tres Irmaos Ltda"
    assert code.merchant_city == "SAO PAULO"

    charge = PixCharge.objects.get(txid=tx)
    assert charge.amount == 3700 and charge.customer == receiver.customer
    assert charge.account == receiver.account and charge.debtor_tax_id_hash


def test_put_twice_with_the_same_body_is_one_charge_another_body_is_refused(receiver):
    tx = txid()
    body = cob_body(receiver)
    first = put(receiver.client, "cob", tx, body)
    again = put(receiver.client, "cob", tx, body)

    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert PixCharge.objects.filter(txid=tx).count() == 1
    assert PixLocation.objects.filter(customer=receiver.customer).count() == 1

    changed = put(receiver.client, "cob", tx, {**body, "valor": {"original": "38.00"}})
    problem = assert_bacen_problem(changed, 400, "CobOperacaoInvalida")
    assert violated(problem) == {"txid"}
    assert PixCharge.objects.get(txid=tx).amount == 3700


def test_post_generates_a_new_txid_each_time(receiver):
    body = cob_body(receiver)
    first = receiver.client.post(f"{V2}/cob", body, format="json")
    second = receiver.client.post(f"{V2}/cob", body, format="json")

    assert first.status_code == second.status_code == 201
    ids = {first.json()["txid"], second.json()["txid"]}
    assert len(ids) == 2
    assert all(len(t) == 32 and t.isalnum() for t in ids)
    assert PixCharge.objects.filter(customer=receiver.customer).count() == 2


def test_the_same_txid_is_free_for_another_receiver(receiver):
    tx = txid()
    other = Receiver("Mercado Alves Ltda")
    assert put(receiver.client, "cob", tx, cob_body(receiver)).status_code == 201
    assert put(other.client, "cob", tx, cob_body(other)).status_code == 201
    assert PixCharge.objects.filter(txid=tx).count() == 2
    # ... and neither sees the other's charge
    receiver.client.patch(
        f"{V2}/cob/{tx}", {"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"}, format="json"
    )
    assert other.client.get(f"{V2}/cob/{tx}").json()["status"] == "ATIVA"


@pytest.mark.parametrize(
    "bad_txid", ["abc", "a" * 25, "a" * 36, "3d433bdf763243e09c2170746-a86255", "ção" * 10]
)
def test_put_with_an_invalid_txid_is_refused(receiver, bad_txid):
    response = put(receiver.client, "cob", bad_txid, cob_body(receiver))
    problem = assert_bacen_problem(response, 400, "CobOperacaoInvalida")
    assert violated(problem) == {"txid"}
    assert not PixCharge.objects.exists()


def test_a_key_that_is_not_the_callers_active_key_is_a_violation_on_chave(receiver):
    other = Receiver("Mercado Alves Ltda")
    for key in (other.key, "+5511999990000", "nobody@example.com"):
        response = put(receiver.client, "cob", txid(), cob_body(receiver, chave=key))
        problem = assert_bacen_problem(response, 400, "CobOperacaoInvalida")
        assert problem["violacoes"] == [
            {
                "razao": gettext("The key is not an active Pix key of this receiver."),
                "propriedade": "cob.chave",
                "valor": key,
            }
        ]
    assert not PixCharge.objects.exists()


def test_zero_amount_only_when_the_payer_may_change_it(receiver):
    refused = put(receiver.client, "cob", txid(), cob_body(receiver, valor={"original": "0.00"}))
    problem = assert_bacen_problem(refused, 400, "CobOperacaoInvalida")
    assert violated(problem) == {"cob.valor.original"}
    editable = put(
        receiver.client,
        "cob",
        txid(),
        cob_body(receiver, valor={"original": "0.00", "modalidadeAlteracao": 1}),
    )
    assert editable.status_code == 201
    assert editable.json()["valor"] == {"original": "0.00", "modalidadeAlteracao": 1}


def test_pix_saque_and_troco_are_not_offered(receiver):
    valor = {
        "original": "0.00",
        "retirada": {"saque": {"valor": "5.00", "modalidadeAgente": "AGPSS"}},
    }
    response = put(receiver.client, "cob", txid(), cob_body(receiver, valor=valor))
    problem = assert_bacen_problem(response, 400, "CobOperacaoInvalida")
    assert violated(problem) == {"cob.valor.retirada"}


def test_patch_revises_loc_alone_does_not_and_get_answers_past_revisions(receiver):
    tx = txid()
    created = put(receiver.client, "cob", tx, cob_body(receiver)).json()

    revised = receiver.client.patch(
        f"{V2}/cob/{tx}",
        {"valor": {"original": "567.89"}, "solicitacaoPagador": "Informar cartão fidelidade"},
        format="json",
    )
    assert revised.status_code == 200, revised.json()
    assert revised.json()["revisao"] == 1
    assert revised.json()["valor"]["original"] == "567.89"
    assert revised.json()["devedor"] == created["devedor"]  # untouched fields stay

    new_loc = receiver.client.post(f"{V2}/loc", {"tipoCob": "cob"}, format="json").json()
    moved = receiver.client.patch(f"{V2}/cob/{tx}", {"loc": {"id": new_loc["id"]}}, format="json")
    assert moved.status_code == 200 and moved.json()["revisao"] == 1
    assert moved.json()["loc"]["id"] == new_loc["id"]
    assert moved.json()["location"] == new_loc["location"]

    same = receiver.client.patch(f"{V2}/cob/{tx}", {"valor": {"original": "567.89"}}, format="json")
    assert same.json()["revisao"] == 1  # nothing changed

    past = receiver.client.get(f"{V2}/cob/{tx}?revisao=0").json()
    assert past["revisao"] == 0 and past["valor"]["original"] == "37.00"
    assert "devedor" not in past  # history keeps no devedor (encrypted column)
    assert receiver.client.get(f"{V2}/cob/{tx}?revisao=1").json()["valor"]["original"] == "567.89"

    for bad, expected in (("7", "revisao"), ("-1", "revisao"), ("x", "revisao")):
        problem = assert_bacen_problem(
            receiver.client.get(f"{V2}/cob/{tx}?revisao={bad}"), 400, "CobConsultaInvalida"
        )
        assert violated(problem) == {expected}


def test_patch_status_removes_alone_and_then_nothing_changes(receiver):
    tx = txid()
    put(receiver.client, "cob", tx, cob_body(receiver))
    url = f"{V2}/cob/{tx}"

    mixed = receiver.client.patch(
        url,
        {"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR", "valor": {"original": "1.00"}},
        format="json",
    )
    assert violated(assert_bacen_problem(mixed, 400, "CobOperacaoInvalida")) == {"cob.status"}
    other = receiver.client.patch(url, {"status": "CONCLUIDA"}, format="json")
    assert violated(assert_bacen_problem(other, 400, "CobOperacaoInvalida")) == {"cob.status"}

    removed = receiver.client.patch(
        url, {"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"}, format="json"
    )
    assert removed.status_code == 200
    assert removed.json()["status"] == "REMOVIDA_PELO_USUARIO_RECEBEDOR"
    assert removed.json()["revisao"] == 1

    again = receiver.client.patch(url, {"solicitacaoPagador": "x"}, format="json")
    assert_bacen_problem(again, 400, "CobOperacaoInvalida")
    replay = put(receiver.client, "cob", tx, {**cob_body(receiver), "valor": {"original": "2.00"}})
    problem = assert_bacen_problem(replay, 400, "CobOperacaoInvalida")
    assert problem["detail"] == gettext("The charge exists and is not ATIVA; it cannot be changed.")
    assert PixCharge.objects.get(txid=tx).payer_request == "Serviço realizado."


def test_someone_elses_or_unknown_charge_is_not_found(receiver):
    tx = txid()
    put(receiver.client, "cob", tx, cob_body(receiver))
    other = Receiver("Mercado Alves Ltda")
    for client, path in (
        (other.client, f"{V2}/cob/{tx}"),
        (receiver.client, f"{V2}/cob/{txid()}"),
        (receiver.client, f"{V2}/cob/{'x' * 300}"),
        (receiver.client, f"{V2}/cobv/{tx}"),  # a cob is not a cobv
    ):
        name = "CobVNaoEncontrada" if "/cobv/" in path else "CobNaoEncontrado"
        assert_bacen_problem(client.get(path), 404, name)
    patched = other.client.patch(f"{V2}/cob/{tx}", {"solicitacaoPagador": "x"}, format="json")
    assert_bacen_problem(patched, 404, "CobNaoEncontrado")


def test_staff_and_anonymous_callers_are_refused(receiver):
    staff = APIClient()
    staff.force_authenticate(UserFactory(is_staff=True))
    response = put(staff, "cob", txid(), cob_body(receiver))
    assert_bacen_problem(response, 403, "AcessoNegado")
    assert_bacen_problem(staff.get(f"{V2}/cob?{WIDE}"), 403, "AcessoNegado")

    anonymous = APIClient().get(f"{V2}/cob?{WIDE}")
    assert anonymous.status_code in (401, 403)
    assert anonymous.json()["type"] == BACEN + "AcessoNegado"
    assert not PixCharge.objects.exists()


def test_list_filters_and_paginates(receiver):
    cpf = new_cpf()
    txids = []
    for index in range(5):
        body = cob_body(receiver, devedor={"cpf": cpf if index < 3 else new_cpf(), "nome": "Ana"})
        txids.append(put(receiver.client, "cob", txid(), body).json()["txid"])
    receiver.client.patch(
        f"{V2}/cob/{txids[0]}", {"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"}, format="json"
    )
    PixCharge.objects.filter(txid=txids[1]).update(location=None)
    Receiver("Mercado Alves Ltda").client.post(f"{V2}/cob", cob_body(receiver), format="json")

    everything = receiver.client.get(f"{V2}/cob?{WIDE}").json()
    assert [c["txid"] for c in everything["cobs"]] == txids
    assert everything["parametros"]["paginacao"] == {
        "paginaAtual": 0,
        "itensPorPagina": 100,
        "quantidadeDePaginas": 1,
        "quantidadeTotalDeItens": 5,
    }
    by_cpf = receiver.client.get(f"{V2}/cob?{WIDE}&cpf={cpf}").json()
    assert [c["txid"] for c in by_cpf["cobs"]] == txids[:3]
    assert by_cpf["parametros"]["cpf"] == cpf
    removed = receiver.client.get(f"{V2}/cob?{WIDE}&status=REMOVIDA_PELO_USUARIO_RECEBEDOR")
    assert [c["txid"] for c in removed.json()["cobs"]] == [txids[0]]
    without = receiver.client.get(f"{V2}/cob?{WIDE}&locationPresente=false").json()
    assert [c["txid"] for c in without["cobs"]] == [txids[1]]
    assert "location" not in without["cobs"][0] and "pixCopiaECola" not in without["cobs"][0]

    page = receiver.client.get(
        f"{V2}/cob?{WIDE}&paginacao.paginaAtual=1&paginacao.itensPorPagina=2"
    ).json()
    assert [c["txid"] for c in page["cobs"]] == txids[2:4]
    assert page["parametros"]["paginacao"]["quantidadeDePaginas"] == 3
    beyond = receiver.client.get(f"{V2}/cob?{WIDE}&paginacao.paginaAtual=99").json()
    assert beyond["cobs"] == []

    future = receiver.client.get(
        f"{V2}/cob?inicio=2099-01-01T00:00:00%2B00:00&fim=2099-01-02T00:00:00 00:00"
    ).json()
    assert future["cobs"] == [] and future["parametros"]["inicio"] == "2099-01-01T00:00:00.000Z"
    edge = receiver.client.get(
        f"{V2}/cob?inicio=2000-01-01T00:00:00Z&fim=9999-12-31T20:00:00-03:00"
    )
    assert edge.json()["parametros"]["fim"] == "9999-12-31T23:00:00.000Z"
    assert len(edge.json()["cobs"]) == 5
    beyond_utc = receiver.client.get(
        f"{V2}/cob?inicio=2000-01-01T00:00:00Z&fim=9999-12-31T22:00:00-03:00"
    )
    assert violated(assert_bacen_problem(beyond_utc, 400, "CobConsultaInvalida")) == {"fim"}


@pytest.mark.parametrize(
    ("query", "violations"),
    [
        ("", {"inicio", "fim"}),
        ("inicio=2020-01-01T00:00:00Z", {"fim"}),
        ("inicio=ontem&fim=2020-01-01T00:00:00Z", {"inicio"}),
        ("inicio=2020-02-30T00:00:00Z&fim=2021-01-01T00:00:00Z", {"inicio"}),
        ("inicio=2021-01-01T00:00:00Z&fim=2020-01-01T00:00:00Z", {"fim"}),
        (f"{WIDE}&cpf=12345678901", {"cpf"}),
        (f"{WIDE}&cpf=123", {"cpf"}),
        (f"{WIDE}&cnpj=abc", {"cnpj"}),
        (f"{WIDE}&status=PAGA", {"status"}),
        (f"{WIDE}&locationPresente=talvez", {"locationPresente"}),
        (f"{WIDE}&paginacao.paginaAtual=-1", {"paginacao.paginaAtual"}),
        (f"{WIDE}&paginacao.itensPorPagina=0", {"paginacao.itensPorPagina"}),
        (f"{WIDE}&paginacao.itensPorPagina=1001", {"paginacao.itensPorPagina"}),
        (f"{WIDE}&paginacao.paginaAtual=99999999999999999999", {"paginacao.paginaAtual"}),
    ],
)
def test_bad_list_queries_are_cob_consulta_invalida(receiver, query, violations):
    problem = assert_bacen_problem(
        receiver.client.get(f"{V2}/cob?{query}"), 400, "CobConsultaInvalida"
    )
    assert violated(problem) == violations


@pytest.mark.parametrize(
    "query",
    [
        "inicio=0001-01-01T00:00:00Z&fim=0001-01-02T00:00:00Z",  # before datetime.min in UTC
        "inicio=0001-01-01T00:00:00%2B14:00&fim=9999-12-31T23:59:59-14:00",
        "inicio=%00&fim=%ff",
        f"{WIDE}&status=%00",
        f"{WIDE}&cpf=%ED%A0%80",
        f"{WIDE}&cnpj={'A' * 5000}",
    ],
)
def test_garbage_queries_are_400_not_500(receiver, query):
    for kind in ("cob", "cobv"):
        response = receiver.client.get(f"{V2}/{kind}?{query}")
        name = "CobConsultaInvalida" if kind == "cob" else "CobVConsultaInvalida"
        assert assert_bacen_problem(response, 400, name)["violacoes"]
    loc = receiver.client.get(f"{V2}/loc?{query}")
    assert loc.status_code in (200, 400)  # loc has no status/cpf/cnpj filters: ignored


def test_cpf_and_cnpj_together_are_refused(receiver):
    cpf, cnpj = new_cpf(), receiver.customer.tax_id
    problem = assert_bacen_problem(
        receiver.client.get(f"{V2}/cob?{WIDE}&cpf={cpf}&cnpj={cnpj}"), 400, "CobConsultaInvalida"
    )
    assert violated(problem) == {"cnpj"}


# --- Payment ------------------------------------------------------------------------------


def test_paying_the_qr_concludes_the_cob_and_lists_the_pix(receiver):
    tx = txid()
    put(receiver.client, "cob", tx, cob_body(receiver))

    transfer = pay(receiver, tx=tx, amount_cents=3700)

    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED and transfer.charge.txid == tx
    assert transfer.initiation == "QRDN"
    data = receiver.client.get(f"{V2}/cob/{tx}").json()
    assert data["status"] == "CONCLUIDA"
    (pix,) = data["pix"]
    assert pix["endToEndId"] == transfer.end_to_end_id
    assert pix["txid"] == tx and pix["valor"] == "37.00"
    assert pix["infoPagador"] == "pedido 42" and pix["chave"] == receiver.key
    assert abs(dt.datetime.fromisoformat(pix["horario"]) - transfer.settled_at) < timedelta(
        milliseconds=1
    )
    assert pix["componentesValor"] == {"original": {"valor": "37.00"}}
    assert pix["devolucoes"] == []

    refund = refund_request(transfer=transfer, refund_id="dev1", amount_cents=1000)
    (returned,) = receiver.client.get(f"{V2}/cob/{tx}").json()["pix"][0]["devolucoes"]
    assert returned["id"] == "dev1" and returned["rtrId"] == refund.return_id
    assert returned["valor"] == "10.00" and returned["status"] == refund.state
    assert "solicitacao" in returned["horario"]


def test_a_second_payment_does_not_conclude_again_and_a_wrong_amount_is_refused(receiver):
    tx, other_tx = txid(), txid()
    put(receiver.client, "cob", tx, cob_body(receiver))
    put(receiver.client, "cob", other_tx, cob_body(receiver))

    # pix_receive refuses (RJCT) a Pix that names an active charge and pays another amount
    with pytest.raises(DomainError):
        pay(receiver, tx=other_tx, amount_cents=3600)
    assert not PixTransfer.objects.filter(tx_id=other_tx).exists()
    assert PixCharge.objects.get(txid=other_tx).status == "ATIVA"

    first = pay(receiver, tx=tx, amount_cents=3700)
    second = pay(receiver, tx=tx, amount_cents=3700)

    for transfer in (first, second):
        transfer.refresh_from_db()
        assert transfer.state == PixTransfer.State.SETTLED  # the money is credited anyway
    assert second.charge_id is None
    charge = PixCharge.objects.get(txid=tx)
    assert charge.status == "CONCLUIDA" and list(charge.payments.all()) == [first]
    concluded = [h for h in charge.history.all() if h.status == "CONCLUIDA"]
    assert len(concluded) == 1
    assert [p["endToEndId"] for p in receiver.client.get(f"{V2}/cob/{tx}").json()["pix"]] == [
        first.end_to_end_id
    ]


def test_an_editable_amount_accepts_what_the_payer_chose(receiver):
    tx = txid()
    put(
        receiver.client,
        "cob",
        tx,
        cob_body(receiver, valor={"original": "10.00", "modalidadeAlteracao": 1}),
    )
    pay(receiver, tx=tx, amount_cents=1234)
    assert PixCharge.objects.get(txid=tx).status == "CONCLUIDA"


def test_an_expired_cob_is_not_concluded_and_the_beat_task_removes_it(receiver):
    tx, fresh = txid(), txid()
    put(receiver.client, "cob", tx, cob_body(receiver, calendario={"expiracao": 60}))
    put(receiver.client, "cob", fresh, cob_body(receiver))
    location = PixCharge.objects.get(txid=tx).location
    PixCharge.objects.filter(txid=tx).update(created_at=timezone.now() - timedelta(seconds=61))

    late = pay(receiver, tx=tx, amount_cents=3700)
    late.refresh_from_db()
    assert late.charge_id is None and PixCharge.objects.get(txid=tx).status == "ATIVA"

    path = f"/qr/v2/{location.uuid.hex}"
    assert_bacen_problem(Client().get(path), 410, "CobPayloadNaoEncontrado")

    assert expire_charges_task() == 1
    assert expire_charges_task() == 0  # idempotent
    expired = PixCharge.objects.get(txid=tx)
    assert expired.status == "REMOVIDA_PELO_PSP" and expired.removed_reason == "expired"
    assert PixCharge.objects.get(txid=fresh).status == "ATIVA"
    assert receiver.client.get(f"{V2}/cob/{tx}").json()["status"] == "REMOVIDA_PELO_PSP"
    assert charges_expire(now=timezone.now() + timedelta(days=2)) == 1  # the fresh one, later


# --- The payload at the location ------------------------------------------------------------


def test_the_location_serves_the_payload_as_a_verifiable_jws(receiver):
    tx = txid()
    created = put(receiver.client, "cob", tx, cob_body(receiver)).json()

    response = Client().get(location_path(created["location"]))

    assert response.status_code == 200 and response["Content-Type"] == "application/jose"
    assert response["Cache-Control"] == "no-store"
    header, payload = jws_payload(response.content.decode())
    assert header["alg"] == "ES256" and header["typ"] == "JWS"
    assert header["jku"] == "https://pix.athena.example/qr/v2/jwks"
    assert payload["txid"] == tx and payload["revisao"] == 0 and payload["status"] == "ATIVA"
    assert payload["valor"] == {"original": "37.00", "modalidadeAlteracao": 0}
    assert payload["chave"] == receiver.key
    assert payload["calendario"]["expiracao"] == 3600
    assert payload["calendario"]["criacao"] == created["calendario"]["criacao"]
    assert "apresentacao" in payload["calendario"]
    assert payload["devedor"] == created["devedor"]
    assert payload["infoAdicionais"] == created["infoAdicionais"]

    assert payload_for_location(created["location"]) | {"calendario": None} == payload | {
        "calendario": None
    }
    assert payload_for_location("https://" + created["location"])["txid"] == tx


def test_payload_for_location_and_the_public_view_refuse_what_is_not_payable(receiver):
    tx = txid()
    created = put(receiver.client, "cob", tx, cob_body(receiver)).json()
    hexed = created["location"].rsplit("/", 1)[1]
    for url in (
        f"pix.athena.example/qr/v2/{'0' * 32}",
        f"pix.athena.example/qr/v2/cobv/{hexed}",  # a cob's location read as a cobv's
        f"elsewhere.example/qr/v2/{hexed}",
        f"ftp://pix.athena.example/qr/v2/{hexed}",
        "",
        "pix.athena.example/qr/v2/",
    ):
        with pytest.raises(NotFound):
            payload_for_location(url)
    for path in (
        f"/qr/v2/{'0' * 32}",
        "/qr/v2/nothing",
        f"/qr/v2/cobv/{hexed}",
        "/qr/v2/" + "f" * 500,
    ):
        assert_bacen_problem(Client().get(path), 404, "CobPayloadNaoEncontrado")

    receiver.client.patch(
        f"{V2}/cob/{tx}", {"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"}, format="json"
    )
    with pytest.raises(NotFound):
        payload_for_location(created["location"])
    assert_bacen_problem(
        Client().get(location_path(created["location"])), 410, "CobPayloadNaoEncontrado"
    )


def test_a_paid_charge_is_still_served_with_status_concluida(receiver):
    tx = txid()
    created = put(receiver.client, "cob", tx, cob_body(receiver)).json()
    pay(receiver, tx=tx, amount_cents=3700)
    assert payload_for_location(created["location"])["status"] == "CONCLUIDA"


def test_charge_brcode_matches_the_answer_and_names_a_plain_ascii_merchant():
    receiver = Receiver("Açaí & Café São João da Barra Comércio Ltda")
    created = put(receiver.client, "cob", txid(), cob_body(receiver)).json()
    charge = PixCharge.objects.get(txid=created["txid"])
    assert charge_brcode(charge) == created["pixCopiaECola"]
    code = brcode.decode(created["pixCopiaECola"])
    assert code.merchant_name == "Acai & Cafe Sao Joao da B"  # ASCII, 25 characters
    assert code.point_of_initiation == "12"


# --- Garbage in ---------------------------------------------------------------------------


GARBAGE_BODIES = [
    (b"{not json", "cob"),
    (b'{"valor": ', "cob"),
    (b"[]", "cob"),
    (b'"a string"', "cob"),
    (b"null", "cob"),
    (b"12", "cob"),
    (b"[" * 100_000 + b"]" * 100_000, None),
    (json.dumps({"valor": {"original": "1.00"}}).encode(), "cob.chave"),
]


@pytest.mark.parametrize(("raw", "prop"), GARBAGE_BODIES)
def test_non_objects_and_broken_json_are_400(receiver, raw, prop):
    for method, path in (("PUT", f"{V2}/cob/{txid()}"), ("POST", f"{V2}/cob")):
        response = receiver.client.generic(method, path, raw, content_type="application/json")
        problem = assert_bacen_problem(response, 400, "CobOperacaoInvalida")
        assert problem["violacoes"], problem
        if prop:
            assert prop in violated(problem)
    assert not PixCharge.objects.exists() and not PixLocation.objects.exists()


def _bad(receiver, **changes):
    body = cob_body(receiver)
    for path, value in changes.items():
        target = body
        *parents, last = path.split("__")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[last] = value
    return body


@pytest.mark.parametrize(
    ("changes", "prop"),
    [
        ({"valor__original": "-1.00"}, "cob.valor.original"),
        ({"valor__original": "1.5"}, "cob.valor.original"),
        ({"valor__original": 37}, "cob.valor.original"),
        ({"valor__original": "12345678901.00"}, "cob.valor.original"),
        ({"valor__original": "1e3"}, "cob.valor.original"),
        ({"valor__original": "١٢.٣٤"}, "cob.valor.original"),
        ({"valor__original": None}, "cob.valor.original"),
        ({"valor__modalidadeAlteracao": 2}, "cob.valor.modalidadeAlteracao"),
        ({"valor": "37.00"}, "cob.valor"),
        ({"calendario__expiracao": 0}, "cob.calendario.expiracao"),
        ({"calendario__expiracao": -5}, "cob.calendario.expiracao"),
        ({"calendario__expiracao": 2**31}, "cob.calendario.expiracao"),
        ({"calendario__expiracao": "muito"}, "cob.calendario.expiracao"),
        ({"calendario__expiracao": 1.5}, "cob.calendario.expiracao"),
        ({"calendario": []}, "cob.calendario"),
        ({"chave": "x" * 78}, "cob.chave"),
        ({"chave": ["a"]}, "cob.chave"),
        ({"chave": ""}, "cob.chave"),
        ({"solicitacaoPagador": "x" * 141}, "cob.solicitacaoPagador"),
        ({"devedor__cpf": "11111111111"}, "cob.devedor.cpf"),
        ({"devedor__cpf": "123.456.789-09"}, "cob.devedor.cpf"),
        ({"devedor__nome": "n" * 201}, "cob.devedor.nome"),
        ({"devedor__cnpj": "11222333000181"}, "cob.devedor"),
        ({"devedor": {"nome": "Sem documento"}}, "cob.devedor"),
        ({"devedor": {"cpf": "52998224725"}}, "cob.devedor.nome"),
        ({"infoAdicionais": [{"nome": "a"}]}, "cob.infoAdicionais[0].valor"),
        ({"infoAdicionais": [{"nome": "a", "valor": "b"}] * 51}, "cob.infoAdicionais"),
        ({"infoAdicionais": "lista"}, "cob.infoAdicionais"),
        ({"loc__id": "um"}, "cob.loc.id"),
        ({"loc__id": 0}, "cob.loc.id"),
        ({"loc__id": 2**70}, "cob.loc.id"),
        ({"loc__id": 999_999}, "cob.loc.id"),
        ({"solicitacaoPagador": "nul\x00byte"}, "cob.solicitacaoPagador"),
        ({"solicitacaoPagador": "lone \ud800 surrogate"}, "cob.solicitacaoPagador"),
    ],
)
def test_wrong_fields_are_400_with_a_violation_naming_the_field(receiver, changes, prop):
    body = _bad(receiver, **changes)
    raw = json.dumps(body)  # json escapes the lone surrogate as \ud800, as a client would send
    response = receiver.client.generic(
        "PUT", f"{V2}/cob/{txid()}", raw, content_type="application/json"
    )
    problem = assert_bacen_problem(response, 400, "CobOperacaoInvalida")
    assert prop in violated(problem), problem
    assert not PixCharge.objects.exists()


def test_garbage_patch_changes_nothing(receiver):
    tx = txid()
    put(receiver.client, "cob", tx, cob_body(receiver))
    before = PixCharge.objects.get(txid=tx)
    for body in (
        {"valor": {"original": "-3.00"}},
        {"calendario": {"expiracao": 0}},
        {"status": 123},
        {"chave": "not-mine@example.com"},
        {"loc": {"id": 10**12}},
        ["status"],
    ):
        response = receiver.client.patch(f"{V2}/cob/{tx}", body, format="json")
        assert_bacen_problem(response, 400, "CobOperacaoInvalida")
    after = PixCharge.objects.get(txid=tx)
    assert (after.revision, after.amount, after.expires_in_seconds, after.key) == (
        before.revision,
        before.amount,
        before.expires_in_seconds,
        before.key,
    )


def test_unsupported_media_type_and_methods_are_problems_not_500(receiver):
    form = receiver.client.generic(
        "PUT", f"{V2}/cob/{txid()}", "a=1", content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 415 and form["Content-Type"].startswith("application/problem+json")
    delete = receiver.client.delete(f"{V2}/cob/{txid()}")
    assert delete.status_code == 405
    assert not PixCharge.objects.exists()


# --- Concurrency --------------------------------------------------------------------------


def _in_threads(*jobs):
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait(timeout=10)
            results[index] = job()
        except Exception as exc:  # surfaced by the assertions
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_puts_of_one_txid_make_one_charge_and_one_location():
    receiver = Receiver()
    tx = txid()
    body = cob_body(receiver)
    data = ChargeInput(
        key=receiver.key,
        amount=3700,
        expires_in_seconds=3600,
        debtor=body["devedor"],
        payer_request=body["solicitacaoPagador"],
        additional_info=body["infoAdicionais"],
    )

    def create():
        return charge_create(customer=receiver.customer, kind="cob", data=data, txid=tx)

    results = _in_threads(create, create, create)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(created for _, created in results) == [False, False, True]
    assert len({charge.pk for charge, _ in results}) == 1
    assert PixCharge.objects.filter(txid=tx).count() == 1
    assert PixLocation.objects.filter(customer=receiver.customer).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_conclude_the_cob_once():
    receiver = Receiver()
    tx = txid()
    charge, _ = charge_create(
        customer=receiver.customer,
        kind="cob",
        data=ChargeInput(key=receiver.key, amount=2500),
        txid=tx,
    )

    results = _in_threads(*[lambda: pay(receiver, tx=tx, amount_cents=2500)] * 3)

    assert not [r for r in results if isinstance(r, Exception)], results
    linked = PixTransfer.objects.filter(charge=charge)
    assert linked.count() == 1
    assert PixTransfer.objects.filter(tx_id=tx, state="settled").count() == 3
    charge.refresh_from_db()
    assert charge.status == "CONCLUIDA"


FIELD_NAMES = [
    "calendario",
    "expiracao",
    "dataDeVencimento",
    "validadeAposVencimento",
    "valor",
    "original",
    "modalidadeAlteracao",
    "multa",
    "juros",
    "abatimento",
    "desconto",
    "descontoDataFixa",
    "data",
    "modalidade",
    "valorPerc",
    "chave",
    "devedor",
    "cpf",
    "cnpj",
    "nome",
    "loc",
    "id",
    "infoAdicionais",
    "solicitacaoPagador",
    "status",
    "tipoCob",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["37.00", "0.00", "2030-01-01", "REMOVIDA_PELO_USUARIO_RECEBEDOR", "cob"])
)
JSON_BODIES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=5), children, max_size=6)
    ),
    max_leaves=25,
)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=JSON_BODIES)
def test_any_json_body_is_answered_without_a_server_error(receiver, body):
    existing = PixCharge.objects.filter(customer=receiver.customer, kind="cob").first()
    if existing is None:
        existing = charge_create(
            customer=receiver.customer,
            kind="cob",
            data=ChargeInput(key=receiver.key, amount=100),
        )[0]
    raw = json.dumps(body)
    for method, path in (
        ("PUT", f"{V2}/cob/{txid()}"),
        ("POST", f"{V2}/cob"),
        ("PATCH", f"{V2}/cob/{existing.txid}"),
        ("PUT", f"{V2}/cobv/{txid()}"),
        ("POST", f"{V2}/loc"),
    ):
        response = receiver.client.generic(method, path, raw, content_type="application/json")
        assert response.status_code in (200, 201, 400), (method, path, raw, response.content)
        if response.status_code == 400:
            assert response.json()["type"].startswith(BACEN), response.json()
            assert response.json()["violacoes"], response.json()
