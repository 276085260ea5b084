"""The fixed loan calculator APIs: POST /api/v1/loans/simulations and
POST /api/v1/loans/late-charges (open to anonymous callers, nothing stored)."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from tests.factories.customers import person

pytestmark = pytest.mark.django_db

SIMULATIONS = "/api/v1/loans/simulations"
LATE_CHARGES = "/api/v1/loans/late-charges"
AMOUNT = re.compile(r"^\d+\.\d{2}$")
EXAMPLE = {
    "principal": "10000.00",
    "monthly_rate": "2.5",
    "installments": 12,
    "system": "PRICE",
    "release_date": "2026-01-15",
    "first_due_date": "2026-02-15",
    "fees": "0.00",
}


@pytest.fixture
def api():
    return APIClient()  # anonymous


def simulate(api, headers=None, **changes):
    body = {k: v for k, v in (EXAMPLE | changes).items() if v is not ...}  # ...: left out
    return api.post(SIMULATIONS, body, format="json", headers=headers)


def test_price_simulation_shape_and_numbers(api, django_assert_num_queries):
    with django_assert_num_queries(0):  # a calculator: no database at all
        response = simulate(api)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {
        "installments",
        "total_interest",
        "iof",
        "cet_annual_percent",
        "released_amount",
    }
    assert body["total_interest"] == "1698.47"
    assert body["iof"] == "206.82"
    assert body["released_amount"] == "9793.18"
    assert body["cet_annual_percent"] == "40.26"
    rows = body["installments"]
    assert len(rows) == 12
    for number, row in enumerate(rows, start=1):
        assert set(row) == {"number", "due_date", "amount", "interest", "amortization", "balance"}
        assert row["number"] == number and isinstance(row["number"], int)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["due_date"])
        for key in ("amount", "interest", "amortization", "balance"):
            assert isinstance(row[key], str) and AMOUNT.match(row[key]), (key, row[key])
    assert rows[0] == {
        "number": 1,
        "due_date": "2026-02-15",
        "amount": "974.87",
        "interest": "250.00",
        "amortization": "724.87",
        "balance": "9275.13",
    }
    assert rows[-1] == {
        "number": 12,
        "due_date": "2027-01-15",
        "amount": "974.90",
        "interest": "23.78",
        "amortization": "951.12",
        "balance": "0.00",
    }
    for key in ("total_interest", "iof", "released_amount", "cet_annual_percent"):
        assert AMOUNT.match(body[key])


def test_sac_simulation(api):
    body = simulate(api, system="SAC").json()
    rows = body["installments"]
    assert rows[0]["amount"] == "1083.33"
    assert rows[0]["amortization"] == "833.33"
    assert rows[-1]["amortization"] == "833.37"
    assert rows[-1]["balance"] == "0.00"
    assert body["total_interest"] == "1625.00"
    assert body["iof"] == "199.47"
    assert body["cet_annual_percent"] == "40.30"


def test_fees_are_optional_and_deducted_from_the_release(api):
    without = simulate(api, fees=...).json()
    assert without == simulate(api).json()
    body = simulate(api, fees="150.00").json()
    assert body["released_amount"] == "9643.18"
    assert body["cet_annual_percent"] == "44.57"


def test_borrower_kinds(api):
    assert simulate(api, borrower="natural_person").json()["iof"] == "206.82"
    simples = simulate(api, borrower="company_simples", installments=1, first_due_date="2026-02-14")
    assert simples.json()["iof"] == "46.22"  # 10000 x 0.00274% x 30 + 0.38%


def test_lenient_but_exact_number_forms(api):
    # "10000" and an integer are the same amount; the answer is identical.
    assert simulate(api, principal="10000").json() == simulate(api).json()
    assert simulate(api, principal=10000, monthly_rate="2.50").json() == simulate(api).json()


def test_signed_in_callers_get_the_same(api):
    api.force_authenticate(person().user)
    assert simulate(api).json()["iof"] == "206.82"


def test_the_answer_is_idempotent(api):
    assert simulate(api).json() == simulate(api).json()


def assert_422(response, field):
    assert response.status_code == 422, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 422
    assert body["detail"]
    assert field in [item.get("propriedade") for item in body["violacoes"]], body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"principal": "0.00"}, "principal"),
        ({"principal": "0"}, "principal"),
        ({"principal": "-100.00"}, "principal"),
        ({"principal": "abc"}, "principal"),
        ({"principal": ""}, "principal"),
        ({"principal": "1e3"}, "principal"),
        ({"principal": "NaN"}, "principal"),
        ({"principal": "Infinity"}, "principal"),
        ({"principal": "100.001"}, "principal"),
        ({"principal": "1,000.00"}, "principal"),
        ({"principal": 100.5}, "principal"),
        ({"principal": None}, "principal"),
        ({"principal": ["1"]}, "principal"),
        ({"principal": "9" * 5000}, "principal"),
        ({"principal": "10000000000.01"}, "principal"),
        ({"principal": ...}, "principal"),
        ({"monthly_rate": "0"}, "monthly_rate"),
        ({"monthly_rate": "0.00"}, "monthly_rate"),
        ({"monthly_rate": "-2.5"}, "monthly_rate"),
        ({"monthly_rate": "abc"}, "monthly_rate"),
        ({"monthly_rate": "100.01"}, "monthly_rate"),
        ({"monthly_rate": "1000"}, "monthly_rate"),
        ({"monthly_rate": "2.123456789"}, "monthly_rate"),
        ({"monthly_rate": ...}, "monthly_rate"),
        ({"installments": 0}, "installments"),
        ({"installments": -1}, "installments"),
        ({"installments": 421}, "installments"),
        ({"installments": 1.5}, "installments"),
        ({"installments": "abc"}, "installments"),
        ({"installments": True}, "installments"),
        ({"installments": 10**400}, "installments"),
        ({"installments": ...}, "installments"),
        ({"fees": "-1.00"}, "fees"),
        ({"fees": "abc"}, "fees"),
        ({"fees": "9793.18"}, "fees"),  # + IOF 206.82 = the principal
        ({"fees": "20000.00"}, "fees"),
        ({"fees": "9793.17"}, "fees"),  # a centavo released: CET past any sense
        ({"system": "GERMAN"}, "system"),
        ({"system": "price"}, "system"),
        ({"system": 1}, "system"),
        ({"system": ...}, "system"),
        ({"borrower": "alien"}, "borrower"),
        ({"release_date": "2026-02-30"}, "release_date"),
        ({"release_date": "15/01/2026"}, "release_date"),
        ({"release_date": 20260115}, "release_date"),
        ({"release_date": "2021-12-31", "first_due_date": "2022-01-31"}, "release_date"),
        ({"release_date": "2101-01-01", "first_due_date": "2101-02-01"}, "release_date"),
        ({"release_date": ...}, "release_date"),
        ({"first_due_date": "2026-01-14"}, "first_due_date"),  # before the release
        ({"first_due_date": "2030-01-15"}, "first_due_date"),  # four years of grace
        ({"first_due_date": "not a date"}, "first_due_date"),
        ({"first_due_date": "2026-01-16", "monthly_rate": "100"}, "first_due_date"),
        ({"first_due_date": "2026-01-15", "installments": 1}, "first_due_date"),
        ({"installments": 420}, "installments"),  # 2.5% over 35 years: not in centavos
    ],
)
def test_out_of_range_or_malformed_inputs_answer_422_naming_the_field(api, changes, field):
    assert_422(simulate(api, **changes), field)


def test_a_body_that_is_not_an_object_is_422(api):
    response = api.post(SIMULATIONS, [1, 2], format="json")
    assert response.status_code == 422
    assert response.json()["violacoes"]


def test_the_longest_term_works_at_a_mortgage_rate(api):
    response = simulate(api, principal="300000.00", monthly_rate="1", installments=420)
    assert response.status_code == 200
    rows = response.json()["installments"]
    assert len(rows) == 420 and rows[-1]["balance"] == "0.00"
    assert rows[-1]["due_date"] == "2061-01-15"


def test_messages_follow_the_reader_language(api):
    english = simulate(api, principal="0.00", headers={"Accept-Language": "en"})
    portuguese = simulate(api, principal="0.00", headers={"Accept-Language": "pt-br"})
    assert english.json()["detail"] == "The value must be greater than zero."
    assert portuguese.json()["detail"] == "O valor deve ser maior que zero."


def late(api, **changes):
    body = {"amount": "974.87", "monthly_rate": "2.5", "days_late": 15} | changes
    return api.post(LATE_CHARGES, {k: v for k, v in body.items() if v is not ...}, format="json")


def test_late_charges_example(api, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = late(api)
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "interest": "12.11",
        "fine": "19.50",
        "default_interest": "4.87",
        "total": "36.48",
    }


def test_no_days_late_all_zero(api):
    assert late(api, days_late=0).json() == {
        "interest": "0.00",
        "fine": "0.00",
        "default_interest": "0.00",
        "total": "0.00",
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0.00"}, "amount"),
        ({"amount": "-974.87"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": 974.87}, "amount"),
        ({"amount": ...}, "amount"),
        ({"monthly_rate": "-1"}, "monthly_rate"),
        ({"monthly_rate": "abc"}, "monthly_rate"),
        ({"monthly_rate": "101"}, "monthly_rate"),
        ({"days_late": -1}, "days_late"),
        ({"days_late": "abc"}, "days_late"),
        ({"days_late": 1.5}, "days_late"),
        ({"days_late": 3651}, "days_late"),
        ({"days_late": ...}, "days_late"),
        ({"amount": "10000000000.00", "monthly_rate": "100", "days_late": 3650}, "days_late"),
    ],
)
def test_late_charges_refusals_name_the_field(api, changes, field):
    assert_422(late(api, **changes), field)


def test_the_schema_documents_both_calculators_as_public():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in (SIMULATIONS, LATE_CHARGES):
        operation = schema["paths"][path]["post"]
        assert operation.get("security", []) in ([], [{}])  # no credentials asked
        assert "422" in operation["responses"]
