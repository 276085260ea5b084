"""Pix keys: type rules, registration, limits, possession codes, deletion."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation

from apps.core.fsm import transitions_of
from apps.pix import adapters
from apps.pix.adapters import dict as dict_api
from apps.pix.codecs import keys
from apps.pix.codecs.keys import InvalidKey, KeyType
from apps.pix.keys import errors as key_errors
from apps.pix.keys import services
from apps.pix.models import OwnershipChallenge, PixKey
from apps.simulators.dict.simulator import DictSimulator
from apps.simulators.models import DictEntry
from tests.support.pix_keys import (
    BB,
    T0,
    _clean_sms_outbox,  # noqa: F401  (autouse fixture)
    account_of,
    company,
    mail_code,
    new_cnpj,
    new_cpf,
    other_owner,
    owner_as_dict,
    person,
    register_elsewhere,
    sms_code,
)


@pytest.fixture(autouse=True)
def _read_in_english(settings):
    """Messages are asserted by their msgids (English), and customers with no language of
    their own read English: the reader's language is tested in
    test_pix_key_messages_language.py."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


# --- Key type rules (pure) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("52998224725", "52998224725"), ("529.982.247-25", "52998224725")],
)
def test_cpf_keys_are_11_digits(raw, expected):
    assert keys.normalize_key(KeyType.CPF, raw) == expected


@pytest.mark.parametrize("raw", ["52998224724", "111.111.111-11", "5299822472", "abc"])
def test_invalid_cpf_keys(raw):
    with pytest.raises(InvalidKey):
        keys.normalize_key(KeyType.CPF, raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11.222.333/0001-81", "11222333000181"),
        ("12.abc.345/01de-35", "12ABC34501DE35"),  # alphanumeric CNPJ (2026)
    ],
)
def test_cnpj_keys(raw, expected):
    assert keys.normalize_key(KeyType.CNPJ, raw) == expected


@pytest.mark.parametrize("raw", ["11222333000182", "1122233300018", "52998224725"])
def test_invalid_cnpj_keys(raw):
    with pytest.raises(InvalidKey):
        keys.normalize_key(KeyType.CNPJ, raw)


@pytest.mark.parametrize(
    "raw",
    [
        "+5511987654321",
        "+55 (11) 98765-4321",
        "(11) 98765-4321",
        "11987654321",
        "+55.11.98765.4321",
    ],
)
def test_phone_keys_are_e164_brazilian_mobiles(raw):
    assert keys.normalize_key(KeyType.PHONE, raw) == "+5511987654321"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("+14155552671", "Brazilian"),  # valid E.164, not +55
        ("+551133334444", "mobile"),  # a landline
        ("+5501987654321", "mobile"),  # DDD 01 does not exist
        ("+55119876543210", "E.164|mobile"),
        ("98765-4321", "E.164"),  # no DDD
        ("+0551198765432", "E.164"),
        ("phone", "E.164"),
    ],
)
def test_invalid_phone_keys(raw, why):
    with pytest.raises(InvalidKey, match=why):
        keys.normalize_key(KeyType.PHONE, raw)


def test_email_keys_are_lower_cased_and_at_most_77_characters():
    assert keys.normalize_key(KeyType.EMAIL, "  Ana.Souza@Example.COM ") == "ana.souza@example.com"
    local = "a" * (77 - len("@example.com"))
    assert keys.normalize_key(KeyType.EMAIL, local + "@example.com") == local + "@example.com"
    with pytest.raises(InvalidKey, match="77"):
        keys.normalize_key(KeyType.EMAIL, "a" + local + "@example.com")


@pytest.mark.parametrize("raw", ["ana", "ana@", "@example.com", "an a@example.com", "a%b@x.com"])
def test_invalid_email_keys(raw):
    with pytest.raises(InvalidKey):
        keys.normalize_key(KeyType.EMAIL, raw)


def test_evp_keys_are_lower_case_uuids():
    value = str(uuid.uuid4())
    assert keys.normalize_key(KeyType.EVP, value.upper()) == value
    generated = keys.new_evp()
    assert keys.EVP.match(generated) and uuid.UUID(generated).version == 4
    for bad in ["123", "123e4567e89b12d3a456426655440000", "g23e4567-e89b-12d3-a456-426655440000"]:
        with pytest.raises(InvalidKey):
            keys.normalize_key(KeyType.EVP, bad)


def test_unknown_key_type_is_refused():
    with pytest.raises(keys.InvalidKeyType):
        keys.normalize_key("IBAN", "x")


@pytest.mark.parametrize(
    ("raw", "key_type", "value"),
    [
        ("Ana@Example.com", KeyType.EMAIL, "ana@example.com"),
        ("+5511987654321", KeyType.PHONE, "+5511987654321"),
        ("529.982.247-25", KeyType.CPF, "52998224725"),
        ("11222333000181", KeyType.CNPJ, "11222333000181"),
        (
            "123E4567-E89B-42D3-A456-426655440000",
            KeyType.EVP,
            "123e4567-e89b-42d3-a456-426655440000",
        ),
    ],
)
def test_a_key_without_its_type_is_recognised(raw, key_type, value):
    assert keys.parse_any_key(raw) == (key_type, value)


def test_keys_are_masked_for_logs():
    assert keys.mask_key(KeyType.CPF, "52998224725") == "***.982.247-**"
    assert keys.mask_key(KeyType.PHONE, "+5511987654321") == "+5511*****4321"
    assert keys.mask_key(KeyType.EMAIL, "ana.souza@example.com") == "a***@e***.com"
    masked = keys.mask_key(KeyType.EVP, "123e4567-e89b-42d3-a456-426655440000")
    assert masked.startswith("123e4567") and "426655440000" not in masked


# --- Registration ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_cpf_key_is_registered_in_the_directory_with_the_actor():
    customer = person()
    account = account_of(customer)
    pix_key = services.key_register(
        account=account, key_type=KeyType.CPF, key=customer.tax_id, actor=customer.user
    )
    assert pix_key.state == PixKey.State.ACTIVE and pix_key.key == customer.tax_id
    entry = DictEntry.objects.get(key=customer.tax_id)
    assert entry.participant == "13140088" and entry.account_number == account.number
    assert entry.owner_type == "NATURAL_PERSON" and entry.owner_name == customer.full_name
    assert len(entry.cid) == 64
    log = transitions_of(pix_key).get()
    assert (log.transition, log.target_state, log.actor) == ("activate", "active", customer.user)
    assert pix_key.history.count() == 2  # created, activated


@pytest.mark.django_db
def test_cpf_key_must_be_the_customers_own():
    customer = person()
    with pytest.raises(key_errors.KeyNotAllowed, match="own CPF"):
        services.key_register(account=account_of(customer), key_type=KeyType.CPF, key=new_cpf())


@pytest.mark.django_db
def test_people_cannot_hold_cnpj_keys_nor_companies_cpf_keys():
    someone, firm = person(), company()
    with pytest.raises(key_errors.KeyNotAllowed, match="natural person"):
        services.key_register(account=account_of(someone), key_type=KeyType.CNPJ, key=new_cnpj())
    with pytest.raises(key_errors.KeyNotAllowed, match="company"):
        services.key_register(account=account_of(firm), key_type=KeyType.CPF, key=new_cpf())
    pix_key = services.key_register(account=account_of(firm), key_type="CNPJ", key=firm.tax_id)
    assert pix_key.state == PixKey.State.ACTIVE
    assert DictEntry.objects.get(key=firm.tax_id).owner_type == "LEGAL_PERSON"


@pytest.mark.django_db
def test_evp_is_generated_by_the_directory():
    account = account_of(person())
    pix_key = services.key_register(account=account, key_type=KeyType.EVP)
    assert pix_key.state == PixKey.State.ACTIVE
    assert keys.EVP.match(pix_key.key) and uuid.UUID(pix_key.key).version == 4
    assert DictEntry.objects.filter(key=pix_key.key, key_type="EVP").exists()
    with pytest.raises(InvalidKey, match="generated"):
        services.key_register(account=account, key_type=KeyType.EVP, key=str(uuid.uuid4()))


@pytest.mark.django_db
def test_the_same_key_twice_is_refused():
    customer = person()
    account = account_of(customer)
    services.key_register(account=account, key_type=KeyType.CPF, key=customer.tax_id)
    with pytest.raises(services.Conflict, match="already yours"):
        services.key_register(account=account_of(customer), key_type="CPF", key=customer.tax_id)


@pytest.mark.django_db
def test_blocked_accounts_cannot_register_keys():
    from apps.core.fsm import apply_transition

    account = account_of(person())
    apply_transition(account, "block", reason="test")
    with pytest.raises(services.Conflict) as excinfo:
        services.key_register(account=account, key_type=KeyType.EVP)
    assert excinfo.value.code == "account_unavailable"


# --- Limits ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_natural_persons_account_holds_at_most_5_keys():
    customer = person()
    account = account_of(customer)
    for _ in range(3):
        services.key_register(account=account, key_type=KeyType.EVP)
    services.key_register(account=account, key_type=KeyType.PHONE, key="+5511987654321")
    services.key_register(account=account, key_type=KeyType.EMAIL, key="ana@example.com")
    with pytest.raises(key_errors.KeyLimitReached) as excinfo:
        services.key_register(account=account, key_type=KeyType.CPF, key=customer.tax_id)
    message = excinfo.value.message
    assert "at most 5 keys" in message and "natural person" in message
    assert "already has 5" in message
    # Another account of the same customer has its own 5 slots.
    assert services.key_register(account=account_of(customer), key_type="EVP").state == "active"


@pytest.mark.django_db
def test_a_companys_account_holds_at_most_20_keys():
    account = account_of(company())
    for _ in range(20):
        services.key_register(account=account, key_type=KeyType.EVP)
    with pytest.raises(key_errors.KeyLimitReached, match="at most 20 keys"):
        services.key_register(account=account, key_type=KeyType.EVP)


@pytest.mark.django_db
def test_deleted_and_abandoned_keys_free_their_slot():
    account = account_of(person())
    made = [services.key_register(account=account, key_type=KeyType.EVP) for _ in range(4)]
    pending = services.key_register(account=account, key_type="PHONE", key="+5511987654321")
    with pytest.raises(key_errors.KeyLimitReached):
        services.key_register(account=account, key_type=KeyType.EVP)
    services.key_delete(pix_key=made[0], reason="test")
    services.key_register(account=account, key_type=KeyType.EVP)
    with pytest.raises(key_errors.KeyLimitReached):
        services.key_register(account=account, key_type=KeyType.EVP)
    # A registration never finished gives its slot back after a day.
    later = pending.updated_at + timedelta(hours=25)
    assert services.key_register(account=account, key_type="EVP", now=later).state == "active"
    pending.refresh_from_db()
    assert pending.state == PixKey.State.CANCELLED


# --- Possession codes --------------------------------------------------------------------------


@pytest.mark.django_db
def test_phone_key_waits_for_the_sms_code(django_capture_on_commit_callbacks):
    customer = person()
    account = account_of(customer)
    with django_capture_on_commit_callbacks(execute=True):
        pix_key = services.key_register(
            account=account, key_type=KeyType.PHONE, key="(11) 98765-4321"
        )
    assert pix_key.state == PixKey.State.PENDING_OWNERSHIP and pix_key.key == "+5511987654321"
    assert not DictEntry.objects.filter(key=pix_key.key).exists()
    assert adapters.sms_outbox[-1].to == "+5511987654321"
    code = sms_code()
    challenge = OwnershipChallenge.objects.get(pix_key=pix_key)
    assert code not in challenge.code_hash and len(challenge.code_hash) == 64
    done = services.key_confirm_ownership(pix_key=pix_key, code=code, actor=customer.user)
    assert done.state == PixKey.State.ACTIVE and done.possession_verified_at is not None
    assert DictEntry.objects.filter(key="+5511987654321", participant="13140088").exists()


@pytest.mark.django_db
def test_email_key_waits_for_the_mailed_code(django_capture_on_commit_callbacks):
    account = account_of(person())
    with django_capture_on_commit_callbacks(execute=True):
        pix_key = services.key_register(account=account, key_type="EMAIL", key="Ana@Example.com")
    assert pix_key.key == "ana@example.com"
    assert mail.outbox[-1].to == ["ana@example.com"]
    done = services.key_confirm_ownership(pix_key=pix_key, code=mail_code())
    assert done.state == PixKey.State.ACTIVE


@pytest.mark.django_db
def test_wrong_codes_count_and_the_fifth_cancels(django_capture_on_commit_callbacks):
    account = account_of(person())
    with django_capture_on_commit_callbacks(execute=True):
        pix_key = services.key_register(account=account, key_type="PHONE", key="+5511987654321")
    right = sms_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        with pytest.raises(key_errors.CodeRejected, match=f"{left} attempt"):
            services.key_confirm_ownership(pix_key=pix_key, code=wrong)
    with pytest.raises(key_errors.CodeRejected, match="no attempts left"):
        services.key_confirm_ownership(pix_key=pix_key, code=wrong)
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.CANCELLED
    assert OwnershipChallenge.objects.get(pix_key=pix_key).attempts == 5


@pytest.mark.django_db
def test_codes_expire_after_10_minutes(django_capture_on_commit_callbacks):
    account = account_of(person())
    with django_capture_on_commit_callbacks(execute=True):
        pix_key = services.key_register(
            account=account, key_type="PHONE", key="+5511987654321", now=T0
        )
    code = sms_code()
    with pytest.raises(key_errors.CodeRejected) as excinfo:
        services.key_confirm_ownership(
            pix_key=pix_key, code=code, now=T0 + timedelta(minutes=10, seconds=1)
        )
    assert excinfo.value.code == "code_expired"
    with django_capture_on_commit_callbacks(execute=True):
        services.key_resend_code(pix_key=pix_key, now=T0 + timedelta(minutes=11))
    fresh = sms_code()
    done = services.key_confirm_ownership(
        pix_key=pix_key, code=fresh, now=T0 + timedelta(minutes=12)
    )
    assert done.state == PixKey.State.ACTIVE


@pytest.mark.django_db
def test_a_phone_held_by_someone_else_offers_an_ownership_claim(
    django_capture_on_commit_callbacks,
):
    register_elsewhere(key_type="PHONE", key="+5511987654321", owner=other_owner(), ispb=BB)
    account = account_of(person())
    with django_capture_on_commit_callbacks(execute=True):
        pix_key = services.key_register(account=account, key_type="PHONE", key="+5511987654321")
    with pytest.raises(key_errors.KeyHeldElsewhere) as excinfo:
        services.key_confirm_ownership(pix_key=pix_key, code=sms_code())
    assert excinfo.value.claim_type == "OWNERSHIP"
    assert excinfo.value.code == "key_ownership_claim_available"
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.AWAITING_CLAIM and pix_key.claim_offer == "OWNERSHIP"
    assert pix_key.possession_verified_at is not None


@pytest.mark.django_db
def test_own_cpf_held_at_another_psp_offers_portability():
    customer = person()
    register_elsewhere(key_type="CPF", key=customer.tax_id, owner=owner_as_dict(customer))
    with pytest.raises(key_errors.KeyHeldElsewhere) as excinfo:
        services.key_register(account=account_of(customer), key_type="CPF", key=customer.tax_id)
    assert excinfo.value.claim_type == "PORTABILITY"
    assert "portability" in excinfo.value.message
    assert not PixKey.objects.filter(customer=customer).exists()  # nothing half-made


# --- Deletion --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deleted_keys_leave_the_directory():
    customer = person()
    pix_key = services.key_register(account=account_of(customer), key_type="EVP")
    services.key_delete(pix_key=pix_key, actor=customer.user, reason="no longer used")
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.DELETED
    assert not DictEntry.objects.filter(key=pix_key.key).exists()
    assert transitions_of(pix_key).last().reason == "no longer used"
    with pytest.raises(services.Conflict, match="already"):
        services.key_delete(pix_key=pix_key)
    # The key can be registered again afterwards (here: a new EVP; a CPF would be the same).
    cpf_key = services.key_register(account=pix_key.account, key_type="CPF", key=customer.tax_id)
    services.key_delete(pix_key=cpf_key)
    again = services.key_register(account=pix_key.account, key_type="CPF", key=customer.tax_id)
    assert again.state == PixKey.State.ACTIVE


@pytest.mark.django_db
def test_a_pending_key_is_abandoned_not_sent_to_the_directory():
    account = account_of(person())
    pix_key = services.key_register(account=account, key_type="EMAIL", key="ana@example.com")
    services.key_delete(pix_key=pix_key)
    pix_key.refresh_from_db()
    assert pix_key.state == PixKey.State.CANCELLED


@pytest.mark.django_db
def test_logs_never_carry_the_whole_key(caplog, django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO)
    account = account_of(person())
    with django_capture_on_commit_callbacks(execute=True):
        pix_key = services.key_register(account=account, key_type="PHONE", key="+5511987654321")
    services.key_confirm_ownership(pix_key=pix_key, code=sms_code())
    services.key_delete(pix_key=pix_key)
    rendered = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "pix key registered" in rendered
    assert "+5511987654321" not in rendered
    assert re.search(r"\+5511\*+4321", rendered)


@pytest.mark.django_db
def test_dict_rejections_surface_as_problem_codes():
    # The directory enforces the per-account limit too (EntryLimitExceeded), whatever we hold.
    customer = person()
    account = account_of(customer)
    simulator = DictSimulator()
    for _ in range(5):
        simulator.create_entry(
            key_type="EVP",
            key=None,
            account=services.dict_account_of(account),
            owner=services.owner_of(customer),
            request_id=uuid.uuid4(),
        )
    with pytest.raises(dict_api.EntryLimitExceeded) as excinfo:
        services.key_register(account=account, key_type="EVP")
    assert excinfo.value.status_code == 422 and excinfo.value.code == "key_limit_reached"
