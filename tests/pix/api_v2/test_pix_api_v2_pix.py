"""API Pix v2: received Pix (GET /pix, /pix/{e2eid}) and refunds (PUT/GET
/pix/{e2eid}/devolucao/{id}), against the real database, ledger and SPI simulator."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from apps.accounts.models import JournalEntry
from apps.pix.models import PixRefund, PixTransfer
from apps.pix.transfers.services.send import pix_send
from apps.simulators.models import SpiSimulatedMessage
from tests.factories.ledger import balance_of
from tests.factories.users import UserFactory
from tests.support.pix_keys import new_cnpj, new_cpf
from tests.support.pix_received import (
    V2,
    assert_problem,
    receive_pix,
    receiving_customer,
    refunds_reach_the_spi_at_once,
)
from tests.support.pix_transfers import key_elsewhere

TXID = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
pytestmark = pytest.mark.usefixtures(refunds_reach_the_spi_at_once.__name__)


def window(**extra) -> dict:
    now = timezone.now()
    params = {
        "inicio": (now - timedelta(hours=1)).isoformat(),
        "fim": (now + timedelta(hours=1)).isoformat(),
    }
    params.update(extra)
    return params


def refund_url(e2eid: str, refund_id: str) -> str:
    return f"{V2}/pix/{e2eid}/devolucao/{refund_id}"


# --- GET /pix ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_shows_only_the_callers_received_settled_pix(django_capture_on_commit_callbacks):
    loja = receiving_customer("Loja Alves Souza", amount_cents=50_000)
    other = receiving_customer("Outra Loja Lima")
    first = receive_pix(loja, 1_234, txid=TXID, remittance="Pedido 42")
    second = receive_pix(loja, 500, with_key=False)
    receive_pix(other, 999)  # someone else's
    with django_capture_on_commit_callbacks(execute=True):
        pix_send(account=loja.account, key=key_elsewhere(), amount_cents=700)  # sent, not received

    response = loja.client.get(f"{V2}/pix", window())

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-store"
    body = response.json()
    assert body["parametros"]["paginacao"] == {
        "paginaAtual": 0,
        "itensPorPagina": 100,
        "quantidadeDePaginas": 1,
        "quantidadeTotalDeItens": 2,
    }
    assert body["parametros"]["inicio"].endswith("Z") and body["parametros"]["fim"].endswith("Z")
    listed = {pix["endToEndId"]: pix for pix in body["pix"]}
    assert set(listed) == {first.end_to_end_id, second.end_to_end_id}
    one = listed[first.end_to_end_id]
    assert one["valor"] == "12.34" and one["txid"] == TXID
    assert one["chave"] == loja.key.key and one["infoPagador"] == "Pedido 42"
    assert one["horario"].endswith("Z") and "devolucoes" not in one
    assert set(listed[second.end_to_end_id]) == {"endToEndId", "valor", "horario"}


@pytest.mark.django_db
def test_list_filters_and_pages():
    loja = receiving_customer()
    cpf, cnpj = new_cpf(), new_cnpj()
    with_txid = receive_pix(loja, 1_000, txid=TXID, payer_tax_id=cpf)
    from_company = receive_pix(loja, 2_000, payer_tax_id=cnpj, payer_name="Mercado Alves Ltda")
    plain = receive_pix(loja, 3_000)
    refunded = receive_pix(loja, 4_000)
    assert (
        loja.client.put(refund_url(refunded.end_to_end_id, "r1"), {"valor": "1.00"}).status_code
        == 201
    )

    def e2eids(**extra) -> list[str]:
        response = loja.client.get(f"{V2}/pix", window(**extra))
        assert response.status_code == 200, response.content
        return [pix["endToEndId"] for pix in response.json()["pix"]]

    assert e2eids() == [t.end_to_end_id for t in (with_txid, from_company, plain, refunded)]
    assert e2eids(txid=TXID) == [with_txid.end_to_end_id]
    assert e2eids(txIdPresente="true") == [with_txid.end_to_end_id]
    assert with_txid.end_to_end_id not in e2eids(txIdPresente="false")
    assert e2eids(devolucaoPresente="true") == [refunded.end_to_end_id]
    assert len(e2eids(devolucaoPresente="false")) == 3
    assert e2eids(cpf=cpf) == [with_txid.end_to_end_id]
    assert e2eids(cnpj=cnpj) == [from_company.end_to_end_id]
    assert e2eids(cpf=new_cpf()) == []

    page = loja.client.get(
        f"{V2}/pix", window(**{"paginacao.paginaAtual": 1, "paginacao.itensPorPagina": 3})
    ).json()
    assert [p["endToEndId"] for p in page["pix"]] == [refunded.end_to_end_id]
    assert page["parametros"]["paginacao"] == {
        "paginaAtual": 1,
        "itensPorPagina": 3,
        "quantidadeDePaginas": 2,
        "quantidadeTotalDeItens": 4,
    }
    beyond = loja.client.get(f"{V2}/pix", window(**{"paginacao.paginaAtual": 9})).json()
    assert beyond["pix"] == [] and beyond["parametros"]["paginacao"]["quantidadeTotalDeItens"] == 4

    past = timezone.now() - timedelta(days=3)
    earlier = {"inicio": (past - timedelta(days=1)).isoformat(), "fim": past.isoformat()}
    assert loja.client.get(f"{V2}/pix", earlier).json()["pix"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "prop"),
    [
        ({"fim": "2026-01-01T00:00:00Z"}, "inicio"),
        ({"inicio": "2026-01-01T00:00:00Z"}, "fim"),
        ({"inicio": "yesterday", "fim": "2026-01-01T00:00:00Z"}, "inicio"),
        ({"inicio": "2026-01-02T00:00:00Z", "fim": "2026-01-01T00:00:00Z"}, "fim"),
        (window(cpf="12345678901", cnpj="12ABC34501DE35"), "cnpj"),
        (window(cpf="123"), "cpf"),
        (window(cnpj="12.345.678/0001-90"), "cnpj"),
        (window(txid="not valid!"), "txid"),
        (window(txIdPresente="maybe"), "txIdPresente"),
        (window(**{"paginacao.paginaAtual": "-1"}), "paginacao.paginaAtual"),
        (window(**{"paginacao.itensPorPagina": "0"}), "paginacao.itensPorPagina"),
        (window(**{"paginacao.itensPorPagina": "1001"}), "paginacao.itensPorPagina"),
        (window(**{"paginacao.itensPorPagina": "ten"}), "paginacao.itensPorPagina"),
    ],
)
def test_bad_queries_are_pix_consulta_invalida(params, prop):
    loja = receiving_customer()
    response = loja.client.get(f"{V2}/pix", params)
    assert_problem(response, 400, "PixConsultaInvalida", prop)


# --- GET /pix/{e2eid} ----------------------------------------------------------------------


@pytest.mark.django_db
def test_one_pix_and_nobody_elses(django_capture_on_commit_callbacks):
    loja = receiving_customer(amount_cents=10_000)
    other = receiving_customer("Outra Loja Lima")
    mine = receive_pix(loja, 2_500, txid=TXID)
    theirs = receive_pix(other, 100)
    with django_capture_on_commit_callbacks(execute=True):
        sent = pix_send(account=loja.account, key=key_elsewhere(), amount_cents=100)

    response = loja.client.get(f"{V2}/pix/{mine.end_to_end_id}")
    assert response.status_code == 200
    assert response.json()["endToEndId"] == mine.end_to_end_id
    assert response.json()["valor"] == "25.00"

    for e2eid in (theirs.end_to_end_id, sent.end_to_end_id, "E" + "0" * 31, "short", "x" * 300):
        assert_problem(loja.client.get(f"{V2}/pix/{e2eid}"), 404, "PixNaoEncontrado")


@pytest.mark.django_db
def test_callers_without_a_customer_are_refused():
    staff = APIClient()
    staff.force_authenticate(UserFactory())
    assert_problem(staff.get(f"{V2}/pix", window()), 403, "AcessoNegado")
    anonymous = APIClient().get(f"{V2}/pix", window())
    assert anonymous.status_code in (401, 403)


# --- PUT/GET /pix/{e2eid}/devolucao/{id} -------------------------------------------------


@pytest.mark.django_db
def test_two_partial_refunds_then_one_beyond_the_original_is_refused():
    loja = receiving_customer()
    pix = receive_pix(loja, 10_000)

    first = loja.client.put(refund_url(pix.end_to_end_id, "dev1"), {"valor": "30.00"})
    second = loja.client.put(
        refund_url(pix.end_to_end_id, "dev2"), {"valor": "50.00", "descricao": "Produto faltante"}
    )

    assert first.status_code == 201, first.content
    assert second.status_code == 201, second.content
    one, two = first.json(), second.json()
    assert one["id"] == "dev1" and one["valor"] == "30.00" and one["natureza"] == "ORIGINAL"
    assert one["status"] == "DEVOLVIDO" and one["rtrId"].startswith("D") and len(one["rtrId"]) == 32
    assert one["horario"]["solicitacao"].endswith("Z") and one["horario"]["liquidacao"]
    assert two["descricao"] == "Produto faltante" and two["rtrId"] != one["rtrId"]
    assert balance_of(loja.account.pk)[0] == 2_000

    beyond = loja.client.put(refund_url(pix.end_to_end_id, "dev3"), {"valor": "20.01"})

    body = assert_problem(beyond, 400, "PixDevolucaoInvalida", "valor")
    assert body["violacoes"][0]["valor"] == "20.01" and "20.00" in body["violacoes"][0]["razao"]
    assert not PixRefund.objects.filter(refund_id="dev3").exists()
    assert balance_of(loja.account.pk)[0] == 2_000

    shown = loja.client.get(f"{V2}/pix/{pix.end_to_end_id}").json()
    assert [(d["id"], d["valor"], d["status"]) for d in shown["devolucoes"]] == [
        ("dev1", "30.00", "DEVOLVIDO"),
        ("dev2", "50.00", "DEVOLVIDO"),
    ]
    fetched = loja.client.get(refund_url(pix.end_to_end_id, "dev2"))
    assert fetched.status_code == 200 and fetched.json() == two


@pytest.mark.django_db
def test_the_same_id_answers_the_same_refund_and_moves_money_once():
    loja = receiving_customer()
    pix = receive_pix(loja, 10_000)
    url = refund_url(pix.end_to_end_id, "abc123")
    first = loja.client.put(url, {"valor": "40.00", "descricao": "Troca"})
    entries = JournalEntry.objects.count()

    again = loja.client.put(url, {"valor": "40.00", "descricao": "Troca"})

    assert again.status_code == 201 and again.json() == first.json()
    assert JournalEntry.objects.count() == entries
    assert balance_of(loja.account.pk)[0] == 6_000
    returns = SpiSimulatedMessage.objects.filter(original_end_to_end_id=pix.end_to_end_id)
    assert returns.count() == 1
    for other in ({"valor": "10.00", "descricao": "Troca"}, {"valor": "40.00", "descricao": "x"}):
        assert_problem(loja.client.put(url, other), 400, "PixDevolucaoInvalida", "id")
    assert balance_of(loja.account.pk)[0] == 6_000


@pytest.mark.django_db
def test_refund_lookups_that_find_nothing():
    loja = receiving_customer()
    other = receiving_customer("Outra Loja Lima")
    pix = receive_pix(loja, 1_000)
    theirs = receive_pix(other, 1_000)
    assert (
        loja.client.put(refund_url(pix.end_to_end_id, "r1"), {"valor": "1.00"}).status_code == 201
    )

    assert_problem(
        loja.client.get(refund_url(pix.end_to_end_id, "nope")), 404, "PixDevolucaoNaoEncontrada"
    )
    assert_problem(
        loja.client.get(refund_url(pix.end_to_end_id, "bad-id")), 404, "PixDevolucaoNaoEncontrada"
    )
    assert_problem(loja.client.get(refund_url(theirs.end_to_end_id, "r1")), 404, "PixNaoEncontrado")
    assert_problem(
        loja.client.put(refund_url(theirs.end_to_end_id, "r1"), {"valor": "1.00"}),
        404,
        "PixNaoEncontrado",
    )
    assert balance_of(other.account.pk)[0] == 1_000


@pytest.mark.django_db
def test_refund_after_90_days_is_refused():
    loja = receiving_customer()
    pix = receive_pix(loja, 1_000)
    PixTransfer.objects.filter(pk=pix.pk).update(settled_at=timezone.now() - timedelta(days=91))

    response = loja.client.put(refund_url(pix.end_to_end_id, "late"), {"valor": "1.00"})

    body = assert_problem(response, 400, "PixDevolucaoInvalida", "e2eid")
    assert "90 dias" in body["detail"]  # the API answers in pt-BR
    assert balance_of(loja.account.pk)[0] == 1_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("refund_id", "body", "prop"),
    [
        ("ok1", {}, "valor"),
        ("ok1", {"valor": "1.5"}, "valor"),
        ("ok1", {"valor": "-1.00"}, "valor"),
        ("ok1", {"valor": "0.00"}, "valor"),
        ("ok1", {"valor": 1.0}, "valor"),
        ("ok1", {"valor": None}, "valor"),
        ("ok1", {"valor": "12345678901.00"}, "valor"),
        ("ok1", {"valor": "1,00"}, "valor"),
        ("ok1", {"valor": "١.٠٠"}, "valor"),
        ("ok1", {"valor": "1.00", "natureza": "MED_FRAUDE"}, "natureza"),
        ("ok1", {"valor": "1.00", "natureza": "RETIRADA"}, "natureza"),
        ("ok1", {"valor": "1.00", "descricao": "x" * 141}, "descricao"),
        ("ok1", {"valor": "1.00", "descricao": "bell\x07"}, "descricao"),
        ("ok1", {"valor": "1.00", "descricao": "nul\x00"}, "descricao"),
        ("ok1", {"valor": "1.00", "descricao": 42}, "descricao"),
        ("a-b", {"valor": "1.00"}, "id"),
        ("a" * 36, {"valor": "1.00"}, "id"),
        ("ok1", ["valor", "1.00"], None),
        ("ok1", "1.00", None),
    ],
)
def test_garbage_refund_requests_are_400_and_move_nothing(refund_id, body, prop):
    loja = receiving_customer()
    pix = receive_pix(loja, 10_000)
    entries = JournalEntry.objects.count()

    response = loja.client.put(refund_url(pix.end_to_end_id, refund_id), body, format="json")

    assert_problem(response, 400, "PixDevolucaoInvalida", prop)
    assert JournalEntry.objects.count() == entries and not PixRefund.objects.exists()
    assert balance_of(loja.account.pk)[0] == 10_000


@pytest.mark.django_db
def test_unparseable_and_non_json_bodies():
    loja = receiving_customer()
    pix = receive_pix(loja, 10_000)
    url = refund_url(pix.end_to_end_id, "r1")
    broken = loja.client.put(url, data=b'{"valor": "1.0', content_type="application/json")
    assert_problem(broken, 400, "PixDevolucaoInvalida")
    form = loja.client.put(url, data="valor=1.00", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    assert not PixRefund.objects.exists()


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    valor=st.one_of(
        st.text(max_size=20),
        st.integers(),
        st.floats(allow_nan=True),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
    ),
    descricao=st.one_of(st.text(max_size=160), st.none(), st.integers()),
)
@pytest.mark.django_db
def test_any_refund_body_is_answered_without_a_server_error(valor, descricao):
    loja = receiving_customer()
    pix = receive_pix(loja, 10_000)
    # Encoded here, not by the test client: its strict JSON refuses NaN and Infinity, which a
    # client may still send (Python's json writes them) and the API must refuse with a 400.
    response = loja.client.put(
        refund_url(pix.end_to_end_id, "fuzz"),
        json.dumps({"valor": valor, "descricao": descricao}, allow_nan=True),
        content_type="application/json",
    )
    assert response.status_code in (201, 400), response.content
    refunded = sum(PixRefund.objects.filter(transfer=pix).values_list("amount", flat=True))
    assert balance_of(loja.account.pk)[0] == 10_000 - refunded
    assert refunded <= 10_000


@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_the_original():
    loja = receiving_customer()
    pix = receive_pix(loja, 10_000)
    barrier = threading.Barrier(5)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def refund(n: int) -> None:
        try:
            client = loja.client
            barrier.wait()
            response = client.put(refund_url(pix.end_to_end_id, f"par{n}"), {"valor": "30.00"})
            statuses.append(response.status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    assert sorted(statuses) == [201, 201, 201, 400, 400]
    assert PixRefund.objects.filter(transfer=pix).count() == 3
    assert balance_of(loja.account.pk)[0] == 1_000


@pytest.mark.django_db
def test_a_refund_also_needs_the_money_to_be_there(django_capture_on_commit_callbacks):
    loja = receiving_customer()
    pix = receive_pix(loja, 10_000)
    with django_capture_on_commit_callbacks(execute=True):
        pix_send(account=loja.account, key=key_elsewhere(), amount_cents=9_500)

    response = loja.client.put(refund_url(pix.end_to_end_id, "r1"), {"valor": "10.00"})

    assert response.status_code == 422, response.content
    assert not PixRefund.objects.exists()
    assert balance_of(loja.account.pk)[0] == 500


@pytest.mark.django_db
def test_the_payer_hash_is_kept_on_save_and_backfilled_by_the_migration():
    """The cpf/cnpj filter reads a keyed hash beside the encrypted tax id: save() keeps it
    (also through update_fields), and migration 0008 fills it for older rows."""
    import importlib

    from django.apps import apps as registry

    from apps.core.crypto import tax_id_lookup_hash

    loja = receiving_customer()
    cpf = new_cpf()
    received = receive_pix(loja, 1_000, payer_tax_id=cpf)
    received.refresh_from_db()
    assert received.counterparty_tax_id_hash == tax_id_lookup_hash(cpf)

    other = new_cpf()
    received.counterparty_tax_id = other
    received.save(update_fields=["counterparty_tax_id"])
    received.refresh_from_db()
    assert received.counterparty_tax_id_hash == tax_id_lookup_hash(other)

    PixTransfer.objects.update(counterparty_tax_id_hash="")
    PixTransfer.history.model.objects.update(counterparty_tax_id_hash="")
    migration = importlib.import_module("apps.pix.migrations.0008_payer_tax_id_hash")
    migration.backfill_tax_id_hashes(registry, None)

    received.refresh_from_db()
    assert received.counterparty_tax_id_hash == tax_id_lookup_hash(other)
    hashes = set(
        PixTransfer.history.model.objects.filter(id=received.pk).values_list(
            "counterparty_tax_id_hash", flat=True
        )
    )
    assert hashes and "" not in hashes
