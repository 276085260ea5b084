"""The keys API (/api/v1/pix/keys...) and the Pix admin console."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from apps.core import roles
from apps.core.models import AuditEvent
from apps.pix.keys import claims as key_claims
from apps.pix.keys import services
from apps.pix.models import PixClaim, PixKey
from apps.simulators.models import DictEntry
from tests.factories.users import UserFactory
from tests.support.pix_keys import (
    BB,
    _clean_sms_outbox,  # noqa: F401  (autouse fixture)
    account_of,
    api_client,
    company,
    idem,
    other_owner,
    owner_as_dict,
    person,
    register_elsewhere,
    sms_code,
)

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def post_key(client, **body):
    return client.post("/api/v1/pix/keys", body, format="json", **idem())


def test_register_and_list_keys():
    customer = person()
    account = account_of(customer)
    client = api_client(customer)
    response = post_key(client, account=account.pk, type="CPF", key=customer.tax_id)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {
        "id",
        "account",
        "type",
        "key",
        "state",
        "claim_offer",
        "registered_at",
        "created_at",
    }
    assert body["type"] == "CPF" and body["state"] == "active" and body["claim_offer"] is None
    evp = post_key(client, account=account.pk, type="EVP").json()
    assert evp["state"] == "active" and len(evp["key"]) == 36
    listed = client.get("/api/v1/pix/keys").json()
    assert [k["id"] for k in listed] == [body["id"], evp["id"]]
    other = account_of(customer)
    assert client.get(f"/api/v1/pix/keys?account={other.pk}").json() == []


def test_phone_key_confirmation_over_the_api(django_capture_on_commit_callbacks):
    customer = person()
    client = api_client(customer)
    with django_capture_on_commit_callbacks(execute=True):
        created = post_key(
            client, account=account_of(customer).pk, type="PHONE", key="+55 11 98765-4321"
        ).json()
    assert created["state"] == "pending_ownership" and created["key"] == "+5511987654321"
    url = f"/api/v1/pix/keys/{created['id']}/confirm"
    bad = client.post(url, {"code": "12"}, format="json")
    assert bad.status_code == 400 and bad["Content-Type"] == PROBLEM
    assert bad.json()["violacoes"][0]["propriedade"] == "code"
    code = sms_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = client.post(url, {"code": wrong}, format="json")
    assert refused.status_code == 400 and "4 attempt" in refused.json()["detail"]
    done = client.post(url, {"code": code}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "active"


def test_bad_type_and_malformed_keys_are_400_problems():
    customer = person()
    client = api_client(customer)
    account = account_of(customer)
    bad_type = post_key(client, account=account.pk, type="IBAN", key="x")
    assert bad_type.status_code == 400 and bad_type["Content-Type"] == PROBLEM
    assert bad_type.json()["violacoes"][0]["propriedade"] == "type"
    malformed = post_key(client, account=account.pk, type="PHONE", key="+1415555")
    assert malformed.status_code == 400
    problem = malformed.json()
    assert problem["type"].endswith("/invalid_key")
    assert problem["violacoes"][0]["propriedade"] == "key"
    no_key = client.post("/api/v1/pix/keys", {"account": account.pk, "type": "EVP"}, format="json")
    assert no_key.status_code == 400 and "Idempotency-Key" in no_key.json()["detail"]


def test_someone_elses_account_key_and_claim_are_404():
    me, them = person(), person()
    their_account = account_of(them)
    their_key = services.key_register(account=their_account, key_type="EVP")
    client = api_client(me)
    response = post_key(client, account=their_account.pk, type="EVP")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert client.delete(f"/api/v1/pix/keys/{their_key.pk}").status_code == 404
    confirm = client.post(f"/api/v1/pix/keys/{their_key.pk}/confirm", {"code": "12"}, format="json")
    assert confirm.status_code == 404
    assert client.get(f"/api/v1/pix/keys?account={their_account.pk}").status_code == 404
    assert client.get("/api/v1/pix/keys").json() == []
    assert client.post("/api/v1/pix/claims/999999/confirm").status_code == 404


def test_the_key_limit_answers_422_naming_it():
    customer = person()
    client = api_client(customer)
    account = account_of(customer)
    for _ in range(5):
        assert post_key(client, account=account.pk, type="EVP").status_code == 201
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")  # the detail reads in the caller's language
    response = post_key(client, account=account.pk, type="EVP")
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("/key_limit_reached")
    assert "at most 5 keys" in problem["detail"]
    assert problem["title"] == "Pix key limit reached"


def test_cpf_held_elsewhere_answers_409_with_the_claim_to_open():
    customer = person()
    register_elsewhere(key_type="CPF", key=customer.tax_id, owner=owner_as_dict(customer))
    response = post_key(
        api_client(customer), account=account_of(customer).pk, type="CPF", key=customer.tax_id
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("/key_portability_available")
    assert "PORTABILITY" in problem["detail"]


def test_delete_key_over_the_api():
    customer = person()
    pix_key = services.key_register(account=account_of(customer), key_type="EVP")
    client = api_client(customer)
    assert client.delete(f"/api/v1/pix/keys/{pix_key.pk}").status_code == 204
    assert not DictEntry.objects.filter(key=pix_key.key).exists()
    again = client.delete(f"/api/v1/pix/keys/{pix_key.pk}")
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM


def test_lookup_answers_the_masked_owner_and_bank():
    owner = other_owner(name="João da Silva Santos")
    entry = register_elsewhere(key_type="EVP", key=None, owner=owner, ispb=BB)
    payer = person()
    response = api_client(payer).get(f"/api/v1/pix/keys/lookup/{entry.key}")
    assert response.status_code == 200, response.json()
    body = response.json()
    digits = owner.tax_id
    assert body["owner_name"] == "João S. S."
    assert body["owner_tax_id"] == f"***.{digits[3:6]}.{digits[6:9]}-**"
    assert body["bank"] == {"ispb": BB, "name": "BCO DO BRASIL S.A."}
    assert body["type"] == "EVP" and body["key"] == entry.key
    assert digits not in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


def test_lookup_of_a_company_shows_its_name():
    firm = company(name="Padaria Tres Irmaos Ltda")
    services.key_register(account=account_of(firm), key_type="CNPJ", key=firm.tax_id)
    response = api_client(person()).get(f"/api/v1/pix/keys/lookup/{firm.tax_id}")
    body = response.json()
    assert body["owner_name"] == "Padaria Tres Irmaos Ltda"
    assert body["owner_type"] == "LEGAL_PERSON"
    assert body["bank"]["name"] == "Athena Pay"


def test_lookup_errors():
    client = api_client(person())
    malformed = client.get("/api/v1/pix/keys/lookup/not-a-key")
    assert malformed.status_code == 400 and malformed["Content-Type"] == PROBLEM
    missing = client.get(f"/api/v1/pix/keys/lookup/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["type"].endswith("/key_not_found")
    # 100 tokens; each miss costs 20: four more misses empty the bucket, then 429.
    for _ in range(4):
        assert client.get(f"/api/v1/pix/keys/lookup/{uuid.uuid4()}").status_code == 404
    limited = client.get(f"/api/v1/pix/keys/lookup/{uuid.uuid4()}")
    assert limited.status_code == 429 and limited["Content-Type"] == PROBLEM
    assert limited.json()["type"].endswith("/rate_limited")


def test_lookup_keys_do_not_reach_the_request_logs(caplog):
    import logging

    caplog.set_level(logging.INFO)
    register_elsewhere(key_type="EMAIL", key="ana.souza@example.com", owner=other_owner())
    client = api_client(person())
    assert client.get("/api/v1/pix/keys/lookup/ana.souza@example.com").status_code == 200
    assert client.get("/api/v1/pix/keys/lookup/bruno@example.com").status_code == 404
    rendered = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "/api/v1/pix/keys/lookup/a***@e***.com" in rendered
    assert "ana.souza@example.com" not in rendered and "bruno@example.com" not in rendered


def test_lookup_of_an_email_with_a_plus_sign():
    owner = other_owner()
    register_elsewhere(key_type="EMAIL", key="ana+pix@example.com", owner=owner)
    response = api_client(person()).get("/api/v1/pix/keys/lookup/ana+pix@example.com")
    assert response.status_code == 200 and response.json()["type"] == "EMAIL"


# --- The admin console -----------------------------------------------------------------------


def staff(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return user, client


@pytest.mark.parametrize("role", [roles.OPERATOR, roles.COMPLIANCE_OFFICER, roles.ADMIN])
def test_admin_pages_render(role, django_capture_on_commit_callbacks):
    customer = person()
    pix_key = services.key_register(account=account_of(customer), key_type="CPF",
                                    key=customer.tax_id)  # fmt: skip
    _user, client = staff(role)
    pages = [
        reverse("admin:pix_pixkey_changelist"),
        reverse("admin:pix_pixkey_change", args=[pix_key.pk]),
        reverse("admin:pix_pixkey_history", args=[pix_key.pk]),
        reverse("admin:pix_pixclaim_changelist"),
    ]
    if role != roles.COMPLIANCE_OFFICER:
        pages += [
            reverse("admin:simulators_dictentry_changelist"),
            reverse("admin:simulators_dictclaim_changelist"),
            reverse("admin:simulators_dicttokenbucket_changelist"),
        ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    # A CPF key is the customer's CPF: masked for operators, whole for compliance.
    for url in (
        reverse("admin:pix_pixkey_changelist"),
        reverse("admin:pix_pixkey_change", args=[pix_key.pk]),
        reverse("admin:pix_pixkey_history", args=[pix_key.pk]),
    ):
        page = client.get(url).content.decode()
        masked = "***." + customer.tax_id[3:6]
        if role == roles.OPERATOR:
            assert customer.tax_id not in page and masked in page, url
        elif "history" not in url:
            assert customer.tax_id in page, url


def test_admin_delete_action_asks_for_a_reason():
    customer = person()
    pix_key = services.key_register(account=account_of(customer), key_type="EVP")
    admin_user, client = staff(roles.ADMIN)
    url = reverse("admin:pix_pixkey_changelist")
    form = {"action": "delete_from_dict", "_selected_action": [pix_key.pk]}
    asked = client.post(url, form)
    assert asked.status_code == 200 and b'name="reason"' in asked.content
    done = client.post(url, {**form, "apply": "yes", "reason": "fraud report 123"})
    assert done.status_code == 302
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.DELETED
    assert AuditEvent.objects.filter(action="admin_action", actor=admin_user).exists()
    # Operators may look but not delete keys.
    _op, op_client = staff(roles.OPERATOR)
    other = services.key_register(account=account_of(customer), key_type="EVP")
    op_client.post(url, {"action": "delete_from_dict", "_selected_action": [other.pk],
                         "apply": "yes", "reason": "x"})  # fmt: skip
    other.refresh_from_db()
    assert other.state == PixKey.State.ACTIVE


def test_admin_claims_can_be_handled_by_operators(django_capture_on_commit_callbacks):
    from apps.simulators.dict.simulator import DictSimulator

    customer = person()
    pix_key = services.key_register(account=account_of(customer), key_type="CPF",
                                    key=customer.tax_id)  # fmt: skip
    DictSimulator(BB).open_claim_as_other_psp(
        key=pix_key.key, claim_type="PORTABILITY", claimer=owner_as_dict(customer)
    )
    with django_capture_on_commit_callbacks(execute=True):
        key_claims.claims_sync()
    claim = PixClaim.objects.get(role="donor")
    _op, client = staff(roles.OPERATOR)
    url = reverse("admin:pix_pixclaim_changelist")
    response = client.post(
        url,
        {"action": "give_key_up", "_selected_action": [claim.pk], "apply": "yes",
         "reason": "customer called the branch"},
    )  # fmt: skip
    assert response.status_code == 302
    claim.refresh_from_db()
    pix_key.refresh_from_db()
    assert claim.state == PixClaim.State.CONFIRMED and pix_key.state == PixKey.State.TRANSFERRED
