"""API Pix v2 payload locations (loc): create, read, list, link to charges, unlink, reuse."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from django.test import Client
from django.utils.translation import gettext

from apps.core.errors import DomainError
from apps.pix.charges.services import ChargeInput, charge_create, location_create
from apps.pix.models import PixCharge, PixLocation
from tests.support.pix_charges import (
    V2,
    Receiver,
    assert_bacen_problem,
    cob_body,
    cobv_body,
    jws_payload,
    location_path,
    put,
    txid,
    violated,
)

pytestmark = pytest.mark.django_db

WIDE = "inicio=2000-01-01T00:00:00Z&fim=2100-01-01T00:00:00Z"


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


def new_loc(receiver: Receiver, kind: str = "cob") -> dict:
    response = receiver.client.post(f"{V2}/loc", {"tipoCob": kind}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_post_creates_locations_of_each_type(receiver):
    cob = receiver.client.post(f"{V2}/loc", {"tipoCob": "cob"}, format="json")
    cobv = new_loc(receiver, "cobv")

    assert cob.status_code == 201
    data = cob.json()
    location = PixLocation.objects.get(pk=data["id"])
    assert data == {
        "id": location.pk,
        "location": f"pix.athena.example/qr/v2/{location.uuid.hex}",
        "tipoCob": "cob",
        "criacao": data["criacao"],
    }
    assert cob["Location"] == f"/api/pix/v2/loc/{location.pk}"
    assert dt.datetime.fromisoformat(data["criacao"]).tzinfo is not None
    assert cobv["location"].startswith("pix.athena.example/qr/v2/cobv/")
    assert location.customer == receiver.customer


@pytest.mark.parametrize(
    "body", [{}, {"tipoCob": "rec"}, {"tipoCob": ["cob"]}, {"tipoCob": None}, [], "cob"]
)
def test_a_bad_tipocob_is_payload_location_operacao_invalida(receiver, body):
    response = receiver.client.post(f"{V2}/loc", body, format="json")
    problem = assert_bacen_problem(response, 400, "PayloadLocationOperacaoInvalida")
    assert problem["violacoes"]
    assert not PixLocation.objects.exists()


def test_broken_json_is_payload_location_operacao_invalida(receiver):
    response = receiver.client.generic(
        "POST", f"{V2}/loc", b'{"tipoCob": ', content_type="application/json"
    )
    assert_bacen_problem(response, 400, "PayloadLocationOperacaoInvalida")


def test_a_charge_uses_the_location_named_and_get_shows_its_txid(receiver):
    loc = new_loc(receiver)
    tx = txid()
    created = put(receiver.client, "cob", tx, cob_body(receiver, loc={"id": loc["id"]})).json()

    assert created["loc"]["id"] == loc["id"] and created["location"] == loc["location"]
    detail = receiver.client.get(f"{V2}/loc/{loc['id']}").json()
    assert detail["txid"] == tx and detail["location"] == loc["location"]
    assert PixLocation.objects.count() == 1  # no other location was made


def test_a_location_must_be_the_callers_of_the_same_type_and_free(receiver):
    cobv_loc = new_loc(receiver, "cobv")
    cob_loc = new_loc(receiver, "cob")
    other = Receiver("Mercado Alves Ltda")
    foreign = new_loc(other, "cob")
    put(receiver.client, "cob", txid(), cob_body(receiver, loc={"id": cob_loc["id"]}))

    for loc_id, reason in (
        (
            cobv_loc["id"],
            gettext('The location is of type "%(type)s"; it should be "%(kind)s".')
            % {"type": "cobv", "kind": "cob"},
        ),
        (cob_loc["id"], gettext("The location is used by another charge.")),
        (foreign["id"], gettext("The location does not exist.")),
    ):
        response = put(receiver.client, "cob", txid(), cob_body(receiver, loc={"id": loc_id}))
        problem = assert_bacen_problem(response, 400, "CobOperacaoInvalida")
        assert problem["violacoes"] == [
            {"razao": reason, "propriedade": "cob.loc.id", "valor": str(loc_id)}
        ]
    due = dt.date.today() + dt.timedelta(days=5)
    wrong = put(
        receiver.client, "cobv", txid(), cobv_body(receiver, due=due, loc={"id": cob_loc["id"]})
    )
    assert violated(assert_bacen_problem(wrong, 400, "CobVOperacaoInvalida")) == {"cobv.loc.id"}
    assert PixCharge.objects.count() == 1


def test_unlinking_leaves_the_charge_without_location_and_the_location_reusable(receiver):
    tx = txid()
    created = put(receiver.client, "cob", tx, cob_body(receiver)).json()
    loc_id = created["loc"]["id"]
    path = location_path(created["location"])

    unlinked = receiver.client.delete(f"{V2}/loc/{loc_id}/txid")

    assert unlinked.status_code == 200
    # The charge showed its loc with the charge's txid; unlinked, the location has none.
    assert created["loc"]["txid"] == tx
    assert unlinked.json() == {k: v for k, v in created["loc"].items() if k != "txid"}
    charge = receiver.client.get(f"{V2}/cob/{tx}").json()
    assert charge["status"] == "ATIVA" and charge["revisao"] == 0
    assert "loc" not in charge and "location" not in charge and "pixCopiaECola" not in charge
    assert "txid" not in receiver.client.get(f"{V2}/loc/{loc_id}").json()
    assert_bacen_problem(Client().get(path), 404, "CobPayloadNaoEncontrado")
    again = receiver.client.delete(f"{V2}/loc/{loc_id}/txid")
    assert again.status_code == 200  # nothing left to unlink: same answer

    reused_tx = txid()
    put(receiver.client, "cob", reused_tx, cob_body(receiver, loc={"id": loc_id}))
    _, payload = jws_payload(Client().get(path).content.decode())
    assert payload["txid"] == reused_tx

    relinked = receiver.client.patch(f"{V2}/cob/{tx}", {"loc": {"id": loc_id}}, format="json")
    assert_bacen_problem(relinked, 400, "CobOperacaoInvalida")
    fresh = new_loc(receiver)
    relinked = receiver.client.patch(f"{V2}/cob/{tx}", {"loc": {"id": fresh["id"]}}, format="json")
    assert relinked.status_code == 200 and relinked.json()["location"] == fresh["location"]
    assert relinked.json()["revisao"] == 0


def test_list_filters_by_txid_presence_and_type(receiver):
    free_cob = new_loc(receiver, "cob")
    free_cobv = new_loc(receiver, "cobv")
    used = put(receiver.client, "cob", txid(), cob_body(receiver)).json()["loc"]
    new_loc(Receiver("Mercado Alves Ltda"))

    everything = receiver.client.get(f"{V2}/loc?{WIDE}").json()
    assert [loc["id"] for loc in everything["loc"]] == [free_cob["id"], free_cobv["id"], used["id"]]
    assert everything["parametros"]["paginacao"]["quantidadeTotalDeItens"] == 3
    with_txid = receiver.client.get(f"{V2}/loc?{WIDE}&txIdPresente=true").json()
    assert [loc["id"] for loc in with_txid["loc"]] == [used["id"]]
    assert with_txid["loc"][0]["txid"] and with_txid["parametros"]["txIdPresente"] is True
    cobv_only = receiver.client.get(f"{V2}/loc?{WIDE}&tipoCob=cobv").json()
    assert [loc["id"] for loc in cobv_only["loc"]] == [free_cobv["id"]]
    page = receiver.client.get(
        f"{V2}/loc?{WIDE}&paginacao.itensPorPagina=2&paginacao.paginaAtual=1"
    )
    assert [loc["id"] for loc in page.json()["loc"]] == [used["id"]]


@pytest.mark.parametrize(
    ("query", "prop"),
    [
        ("", "inicio"),
        (f"{WIDE}&tipoCob=rec", "tipoCob"),
        (f"{WIDE}&txIdPresente=2", "txIdPresente"),
        ("inicio=2021-01-01T00:00:00Z&fim=2020-01-01T00:00:00Z", "fim"),
        (f"{WIDE}&paginacao.itensPorPagina=-4", "paginacao.itensPorPagina"),
    ],
)
def test_bad_list_queries_are_payload_location_consulta_invalida(receiver, query, prop):
    response = receiver.client.get(f"{V2}/loc?{query}")
    problem = assert_bacen_problem(response, 400, "PayloadLocationConsultaInvalida")
    assert prop in violated(problem)


@pytest.mark.parametrize("loc_id", ["abc", "0", "-1", "99999999999999999999999", "1.5", "999999"])
def test_unknown_locations_are_not_found(receiver, loc_id):
    assert_bacen_problem(
        receiver.client.get(f"{V2}/loc/{loc_id}"), 404, "PayloadLocationNaoEncontrado"
    )
    assert_bacen_problem(
        receiver.client.delete(f"{V2}/loc/{loc_id}/txid"), 404, "PayloadLocationNaoEncontrado"
    )


def test_someone_elses_location_is_not_found(receiver):
    foreign = new_loc(Receiver("Mercado Alves Ltda"))
    assert_bacen_problem(
        receiver.client.get(f"{V2}/loc/{foreign['id']}"), 404, "PayloadLocationNaoEncontrado"
    )
    assert_bacen_problem(
        receiver.client.delete(f"{V2}/loc/{foreign['id']}/txid"),
        404,
        "PayloadLocationNaoEncontrado",
    )


@pytest.mark.django_db(transaction=True)
def test_two_charges_racing_for_one_location_one_wins():
    receiver = Receiver()
    location = location_create(customer=receiver.customer, charge_type="cob")
    barrier = threading.Barrier(2)
    outcomes: list = []

    def create():
        try:
            barrier.wait(timeout=10)
            charge, _ = charge_create(
                customer=receiver.customer,
                kind="cob",
                txid=txid(),
                data=ChargeInput(key=receiver.key, amount=1000, location_id=location.pk),
            )
            outcomes.append(charge)
        except DomainError as exc:
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    charges = [o for o in outcomes if isinstance(o, PixCharge)]
    errors = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(charges) == 1 and len(errors) == 1, outcomes
    assert errors[0].violations[0]["propriedade"] == "cob.loc.id"
    assert PixCharge.objects.filter(location=location).count() == 1
