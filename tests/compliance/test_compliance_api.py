"""POST /api/v1/compliance/screenings: compliance roles only, fixed shape, 400s."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from apps.compliance import services
from apps.compliance.models import WatchlistEntry
from apps.core import roles
from tests.factories.users import CustomerFactory, UserFactory
from tests.support.compliance import OFAC_SMALL, UN_SAMPLE, fresh_start

URL = "/api/v1/compliance/screenings"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_lists(db):
    fresh_start()
    services.import_list(source="ofac", path=OFAC_SMALL)
    services.import_list(source="un", path=UN_SAMPLE)


def client_for(user) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    client.force_authenticate(user)
    return client


def staff(role: str) -> APIClient:
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return client_for(type(user).objects.get(pk=user.pk))


@pytest.fixture
def officer() -> APIClient:
    return staff(roles.COMPLIANCE_OFFICER)


def test_officer_gets_matches_in_the_fixed_shape_best_first(officer):
    item = WatchlistEntry.objects.create(name="Frank Kakolele Bwambali", reason="tests")
    response = officer.post(URL, {"name": "Frank Kakolele Bwambale"})
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "private, no-store"
    matches = response.json()["matches"]
    assert matches[0] == {
        "list": "un",
        "entry_id": "6907994",
        "name": "FRANK KAKOLELE BWAMBALE",
        "score": 100,
    }
    assert all(set(m) == {"list", "entry_id", "name", "score"} for m in matches)
    assert all(isinstance(m["entry_id"], str) and 88 <= m["score"] <= 100 for m in matches)
    assert [m["score"] for m in matches] == sorted((m["score"] for m in matches), reverse=True)
    internal = [m for m in matches if m["list"] == "internal"]
    assert [m["entry_id"] for m in internal] == [str(item.pk)] and internal[0]["score"] < 100


def test_variants_birth_date_and_country(officer):
    body = officer.post(
        URL, {"name": "Angus Elvis Logan Morey", "birth_date": "1963-07-28", "country": "BZ"}
    ).json()
    assert [(m["list"], m["entry_id"]) for m in body["matches"]] == [("ofac", "10278")]
    assert officer.post(URL, {"name": "Maria da Silva"}).json() == {"matches": []}
    both = officer.post(URL, {"name": "Gaston Iyamuremye", "country": "Rwanda"}).json()
    assert both["matches"][0]["entry_id"] == "6907995"


def test_admin_may_screen_too():
    admin = UserFactory(is_staff=True, is_superuser=True)
    assert client_for(admin).post(URL, {"name": "HESA"}).status_code == 200


@pytest.mark.parametrize("who", ["customer", "operator", "plain staff"])
def test_everyone_else_is_refused(who):
    if who == "customer":
        user = CustomerFactory().user
        user.groups.add(Group.objects.get(name=roles.CUSTOMER))
        client = client_for(user)
    elif who == "operator":
        client = staff(roles.OPERATOR)
    else:
        client = client_for(UserFactory(is_staff=True))
    response = client.post(URL, {"name": "HESA"})
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")
    assert "matches" not in response.json()


def test_anonymous_is_refused():
    assert APIClient().post(URL, {"name": "HESA"}, format="json").status_code in (401, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "!!! ---"}, "name"),
        ({"name": "x" * 301}, "name"),
        ({"name": ["a", "b"]}, "name"),
        ({"name": "HESA", "birth_date": "28/07/1963"}, "birth_date"),
        ({"name": "HESA", "birth_date": "1963-02-30"}, "birth_date"),
        ({"name": "HESA", "country": "XX"}, "country"),
        ({"name": "HESA", "country": "!!"}, "country"),
        ({"name": "HESA", "country": "x" * 81}, "country"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(officer, body, field):
    response = officer.post(URL, body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in [v["propriedade"] for v in response.json()["violacoes"]]


def test_not_json_is_a_400(officer):
    response = officer.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_role_map_grants_the_permission():
    officer = UserFactory(is_staff=True)
    officer.groups.add(Group.objects.get(name=roles.COMPLIANCE_OFFICER))
    officer = type(officer).objects.get(pk=officer.pk)
    assert officer.has_perm("compliance.screen_names")
    assert officer.has_perm("compliance.change_watchlistentry")
    assert not officer.has_perm("compliance.change_listentry")
    operator = UserFactory(is_staff=True)
    operator.groups.add(Group.objects.get(name=roles.OPERATOR))
    assert not type(operator).objects.get(pk=operator.pk).has_perm("compliance.screen_names")


def test_schema_documents_the_endpoint(officer):
    admin = client_for(UserFactory(is_staff=True, is_superuser=True))
    schema = admin.get("/api/schema/", HTTP_ACCEPT="application/json")
    if schema.status_code != 200:
        schema = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/compliance/screenings" in paths
    post = paths["/api/v1/compliance/screenings"]["post"]
    assert {"200", "400", "403"} <= set(post["responses"])
