"""Claims in both directions: ours against other PSPs (CLAIMER) and theirs against our keys
(DONOR), with the DICT's resolution and completion periods (time travel through `now=`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation

from apps.pix import adapters, tasks
from apps.pix.adapters import dict as dict_api
from apps.pix.keys import claims as key_claims
from apps.pix.keys import errors as key_errors
from apps.pix.keys import services
from apps.pix.models import PixClaim, PixKey
from apps.simulators.dict.simulator import DictSimulator
from apps.simulators.models import DictClaim, DictEntry
from tests.support.pix_keys import (
    BB,
    ITAU,
    T0,
    _clean_sms_outbox,  # noqa: F401  (autouse fixture)
    account_of,
    api_client,
    idem,
    other_owner,
    owner_as_dict,
    person,
    register_elsewhere,
    sms_code,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _read_in_english(settings):
    """Messages are asserted by their msgids (English), and customers with no language of
    their own read English: the reader's language is tested in
    test_pix_key_messages_language.py."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


OURS = "13140088"
PHONE = "+5511987654321"
DAY = timedelta(days=1)


def sync(at, capture=None):
    if capture is None:
        return key_claims.claims_sync(now=at)
    with capture(execute=True):
        return key_claims.claims_sync(now=at)


def prove_phone(customer, account, capture, phone=PHONE, at=T0):
    """Register a phone key held elsewhere and confirm the code: ownership claim offered."""
    with capture(execute=True):
        pix_key = services.key_register(account=account, key_type="PHONE", key=phone, now=at)
    with pytest.raises(key_errors.KeyHeldElsewhere):
        services.key_confirm_ownership(pix_key=pix_key, code=sms_code(), now=at)
    pix_key.refresh_from_db()
    return pix_key


# --- We claim (CLAIMER) ---------------------------------------------------------------------


def test_portability_we_open_completes_when_the_holder_confirms():
    customer = person()
    account = account_of(customer)
    entry = register_elsewhere(
        key_type="CPF", key=customer.tax_id, owner=owner_as_dict(customer), now=T0 - 300 * DAY
    )
    claim = key_claims.claim_open(
        account=account, key=customer.tax_id, claim_type="PORTABILITY", now=T0
    )
    assert claim.role == PixClaim.Role.CLAIMER and claim.state == PixClaim.State.OPEN
    assert claim.counterpart_ispb == BB
    assert claim.resolution_period_end == T0 + 7 * DAY
    assert claim.pix_key.state == PixKey.State.CLAIMING
    # The holder's bank acknowledges at once; its customer confirms two days later.
    sync(T0 + DAY)
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.WAITING_RESOLUTION
    DictSimulator(BB).confirm_claim(
        claim_id=claim.dict_claim_id, reason="USER_REQUESTED", now=T0 + 2 * DAY
    )
    assert sync(T0 + 2 * DAY) >= 1
    claim.refresh_from_db()
    pix_key = PixKey.objects.get(pk=claim.pix_key_id)
    assert claim.state == PixClaim.State.COMPLETED
    assert pix_key.state == PixKey.State.ACTIVE
    moved = DictEntry.objects.get(key=customer.tax_id)
    assert moved.participant == OURS and moved.account_number == account.number
    # Portability keeps the owner's uninterrupted ownership date.
    assert pix_key.ownership_since == entry.key_ownership_date
    assert [t for t in claim.history.values_list("state", flat=True)][::-1] == [
        "open",
        "waiting_resolution",
        "confirmed",
        "completed",
    ]


def test_portability_we_open_is_cancelled_when_left_unanswered():
    customer = person()
    register_elsewhere(key_type="CPF", key=customer.tax_id, owner=owner_as_dict(customer))
    claim = key_claims.claim_open(
        account=account_of(customer), key=customer.tax_id, claim_type="PORTABILITY", now=T0
    )
    sync(T0 + 7 * DAY - timedelta(seconds=1))
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.WAITING_RESOLUTION
    sync(T0 + 7 * DAY)
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.CANCELLED
    assert (claim.cancel_reason, claim.cancelled_by) == ("DEFAULT_OPERATION", "DONOR")
    assert PixKey.objects.get(pk=claim.pix_key_id).state == PixKey.State.CANCELLED
    assert DictEntry.objects.get(key=customer.tax_id).participant == BB


def test_ownership_claim_we_open_waits_for_the_completion_period(
    django_capture_on_commit_callbacks,
):
    register_elsewhere(key_type="PHONE", key=PHONE, owner=other_owner(), ispb=ITAU)
    customer = person()
    account = account_of(customer)
    pix_key = prove_phone(customer, account, django_capture_on_commit_callbacks)
    assert pix_key.state == PixKey.State.AWAITING_CLAIM
    claim = key_claims.claim_open(account=account, key=PHONE, claim_type="OWNERSHIP", now=T0)
    assert claim.completion_period_end == T0 + 30 * DAY
    # Nobody answers: at the end of the resolution period the holder's bank confirms.
    sync(T0 + 7 * DAY)
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.CONFIRMED and claim.confirm_reason == "DEFAULT_OPERATION"
    assert not DictEntry.objects.filter(key=PHONE).exists()  # out of the directory
    with pytest.raises(dict_api.EntryNotFound):
        services.key_lookup(key=PHONE, requester=person(), now=T0 + 8 * DAY)
    sync(T0 + 29 * DAY)
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.CONFIRMED  # completion period still running
    sync(T0 + 30 * DAY)
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.COMPLETED
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.ACTIVE
    entry = DictEntry.objects.get(key=PHONE)
    assert entry.participant == OURS and entry.key_ownership_date == T0 + 30 * DAY


def test_ownership_claim_completes_at_once_when_the_holder_gives_up(
    django_capture_on_commit_callbacks,
):
    register_elsewhere(key_type="PHONE", key=PHONE, owner=other_owner(), ispb=ITAU)
    customer = person()
    account = account_of(customer)
    prove_phone(customer, account, django_capture_on_commit_callbacks)
    claim = key_claims.claim_open(account=account, key=PHONE, claim_type="OWNERSHIP", now=T0)
    itau = DictSimulator(ITAU)
    itau.confirm_claim(claim_id=claim.dict_claim_id, reason="USER_REQUESTED", now=T0 + DAY)
    sync(T0 + DAY)
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.COMPLETED
    assert claim.completion_period_end == T0 + DAY


def test_ownership_claim_fails_when_the_holder_proves_possession(
    django_capture_on_commit_callbacks,
):
    register_elsewhere(key_type="PHONE", key=PHONE, owner=other_owner(), ispb=ITAU)
    customer = person()
    account = account_of(customer)
    prove_phone(customer, account, django_capture_on_commit_callbacks)
    claim = key_claims.claim_open(account=account, key=PHONE, claim_type="OWNERSHIP", now=T0)
    DictSimulator(ITAU).cancel_claim(claim_id=claim.dict_claim_id, reason="FRAUD", now=T0 + DAY)
    sync(T0 + DAY)
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.CANCELLED and claim.cancelled_by == "DONOR"
    assert PixKey.objects.get(pk=claim.pix_key_id).state == PixKey.State.CANCELLED
    assert DictEntry.objects.get(key=PHONE).participant == ITAU


def test_we_withdraw_our_claim():
    customer = person()
    register_elsewhere(key_type="CPF", key=customer.tax_id, owner=owner_as_dict(customer))
    claim = key_claims.claim_open(
        account=account_of(customer), key=customer.tax_id, claim_type="PORTABILITY", now=T0
    )
    outcome = key_claims.claim_cancel(claim=claim, actor=customer.user, now=T0 + DAY)
    assert outcome.claim.state == PixClaim.State.CANCELLED and not outcome.code_sent
    assert DictClaim.objects.get(pk=claim.dict_claim_id).cancelled_by == "CLAIMER"
    assert PixKey.objects.get(pk=claim.pix_key_id).state == PixKey.State.CANCELLED


def test_claims_we_cannot_open():
    customer = person()
    account = account_of(customer)
    register_elsewhere(key_type="PHONE", key=PHONE, owner=other_owner())
    with pytest.raises(services.ValidationFailed) as excinfo:
        key_claims.claim_open(account=account, key=PHONE, claim_type="OWNERSHIP")
    assert excinfo.value.code == "possession_proof_required"
    with pytest.raises(services.ValidationFailed, match="EVP"):
        key_claims.claim_open(
            account=account, key="123e4567-e89b-42d3-a456-426655440000", claim_type="PORTABILITY"
        )
    with pytest.raises(services.ValidationFailed, match="ownership claim"):
        key_claims.claim_open(account=account, key=customer.tax_id, claim_type="OWNERSHIP")
    with pytest.raises(dict_api.ClaimKeyNotFound):
        key_claims.claim_open(account=account, key=customer.tax_id, claim_type="PORTABILITY")
    assert not PixClaim.objects.exists()


def test_portability_of_a_key_owned_by_someone_else_is_inconsistent(
    django_capture_on_commit_callbacks,
):
    register_elsewhere(key_type="PHONE", key=PHONE, owner=other_owner(), ispb=ITAU)
    customer = person()
    account = account_of(customer)
    prove_phone(customer, account, django_capture_on_commit_callbacks)
    with pytest.raises(dict_api.ClaimTypeInconsistent, match="ownership"):
        key_claims.claim_open(account=account, key=PHONE, claim_type="PORTABILITY")


# --- Our key is claimed (DONOR) -------------------------------------------------------------


def our_cpf_key(at=T0):
    customer = person()
    pix_key = services.key_register(
        account=account_of(customer), key_type="CPF", key=customer.tax_id, now=at
    )
    return customer, pix_key


def our_phone_key(capture, at=T0):
    customer = person(name="Ana Lima")
    with capture(execute=True):
        pix_key = services.key_register(
            account=account_of(customer), key_type="PHONE", key=PHONE, now=at
        )
    services.key_confirm_ownership(pix_key=pix_key, code=sms_code(), now=at)
    pix_key.refresh_from_db()
    return customer, pix_key


def test_portability_claim_against_our_key_notifies_and_locks_it(
    django_capture_on_commit_callbacks,
):
    customer, pix_key = our_cpf_key()
    record = DictSimulator(BB).open_claim_as_other_psp(
        key=pix_key.key, claim_type="PORTABILITY", claimer=owner_as_dict(customer), now=T0
    )
    mail.outbox.clear()
    assert sync(T0 + 60 * timedelta(seconds=1), django_capture_on_commit_callbacks) >= 1
    claim = PixClaim.objects.get(dict_claim_id=record.id, role="donor")
    assert claim.state == PixClaim.State.WAITING_RESOLUTION and claim.counterpart_ispb == BB
    assert DictClaim.objects.get(pk=record.id).status == "WAITING_RESOLUTION"
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.LOCKED_BY_CLAIM
    assert mail.outbox[-1].to == [customer.user.email]
    assert "portability" in mail.outbox[-1].body and customer.tax_id not in mail.outbox[-1].body
    with pytest.raises(services.Conflict, match="answer the claim"):
        services.key_delete(pix_key=pix_key)
    # A second sync changes nothing (idempotent).
    assert sync(T0 + timedelta(minutes=2)) == 0


def test_our_customer_confirms_a_portability_and_the_key_leaves():
    customer, pix_key = our_cpf_key()
    record = DictSimulator(BB).open_claim_as_other_psp(
        key=pix_key.key, claim_type="PORTABILITY", claimer=owner_as_dict(customer), now=T0
    )
    sync(T0)
    claim = PixClaim.objects.get(dict_claim_id=record.id)
    response = api_client(customer).post(f"/api/v1/pix/claims/{claim.pk}/confirm")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "confirmed"
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.TRANSFERRED
    # The other PSP completes on its next move: the key is now there.
    DictSimulator(BB).tick(T0 + timedelta(minutes=1))
    assert DictEntry.objects.get(key=pix_key.key).participant == BB
    sync(T0 + timedelta(minutes=2))
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.COMPLETED


def test_our_customer_refuses_a_portability():
    customer, pix_key = our_cpf_key()
    record = DictSimulator(BB).open_claim_as_other_psp(
        key=pix_key.key, claim_type="PORTABILITY", claimer=owner_as_dict(customer), now=T0
    )
    sync(T0)
    claim = PixClaim.objects.get(dict_claim_id=record.id)
    response = api_client(customer).post(f"/api/v1/pix/claims/{claim.pk}/cancel", {}, "json")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.ACTIVE
    assert DictEntry.objects.get(key=pix_key.key).participant == OURS


def test_an_unanswered_portability_against_our_key_is_cancelled_at_the_deadline():
    customer, pix_key = our_cpf_key()
    DictSimulator(BB).open_claim_as_other_psp(
        key=pix_key.key, claim_type="PORTABILITY", claimer=owner_as_dict(customer), now=T0
    )
    sync(T0)
    sync(T0 + 7 * DAY - timedelta(seconds=1))
    claim = PixClaim.objects.get(role="donor")
    assert claim.state == PixClaim.State.WAITING_RESOLUTION
    tasks_count = _run_sync_task_at(T0 + 7 * DAY)
    assert tasks_count >= 1
    claim.refresh_from_db()
    assert claim.state == PixClaim.State.CANCELLED
    assert (claim.cancel_reason, claim.cancelled_by) == ("DEFAULT_OPERATION", "DONOR")
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.ACTIVE


def _run_sync_task_at(at):
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=at):
        return tasks.sync_dict_claims_task.delay().get()


def test_an_unanswered_ownership_claim_against_our_key_releases_it(
    django_capture_on_commit_callbacks,
):
    _customer, pix_key = our_phone_key(django_capture_on_commit_callbacks)
    record = DictSimulator(ITAU).open_claim_as_other_psp(
        key=PHONE, claim_type="OWNERSHIP", claimer=other_owner(), now=T0
    )
    sync(T0, django_capture_on_commit_callbacks)
    assert "Someone at" in mail.outbox[-1].body
    sync(T0 + 7 * DAY)
    claim = PixClaim.objects.get(dict_claim_id=record.id)
    assert claim.state == PixClaim.State.CONFIRMED and claim.confirm_reason == "DEFAULT_OPERATION"
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.TRANSFERRED
    assert not DictEntry.objects.filter(key=PHONE).exists()
    # Itaú completes once the completion period (30 days from the opening) is over.
    DictSimulator(ITAU).tick(T0 + 29 * DAY)
    assert not DictEntry.objects.filter(key=PHONE).exists()
    DictSimulator(ITAU).tick(T0 + 30 * DAY)
    assert DictEntry.objects.get(key=PHONE).participant == ITAU


def test_our_customer_keeps_the_key_by_proving_possession(django_capture_on_commit_callbacks):
    customer, pix_key = our_phone_key(django_capture_on_commit_callbacks)
    record = DictSimulator(ITAU).open_claim_as_other_psp(
        key=PHONE, claim_type="OWNERSHIP", claimer=other_owner(), now=T0
    )
    sync(T0)
    claim = PixClaim.objects.get(dict_claim_id=record.id)
    client = api_client(customer)
    adapters.sms_outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(f"/api/v1/pix/claims/{claim.pk}/cancel", {}, format="json")
    assert asked.status_code == 202 and asked.json()["state"] == "waiting_resolution"
    assert adapters.sms_outbox[-1].to == PHONE and "keep" in adapters.sms_outbox[-1].body
    wrong = client.post(f"/api/v1/pix/claims/{claim.pk}/cancel", {"code": "000000"}, format="json")
    if sms_code() != "000000":
        assert wrong.status_code == 400
    kept = client.post(f"/api/v1/pix/claims/{claim.pk}/cancel", {"code": sms_code()}, "json")
    assert kept.status_code == 200 and kept.json()["state"] == "cancelled"
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.ACTIVE
    dict_claim = DictClaim.objects.get(pk=record.id)
    assert (dict_claim.cancel_reason, dict_claim.cancelled_by) == ("FRAUD", "DONOR")


def test_an_ownership_claim_between_two_of_our_customers(django_capture_on_commit_callbacks):
    holder, held_key = our_phone_key(django_capture_on_commit_callbacks)
    newcomer = person(name="Bruno Costa")
    account = account_of(newcomer)
    with django_capture_on_commit_callbacks(execute=True):
        pending = services.key_register(account=account, key_type="PHONE", key=PHONE, now=T0)
    with pytest.raises(key_errors.KeyHeldElsewhere) as excinfo:
        services.key_confirm_ownership(pix_key=pending, code=sms_code(), now=T0)
    assert excinfo.value.claim_type == "OWNERSHIP"
    with django_capture_on_commit_callbacks(execute=True):
        ours = key_claims.claim_open(account=account, key=PHONE, claim_type="OWNERSHIP", now=T0)
    theirs = PixClaim.objects.get(dict_claim_id=ours.dict_claim_id, role="donor")
    assert theirs.customer == holder and theirs.state == PixClaim.State.WAITING_RESOLUTION
    held_key.refresh_from_db()
    assert held_key.state == PixKey.State.LOCKED_BY_CLAIM
    key_claims.claim_confirm(claim=theirs, actor=holder.user, now=T0 + DAY)
    sync(T0 + DAY)
    ours.refresh_from_db()
    assert ours.state == PixClaim.State.COMPLETED
    entry = DictEntry.objects.get(key=PHONE)
    assert entry.account_number == account.number
    held_key.refresh_from_db()
    assert held_key.state == PixKey.State.TRANSFERRED


# --- The claims API --------------------------------------------------------------------------


def test_claims_api_shapes_and_rules(django_capture_on_commit_callbacks):
    customer = person()
    account = account_of(customer)
    register_elsewhere(key_type="CPF", key=customer.tax_id, owner=owner_as_dict(customer))
    client = api_client(customer)
    response = client.post(
        "/api/v1/pix/claims",
        {"key": customer.tax_id, "type": "PORTABILITY", "account": account.pk},
        format="json",
        **idem(),
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["role"] == "claimer" and body["type"] == "PORTABILITY"
    assert body["state"] == "open" and body["counterpart"] == {
        "ispb": BB,
        "name": "BCO DO BRASIL S.A.",
    }
    assert client.get("/api/v1/pix/claims").json()[0]["id"] == body["id"]
    confirm = client.post(f"/api/v1/pix/claims/{body['id']}/confirm")
    assert confirm.status_code == 409 and confirm.json()["type"].endswith("/claim_not_donor")
    bad = client.post(
        "/api/v1/pix/claims",
        {"key": customer.tax_id, "type": "THEFT", "account": account.pk},
        format="json",
        **idem(),
    )
    assert bad.status_code == 400 and bad.json()["violacoes"][0]["propriedade"] == "type"
    stranger = api_client(person())
    assert stranger.post(f"/api/v1/pix/claims/{body['id']}/cancel", {}, "json").status_code == 404
    assert stranger.get("/api/v1/pix/claims").json() == []
    elsewhere = stranger.post(
        "/api/v1/pix/claims",
        {"key": customer.tax_id, "type": "PORTABILITY", "account": account.pk},
        format="json",
        **idem(),
    )
    assert elsewhere.status_code == 404


def test_claim_complete_on_demand_and_its_refusals():
    customer = person()
    register_elsewhere(key_type="CPF", key=customer.tax_id, owner=owner_as_dict(customer))
    claim = key_claims.claim_open(
        account=account_of(customer), key=customer.tax_id, claim_type="PORTABILITY", now=T0
    )
    with pytest.raises(services.Conflict) as excinfo:
        key_claims.claim_complete(claim=claim, now=T0)
    assert excinfo.value.code == "claim_not_confirmed"
    DictSimulator(BB).confirm_claim(
        claim_id=claim.dict_claim_id, reason="USER_REQUESTED", now=T0 + DAY
    )
    done = key_claims.claim_complete(claim=claim, actor=customer.user, now=T0 + DAY)
    assert done.state == PixClaim.State.COMPLETED
    assert PixKey.objects.get(pk=claim.pix_key_id).state == PixKey.State.ACTIVE


def test_stale_registrations_expire_by_task():
    from unittest import mock

    account = account_of(person())
    pending = services.key_register(account=account, key_type="EMAIL", key="ana@example.com")
    with pytest.raises(services.Conflict, match="just sent"):
        services.key_resend_code(pix_key=pending)
    later = pending.updated_at + timedelta(hours=25)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert tasks.expire_stale_keys_task.delay().get() == 1
    pending.refresh_from_db()
    assert pending.state == PixKey.State.CANCELLED
