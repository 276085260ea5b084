"""Portal: a customer's API credentials for API Pix (Pix > API access)."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.urls import reverse

from apps.core.models import ApiAccessToken, ApiClient
from tests.factories.ledger import funded_account
from tests.support.pix_keys import company

pytestmark = pytest.mark.django_db

PAGE = reverse("portal:pix:api_clients")


@pytest.fixture
def store(client):
    customer = company("Padaria Tres Irmaos Ltda")
    funded_account(customer=customer)
    client.force_login(customer.user)
    return customer


def token_with(client_id: str, secret: str):
    auth = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client().post(
        "/oauth/token", {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {auth}"
    )


def test_the_page_needs_a_signed_in_customer(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_create_shows_the_secret_once_and_it_works(client, store):
    page = client.get(PAGE)
    assert page.status_code == 200 and b"cob.write" in page.content

    posted = client.post(PAGE, {"name": "ERP da loja", "scopes": ["cob.read", "cob.write"]})
    assert posted.status_code == 302 and posted.url == PAGE  # a reload resends nothing
    response = client.get(PAGE)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    created = response.context["created"]
    secret = response.context["secret"]
    assert secret and secret.encode() in response.content
    assert created.user == store.user and created.scope == "cob.read cob.write"
    assert token_with(created.client_id, secret).status_code == 200
    again = client.get(PAGE)
    assert secret.encode() not in again.content  # never shown again
    assert created.client_id.encode() in again.content


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "scopes": ["cob.read"]}, "name"),
        ({"name": "ERP", "scopes": []}, "scopes"),
        ({"name": "ERP", "scopes": ["accounts.drain"]}, "scopes"),
    ],
)
def test_bad_input_is_a_form_error_and_creates_nothing(client, store, data, field):
    response = client.post(PAGE, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ApiClient.objects.exists()


def test_revoke_stops_the_client_and_its_tokens(client, store):
    client.post(PAGE, {"name": "ERP", "scopes": ["pix.read"]})
    (created,) = ApiClient.objects.all()
    client.post(PAGE, {"name": "Loja online", "scopes": ["pix.read"]})
    secret_response = client.get(PAGE)
    other = secret_response.context["created"]
    assert token_with(other.client_id, secret_response.context["secret"]).status_code == 200

    response = client.post(reverse("portal:pix:api_client_revoke", args=[other.pk]))

    assert response.status_code == 302
    other.refresh_from_db()
    created.refresh_from_db()
    assert not other.active and created.active
    assert not ApiAccessToken.objects.filter(client=other).exists()


def test_someone_elses_client_cannot_be_revoked(client, store):
    stranger = company("Mercado Alves Ltda")
    from apps.core.api_clients import api_client_create

    theirs, _secret = api_client_create(user=stranger.user, name="x", scope=["pix.read"])
    response = client.post(reverse("portal:pix:api_client_revoke", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.active
