"""API Pix v2 charges with a due date (cobv): schema and semantic rules, revisions, the
payload valued on a day (DPP), payments on time, early (discount) and late (fine and
interest) through the SPI simulator, and expiry past the validity."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone

from apps.core.due_amounts import BRAZIL, adjusted_due_date
from apps.core.errors import DomainError
from apps.pix.charges.payloads import brasilia_date
from apps.pix.charges.services import ChargeInput, charge_create
from apps.pix.codecs import brcode
from apps.pix.models import PixCharge, PixTransfer
from apps.pix.tasks import expire_charges_task
from tests.support.pix_charges import (
    V2,
    Receiver,
    assert_bacen_problem,
    cobv_body,
    jws_payload,
    location_path,
    pay,
    put,
    txid,
    violated,
)
from tests.support.pix_keys import new_cnpj, new_cpf

pytestmark = pytest.mark.django_db

WIDE = "inicio=2000-01-01T00:00:00Z&fim=2100-01-01T00:00:00Z"


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


def today() -> dt.date:
    return brasilia_date(timezone.now())


def business_day_before(days: int) -> dt.date:
    """A business day at least `days` ago, so an adjusted due date equals the due date."""
    day = today() - dt.timedelta(days=days)
    while not BRAZIL.is_business_day(day):
        day -= dt.timedelta(days=1)
    return day


def test_put_creates_a_cobv_with_recipient_terms_and_location(receiver):
    tx = txid()
    due = today() + dt.timedelta(days=10)
    body = cobv_body(receiver, due=due)
    body["valor"]["abatimento"] = {"modalidade": 1, "valorPerc": "3.45"}
    body["valor"]["desconto"] = {
        "modalidade": 1,
        "descontoDataFixa": [{"data": due.isoformat(), "valorPerc": "10.00"}],
    }

    response = put(receiver.client, "cobv", tx, body)

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["calendario"]["dataDeVencimento"] == due.isoformat()
    assert data["calendario"]["validadeAposVencimento"] == 30
    assert data["devedor"] == body["devedor"]
    assert data["recebedor"] == {
        "nome": "Padaria Tres Irmaos Ltda",
        "cnpj": receiver.customer.tax_id,
    }
    assert data["valor"] == {
        "original": "123.45",
        "multa": {"modalidade": 2, "valorPerc": "2.00"},
        "juros": {"modalidade": 2, "valorPerc": "1.00"},
        "abatimento": {"modalidade": 1, "valorPerc": "3.45"},
        "desconto": {
            "modalidade": 1,
            "descontoDataFixa": [{"data": due.isoformat(), "valorPerc": "10.00"}],
        },
    }
    assert data["loc"]["tipoCob"] == "cobv"
    assert "/qr/v2/cobv/" in data["location"]
    assert brcode.decode(data["pixCopiaECola"]).url == data["location"]
    again = put(receiver.client, "cobv", tx, body)
    assert again.status_code == 200 and PixCharge.objects.filter(txid=tx).count() == 1


def test_modalities_arrive_as_strings_too_as_bacens_example_sends_them(receiver):
    body = cobv_body(receiver, due=today() + dt.timedelta(days=3))
    body["valor"]["multa"] = {"modalidade": "2", "valorPerc": "15.00"}
    response = put(receiver.client, "cobv", txid(), body)
    assert response.status_code == 201
    assert response.json()["valor"]["multa"] == {"modalidade": 2, "valorPerc": "15.00"}


def _with(body: dict, path: str, value) -> dict:
    body = json.loads(json.dumps(body))
    target = body
    *parents, last = path.split(".")
    for parent in parents:
        target = target.setdefault(parent, {})
    if value is _DELETE:
        target.pop(last, None)
    else:
        target[last] = value
    return body


_DELETE = object()
FAR = (dt.date.today() + dt.timedelta(days=4000)).isoformat()


@pytest.mark.parametrize(
    ("path", "value", "prop"),
    [
        ("devedor", _DELETE, "cobv.devedor"),
        ("devedor", {"nome": "Sem documento"}, "cobv.devedor"),
        ("devedor.cpf", "00000000000", "cobv.devedor.cpf"),
        ("devedor.uf", "PER", "cobv.devedor.uf"),
        ("devedor.cep", "700117500", "cobv.devedor.cep"),
        ("calendario", _DELETE, "cobv.calendario"),
        ("calendario.dataDeVencimento", _DELETE, "cobv.calendario.dataDeVencimento"),
        ("calendario.dataDeVencimento", "2024-02-30", "cobv.calendario.dataDeVencimento"),
        ("calendario.dataDeVencimento", "31/12/2030", "cobv.calendario.dataDeVencimento"),
        ("calendario.dataDeVencimento", "2020-01-01", "cobv.calendario.dataDeVencimento"),
        ("calendario.dataDeVencimento", FAR, "cobv.calendario.dataDeVencimento"),
        ("calendario.dataDeVencimento", "9999-12-31", "cobv.calendario.dataDeVencimento"),
        ("calendario.validadeAposVencimento", -1, "cobv.calendario.validadeAposVencimento"),
        ("calendario.validadeAposVencimento", 3651, "cobv.calendario.validadeAposVencimento"),
        ("calendario.validadeAposVencimento", "x", "cobv.calendario.validadeAposVencimento"),
        ("valor.original", "0.00", "cobv.valor.original"),
        ("valor.original", "-10.00", "cobv.valor.original"),
        ("valor.multa", {"modalidade": 3, "valorPerc": "1.00"}, "cobv.valor.multa.modalidade"),
        ("valor.multa", {"modalidade": 1}, "cobv.valor.multa.valorPerc"),
        ("valor.juros", {"modalidade": 9, "valorPerc": "1.00"}, "cobv.valor.juros.modalidade"),
        ("valor.juros", {"modalidade": 1, "valorPerc": "1,00"}, "cobv.valor.juros.valorPerc"),
        ("valor.abatimento", {"modalidade": 1, "valorPerc": "123.45"}, "cobv.valor.abatimento"),
        ("valor.abatimento", {"modalidade": 2, "valorPerc": "100.00"}, "cobv.valor.abatimento"),
        ("valor.desconto", {"modalidade": 1}, "cobv.valor.desconto.descontoDataFixa"),
        (
            "valor.desconto",
            {"modalidade": 7, "valorPerc": "1.00"},
            "cobv.valor.desconto.modalidade",
        ),
        (
            "valor.desconto",
            {"modalidade": 3},
            "cobv.valor.desconto.valorPerc",
        ),
        (
            "valor.desconto",
            {"modalidade": 5, "valorPerc": "100.00"},
            "cobv.valor.desconto",
        ),
        (
            "valor.desconto",
            {
                "modalidade": 4,
                "valorPerc": "1.00",
                "descontoDataFixa": [{"data": "2030-01-01", "valorPerc": "1.00"}],
            },
            "cobv.valor.desconto.descontoDataFixa",
        ),
        (
            "valor.desconto",
            {
                "modalidade": 1,
                "valorPerc": "1.00",
                "descontoDataFixa": [{"data": "2030-01-01", "valorPerc": "1.00"}],
            },
            "cobv.valor.desconto.valorPerc",
        ),
        (
            "valor.desconto",
            {
                "modalidade": 2,
                "descontoDataFixa": [{"data": "2020-01-01", "valorPerc": "1.00"}] * 4,
            },
            "cobv.valor.desconto.descontoDataFixa",
        ),
        (
            "valor.desconto",
            {
                "modalidade": 2,
                "descontoDataFixa": [{"data": "2020-01-01", "valorPerc": "1.00"}] * 2,
            },
            "cobv.valor.desconto.descontoDataFixa",
        ),
        (
            "valor.desconto",
            {"modalidade": 1, "descontoDataFixa": [{"data": "2099-01-01", "valorPerc": "1.00"}]},
            "cobv.valor.desconto.descontoDataFixa[0].data",
        ),
        (
            "valor.desconto",
            {"modalidade": 1, "descontoDataFixa": [{"data": "ontem", "valorPerc": "1.00"}]},
            "cobv.valor.desconto.descontoDataFixa[0].data",
        ),
        (
            "valor.desconto",
            {
                "modalidade": 1,
                "descontoDataFixa": [{"data": dt.date.today().isoformat(), "valorPerc": "200.00"}],
            },
            "cobv.valor.desconto",
        ),
    ],
)
def test_bad_cobv_fields_are_400_with_a_violation_naming_the_field(receiver, path, value, prop):
    body = _with(cobv_body(receiver, due=today() + dt.timedelta(days=30)), path, value)
    response = put(receiver.client, "cobv", txid(), body)
    problem = assert_bacen_problem(response, 400, "CobVOperacaoInvalida")
    assert prop in violated(problem), problem
    assert not PixCharge.objects.exists()


def test_the_due_date_may_be_today(receiver):
    response = put(receiver.client, "cobv", txid(), cobv_body(receiver, due=today()))
    assert response.status_code == 201


def test_patch_revises_terms_and_dates_and_removal_stands_alone(receiver):
    tx = txid()
    due = today() + dt.timedelta(days=10)
    put(receiver.client, "cobv", tx, cobv_body(receiver, due=due))
    url = f"{V2}/cobv/{tx}"

    revised = receiver.client.patch(
        url,
        {
            "calendario": {"dataDeVencimento": (due + dt.timedelta(days=5)).isoformat()},
            "valor": {"juros": {"modalidade": 6, "valorPerc": "0.10"}},
        },
        format="json",
    )
    assert revised.status_code == 200, revised.json()
    data = revised.json()
    assert data["revisao"] == 1
    assert data["calendario"]["dataDeVencimento"] == (due + dt.timedelta(days=5)).isoformat()
    assert data["calendario"]["validadeAposVencimento"] == 30
    assert data["valor"]["juros"] == {"modalidade": 6, "valorPerc": "0.10"}
    assert data["valor"]["multa"] == {"modalidade": 2, "valorPerc": "2.00"}  # merged

    early = receiver.client.patch(
        url, {"calendario": {"dataDeVencimento": "2020-01-01"}}, format="json"
    )
    assert violated(assert_bacen_problem(early, 400, "CobVOperacaoInvalida")) == {
        "cobv.calendario.dataDeVencimento"
    }
    too_big = receiver.client.patch(
        url, {"valor": {"abatimento": {"modalidade": 2, "valorPerc": "100.00"}}}, format="json"
    )
    assert_bacen_problem(too_big, 400, "CobVOperacaoInvalida")
    bogus = receiver.client.patch(url, {"status": "ATIVA"}, format="json")
    assert violated(assert_bacen_problem(bogus, 400, "CobVOperacaoInvalida")) == {"cobv.status"}
    assert PixCharge.objects.get(txid=tx).revision == 1

    removed = receiver.client.patch(
        url, {"status": "REMOVIDA_PELO_USUARIO_RECEBEDOR"}, format="json"
    )
    assert removed.status_code == 200
    assert removed.json()["status"] == "REMOVIDA_PELO_USUARIO_RECEBEDOR"
    assert_bacen_problem(
        Client().get(location_path(removed.json()["location"])), 410, "CobPayloadNaoEncontrado"
    )


def test_list_filters_by_the_debtors_cnpj(receiver):
    cnpj = new_cnpj()
    due = today() + dt.timedelta(days=3)
    company_debtor = {"cnpj": cnpj, "nome": "Empresa de Alimentos SA"}
    mine = put(
        receiver.client, "cobv", txid(), cobv_body(receiver, due=due, devedor=company_debtor)
    )
    put(receiver.client, "cobv", txid(), cobv_body(receiver, due=due))

    listed = receiver.client.get(f"{V2}/cobv?{WIDE}&cnpj={cnpj}").json()
    assert [c["txid"] for c in listed["cobs"]] == [mine.json()["txid"]]
    assert listed["cobs"][0]["recebedor"]["cnpj"] == receiver.customer.tax_id
    everything = receiver.client.get(f"{V2}/cobv?{WIDE}").json()
    assert everything["parametros"]["paginacao"]["quantidadeTotalDeItens"] == 2
    bad = receiver.client.get(f"{V2}/cobv?{WIDE}&cpf=1")
    assert violated(assert_bacen_problem(bad, 400, "CobVConsultaInvalida")) == {"cpf"}


# --- The payload -----------------------------------------------------------------------------


def test_the_payload_values_the_charge_today_and_on_the_intended_payment_date(receiver):
    due = today() + dt.timedelta(days=20)
    body = cobv_body(receiver, due=due)
    body["valor"]["desconto"] = {
        "modalidade": 1,
        "descontoDataFixa": [
            {"data": (due - dt.timedelta(days=10)).isoformat(), "valorPerc": "3.45"}
        ],
    }
    created = put(receiver.client, "cobv", txid(), body).json()
    path = location_path(created["location"])

    header, payload = jws_payload(Client().get(path).content.decode())
    assert payload["valor"] == {"original": "123.45", "desconto": "3.45", "final": "120.00"}
    assert payload["recebedor"] == created["recebedor"]
    assert payload["devedor"] == {"nome": "Francisco da Silva", "cpf": body["devedor"]["cpf"]}
    assert payload["calendario"]["dataDeVencimento"] == due.isoformat()
    assert payload["calendario"]["validadeAposVencimento"] == 30

    # Three calendar days after the (adjusted) due date: 2 % fine, 1 % a day.
    late = adjusted_due_date(due) + dt.timedelta(days=3)
    response = Client().get(f"{path}?DPP={late.isoformat()}&codMun=3550308")
    _, valued = jws_payload(response.content.decode())
    assert valued["valor"] == {
        "original": "123.45",
        "multa": "2.47",  # 2,469 -> 2,47
        "juros": "3.70",  # 3,7035 -> 3,70
        "final": "129.62",
    }


@pytest.mark.parametrize(
    ("query", "prop"),
    [
        ("DPP=2020-01-01", "DPP"),
        ("DPP=2199-01-01", "DPP"),
        ("DPP=amanha", "DPP"),
        ("DPP=2024-02-30", "DPP"),
        ("DPP=20240101", "DPP"),
        ("codMun=123", "codMun"),
        ("codMun=%D9%A1%D9%A2%D9%A3%D9%A4%D9%A5%D9%A6%D9%A7", "codMun"),  # Arabic-Indic digits
    ],
)
def test_a_bad_dpp_or_codmun_is_cob_payload_operacao_invalida(receiver, query, prop):
    created = put(
        receiver.client, "cobv", txid(), cobv_body(receiver, due=today() + dt.timedelta(days=5))
    ).json()
    response = Client().get(f"{location_path(created['location'])}?{query}")
    problem = assert_bacen_problem(response, 400, "CobPayloadOperacaoInvalida")
    assert violated(problem) == {prop}


# --- Payments ----------------------------------------------------------------------------------


def _past_cobv(receiver: Receiver, *, due: dt.date, valid: int, terms: dict) -> PixCharge:
    """A cobv created back when its due date was still ahead (the service takes `now`)."""
    created_on = timezone.now() - dt.timedelta(days=(today() - due).days + 1)
    charge, _ = charge_create(
        customer=receiver.customer,
        kind="cobv",
        txid=txid(),
        data=ChargeInput(
            key=receiver.key,
            amount=10_000,
            due_date=due,
            valid_days_after_due=valid,
            value_terms=terms,
            debtor={"nome": "Francisco da Silva", "cpf": new_cpf()},
        ),
        now=created_on,
    )
    return charge


def test_a_late_payment_pays_fine_and_interest_and_concludes(receiver):
    due = business_day_before(10)
    late_days = (today() - due).days
    terms = {
        "multa": {"modalidade": 1, "valorPerc": "2.00"},
        "juros": {"modalidade": 1, "valorPerc": "0.10"},
    }
    charge = _past_cobv(receiver, due=due, valid=30, terms=terms)
    expected = 10_000 + 200 + 10 * late_days

    with pytest.raises(DomainError):  # the original amount is no longer what it asks
        pay(receiver, tx=charge.txid, amount_cents=10_000)
    assert PixCharge.objects.get(pk=charge.pk).status == "ATIVA"

    transfer = pay(receiver, tx=charge.txid, amount_cents=expected)

    transfer.refresh_from_db()
    assert transfer.charge_id == charge.pk
    data = receiver.client.get(f"{V2}/cobv/{charge.txid}").json()
    assert data["status"] == "CONCLUIDA"
    (pix,) = data["pix"]
    assert pix["valor"] == f"{expected // 100}.{expected % 100:02d}"
    assert pix["componentesValor"] == {
        "original": {"valor": "100.00"},
        "multa": {"valor": "2.00"},
        "juros": {"valor": f"{late_days * 10 // 100}.{late_days * 10 % 100:02d}"},
    }


def test_an_early_payment_takes_the_discount(receiver):
    due = today() + dt.timedelta(days=15)
    body = cobv_body(receiver, due=due)
    body["valor"] = {
        "original": "100.00",
        "desconto": {"modalidade": 3, "valorPerc": "0.50"},  # R$ 0,50 per calendar day early
    }
    created = put(receiver.client, "cobv", txid(), body).json()
    days_early = (adjusted_due_date(due) - today()).days
    expected = 10_000 - 50 * days_early

    pay(receiver, tx=created["txid"], amount_cents=expected)

    data = receiver.client.get(f"{V2}/cobv/{created['txid']}").json()
    assert data["status"] == "CONCLUIDA"
    assert data["pix"][0]["componentesValor"]["desconto"] == {
        "valor": f"{50 * days_early // 100}.{50 * days_early % 100:02d}"
    }


def test_past_its_validity_a_cobv_is_not_concluded_and_is_removed_by_the_psp(receiver):
    due = business_day_before(40)
    charge = _past_cobv(receiver, due=due, valid=5, terms={})
    location = charge.location

    transfer = pay(receiver, tx=charge.txid, amount_cents=10_000)

    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED and transfer.charge_id is None
    assert PixCharge.objects.get(pk=charge.pk).status == "ATIVA"
    assert_bacen_problem(
        Client().get(f"/qr/v2/cobv/{location.uuid.hex}"), 410, "CobPayloadNaoEncontrado"
    )
    assert expire_charges_task() == 1
    assert PixCharge.objects.get(pk=charge.pk).status == "REMOVIDA_PELO_PSP"
    still_valid = _past_cobv(receiver, due=business_day_before(3), valid=30, terms={})
    assert expire_charges_task() == 0
    assert PixCharge.objects.get(pk=still_valid.pk).status == "ATIVA"
