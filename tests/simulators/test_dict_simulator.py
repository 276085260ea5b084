"""The DICT simulator as a product component: directory rules, look-ups and their masking,
the anti-scan token buckets, claims between PSPs, seeding and the participants file."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from apps.pix import participants
from apps.pix.adapters import dict as dict_api
from apps.pix.adapters import dict_client
from apps.pix.adapters.dict import (
    LEGAL_PERSON,
    POLICY_ANTISCAN,
    POLICY_ANTISCAN_V2,
    DictHttpClient,
    DictOwner,
    DictRequester,
    compute_cid,
    mask_owner_name,
)
from apps.pix.codecs.keys import KeyType, normalize_key
from apps.simulators.dict.seed import seed_directory
from apps.simulators.dict.simulator import DictSimulator
from apps.simulators.models import DictClaim, DictEntry, DictTokenBucket
from tests.support.pix_keys import (
    BB,
    ITAU,
    T0,
    new_cnpj,
    new_cpf,
    other_account,
    other_owner,
    register_elsewhere,
)

pytestmark = pytest.mark.django_db

OURS = "13140088"
MIN = timedelta(minutes=1)


def requester(category: str = "PF") -> DictRequester:
    payer = new_cpf() if category == "PF" else new_cnpj()
    return DictRequester(payer_id=payer, category=category, participant=OURS)


def create(simulator, *, key_type, key, owner, account=None, request_id=None, now=None):
    return simulator.create_entry(
        key_type=key_type,
        key=key,
        account=account or other_account(simulator.participant),
        owner=owner,
        request_id=request_id or uuid.uuid4(),
        now=now,
    )


# --- Pure helpers -----------------------------------------------------------------------------


def test_cid_matches_the_dict_specification_example():
    owner = DictOwner(type="NATURAL_PERSON", tax_id="11122233300", name="João Silva")
    account = dict_api.DictAccount(
        participant="12345678",
        branch="00001",
        account_number="0007654321",
        account_type="CACC",
        opened_at=T0,
    )
    cid = compute_cid(
        request_id=bytes(range(1, 17)),
        key_type="PHONE",
        key="+5511987654321",
        owner=owner,
        account=account,
    )
    assert cid == "28c06eb41c4dc9c3ae114831efcac7446c8747777fca8b145ecd31ff8480ae88"


@pytest.mark.parametrize(
    ("owner_type", "name", "masked"),
    [
        ("NATURAL_PERSON", "João da Silva Santos", "João S. S."),
        ("NATURAL_PERSON", "Ana", "Ana"),
        ("NATURAL_PERSON", "  maria  de  souza ", "maria S."),
        (LEGAL_PERSON, "Padaria Três Irmãos Ltda", "Padaria Três Irmãos Ltda"),
    ],
)
def test_owner_names_are_masked_like_the_dict(owner_type, name, masked):
    assert mask_owner_name(owner_type, name) == masked


def test_participants_come_from_bancos_csv():
    bb = participants.by_ispb("0")
    assert bb.ispb == "00000000" and bb.compe == "001" and bb.pix_type == "DRCT"
    assert participants.by_compe("341").ispb == ITAU
    assert participants.by_compe("1") == bb
    ours = participants.by_ispb(OURS)
    assert ours.name == "Athena Pay"
    assert participants.name_of("99999999") == "ISPB 99999999"
    in_pix = participants.pix_participants()
    assert in_pix and all(p.pix_type in ("DRCT", "IDRT") for p in in_pix)
    assert OURS not in {p.ispb for p in in_pix}


def test_the_client_is_chosen_by_settings(settings):
    assert isinstance(dict_client(), DictSimulator)
    assert dict_client().participant == OURS
    settings.PIX_DICT_CLIENT = "http"
    assert isinstance(dict_client(), DictHttpClient)
    settings.PIX_DICT_CLIENT = "mock"
    with pytest.raises(ImproperlyConfigured):
        dict_client()


# --- Directory rules ------------------------------------------------------------------------


def test_a_key_lives_once_in_the_whole_directory():
    owner = other_owner()
    bb, itau = DictSimulator(BB), DictSimulator(ITAU)
    create(bb, key_type="EMAIL", key="ana@example.com", owner=owner)
    with pytest.raises(dict_api.EntryAlreadyExists):
        create(bb, key_type="EMAIL", key="ana@example.com", owner=owner)
    with pytest.raises(dict_api.EntryKeyInCustodyOfDifferentParticipant):
        create(itau, key_type="EMAIL", key="ana@example.com", owner=owner)
    with pytest.raises(dict_api.EntryKeyOwnedByDifferentPerson):
        create(itau, key_type="EMAIL", key="ana@example.com", owner=other_owner())
    assert DictEntry.objects.filter(key="ana@example.com").count() == 1


def test_entries_are_validated_like_the_dict():
    bb = DictSimulator(BB)
    owner = other_owner()
    with pytest.raises(dict_api.EntryInvalid, match="generated"):
        create(bb, key_type="EVP", key=str(uuid.uuid4()), owner=owner)
    with pytest.raises(dict_api.EntryTaxIdNumberByDifferentOwner):
        create(bb, key_type="CPF", key=new_cpf(), owner=owner)
    with pytest.raises(dict_api.EntryInvalid):
        create(bb, key_type="EMAIL", key="Ana@Example.com", owner=owner)  # not canonical
    with pytest.raises(dict_api.EntryTaxIdNumberByDifferentOwner):
        create(bb, key_type="CNPJ", key=new_cnpj(), owner=owner)
    with pytest.raises(dict_api.DictForbidden):
        create(bb, key_type="EVP", key=None, owner=owner, account=other_account(ITAU))
    evp = create(bb, key_type="EVP", key=None, owner=owner)
    assert normalize_key(KeyType.EVP, evp.key) == evp.key


def test_request_ids_make_creation_idempotent():
    bb = DictSimulator(BB)
    owner, request_id = other_owner(), uuid.uuid4()
    first = create(bb, key_type="EVP", key=None, owner=owner, request_id=request_id)
    again = create(bb, key_type="EVP", key=None, owner=owner, request_id=request_id)
    assert again.key == first.key and DictEntry.objects.filter(key=first.key).count() == 1
    with pytest.raises(dict_api.RequestIdAlreadyUsed):
        create(bb, key_type="EMAIL", key="x@example.com", owner=owner, request_id=request_id)


def test_the_directory_limits_keys_per_account():
    bb = DictSimulator(BB)
    person_account, company_account = other_account(BB), other_account(BB)
    owner = other_owner()
    for _ in range(5):
        create(bb, key_type="EVP", key=None, owner=owner, account=person_account)
    with pytest.raises(dict_api.EntryLimitExceeded):
        create(bb, key_type="EVP", key=None, owner=owner, account=person_account)
    firm = other_owner(LEGAL_PERSON)
    for _ in range(20):
        create(bb, key_type="EVP", key=None, owner=firm, account=company_account)
    with pytest.raises(dict_api.EntryLimitExceeded):
        create(bb, key_type="EVP", key=None, owner=firm, account=company_account)


def test_only_the_holder_deletes_and_not_during_a_claim():
    owner = other_owner()
    entry = create(DictSimulator(BB), key_type="EMAIL", key="ana@example.com", owner=owner)
    with pytest.raises(dict_api.DictForbidden):
        DictSimulator(ITAU).delete_entry(key=entry.key)
    DictSimulator(ITAU).open_claim_as_other_psp(
        key=entry.key, claim_type="OWNERSHIP", claimer=other_owner()
    )
    with pytest.raises(dict_api.EntryLockedByClaim):
        DictSimulator(BB).delete_entry(key=entry.key)
    with pytest.raises(dict_api.EntryNotFound):
        DictSimulator(BB).delete_entry(key="nobody@example.com")


# --- Look-ups --------------------------------------------------------------------------------


def test_lookup_answers_the_entry_with_the_bank():
    owner = other_owner(name="João da Silva Santos")
    created = register_elsewhere(key_type="EMAIL", key="joao@example.com", owner=owner, ispb=ITAU)
    entry = dict_client().get_entry(key="joao@example.com", requester=requester())
    assert entry == created
    assert entry.masked_owner_name == "João S. S."
    t = owner.tax_id
    assert entry.masked_tax_id == f"***.{t[3:6]}.{t[6:9]}-**"
    assert entry.bank_name == "ITAÚ UNIBANCO S.A." and entry.participant == ITAU
    assert entry.account.account_type == "CACC" and entry.open_claim_created_at is None
    DictSimulator(BB).open_claim_as_other_psp(
        key="joao@example.com", claim_type="OWNERSHIP", claimer=other_owner(), now=T0
    )
    again = dict_client().get_entry(key="joao@example.com", requester=requester())
    assert again.open_claim_created_at == T0


# --- Anti-scan token buckets -------------------------------------------------------------------


def level(who, policy=POLICY_ANTISCAN_V2, at=T0):
    return DictSimulator().bucket_level(who, policy, at)


def test_a_found_key_costs_1_token_and_a_missing_one_20():
    entry = register_elsewhere(key_type="EVP", key=None, owner=other_owner())
    who = requester()
    client = dict_client()
    client.get_entry(key=entry.key, requester=who, now=T0)
    assert level(who) == 99
    with pytest.raises(dict_api.EntryNotFound):
        client.get_entry(key=str(uuid.uuid4()), requester=who, now=T0)
    assert level(who) == 79
    bucket = DictTokenBucket.objects.get()
    assert (bucket.capacity, bucket.payer_category, bucket.policy) == (
        100,
        "PF",
        "ENTRIES_READ_USER_ANTISCAN_V2",
    )
    assert who.payer_id not in bucket.payer_hash  # the CPF is not stored in clear


def test_buckets_refill_2_per_minute_up_to_their_size():
    who = requester()
    client = dict_client()
    for _ in range(5):
        with pytest.raises(dict_api.EntryNotFound):
            client.get_entry(key=str(uuid.uuid4()), requester=who, now=T0)
    assert level(who) == 0
    with pytest.raises(dict_api.RateLimited) as excinfo:
        client.get_entry(key=str(uuid.uuid4()), requester=who, now=T0 + 29 * timedelta(seconds=1))
    assert excinfo.value.status_code == 429
    assert level(who, at=T0 + MIN) == 2
    entry = register_elsewhere(key_type="EVP", key=None, owner=other_owner())
    client.get_entry(key=entry.key, requester=who, now=T0 + MIN)  # served with 2 tokens
    assert level(who, at=T0 + MIN) == 1
    assert level(who, at=T0 + 10 * MIN) == 19
    assert level(who, at=T0 + 24 * 60 * MIN) == 100  # never above the bucket's size


def test_a_company_has_1000_tokens_and_a_person_100():
    firm, someone = requester("PJ"), requester("PF")
    client = dict_client()
    for who, served in ((someone, 5), (firm, 50)):
        results = []
        for _ in range(serves_plus_one := served + 1):
            try:
                client.get_entry(key=str(uuid.uuid4()), requester=who, now=T0)
            except dict_api.EntryNotFound:
                results.append(404)
            except dict_api.RateLimited:
                results.append(429)
        assert results == [404] * served + [429], serves_plus_one


def test_phone_and_email_lookups_use_their_own_bucket():
    who = requester()
    client = dict_client()
    for _ in range(5):
        with pytest.raises(dict_api.EntryNotFound):
            client.get_entry(key="nobody@example.com", requester=who, now=T0)
    with pytest.raises(dict_api.RateLimited):
        client.get_entry(key="+5511900000000", requester=who, now=T0)
    assert level(who, POLICY_ANTISCAN) == 0
    assert level(who, POLICY_ANTISCAN_V2) == 100
    with pytest.raises(dict_api.EntryNotFound):
        client.get_entry(key=str(uuid.uuid4()), requester=who, now=T0)


def test_a_payment_order_gives_back_the_token_of_the_look_up_that_named_it():
    """ "Ordem de pagamento enviada: adiciona 1", matched by PI-EndToEndId: once per look-up,
    and nothing for an order no look-up named."""
    entry = register_elsewhere(key_type="EVP", key=None, owner=other_owner())
    who = requester()
    client = dict_client()
    client.get_entry(key=entry.key, requester=who, end_to_end_id="E" + "1" * 31, now=T0)
    client.get_entry(key=entry.key, requester=who, end_to_end_id="E" + "2" * 31, now=T0)
    assert level(who) == 98

    client.payment_sent(end_to_end_id="E" + "1" * 31, now=T0)
    assert level(who) == 99
    client.payment_sent(end_to_end_id="E" + "1" * 31, now=T0)  # the same order again
    client.payment_sent(end_to_end_id="E" + "9" * 31, now=T0)  # no look-up named it
    assert level(who) == 99
    client.payment_sent(end_to_end_id="E" + "2" * 31, now=T0)
    assert level(who) == 100


def test_buckets_are_per_payer():
    client = dict_client()
    one, two = requester(), requester()
    for _ in range(5):
        with pytest.raises(dict_api.EntryNotFound):
            client.get_entry(key=str(uuid.uuid4()), requester=one, now=T0)
    with pytest.raises(dict_api.RateLimited):
        client.get_entry(key=str(uuid.uuid4()), requester=one, now=T0)
    with pytest.raises(dict_api.EntryNotFound):
        client.get_entry(key=str(uuid.uuid4()), requester=two, now=T0)


# --- Claims between other PSPs ---------------------------------------------------------------


def test_claim_rules():
    owner = other_owner()
    entry = register_elsewhere(key_type="EMAIL", key="ana@example.com", owner=owner, ispb=BB)
    itau = DictSimulator(ITAU)
    with pytest.raises(dict_api.ClaimTypeInconsistent):
        itau.open_claim_as_other_psp(key=entry.key, claim_type="OWNERSHIP", claimer=owner)
    with pytest.raises(dict_api.ClaimTypeInconsistent):
        itau.open_claim_as_other_psp(key=entry.key, claim_type="PORTABILITY", claimer=other_owner())
    with pytest.raises(dict_api.ClaimResultingEntryAlreadyExists):
        DictSimulator(BB).open_claim_as_other_psp(
            key=entry.key, claim_type="PORTABILITY", claimer=owner
        )
    evp = register_elsewhere(key_type="EVP", key=None, owner=owner)
    with pytest.raises(dict_api.ClaimInvalid):
        itau.open_claim_as_other_psp(key=evp.key, claim_type="PORTABILITY", claimer=owner)
    claim = itau.open_claim_as_other_psp(
        key=entry.key, claim_type="PORTABILITY", claimer=owner, now=T0
    )
    assert claim.status == "OPEN" and claim.donor_participant == BB
    assert claim.resolution_period_end == T0 + timedelta(days=7)
    assert claim.completion_period_end is None  # only ownership claims have one
    with pytest.raises(dict_api.ClaimAlreadyExistsForKey):
        DictSimulator("60746948").open_claim_as_other_psp(
            key=entry.key, claim_type="PORTABILITY", claimer=owner, now=T0 + timedelta(days=1)
        )
    # Past the resolution period, BB (simulated) cancels the unanswered portability.
    DictSimulator(BB).tick(T0 + timedelta(days=7))
    assert DictClaim.objects.get(pk=claim.id).status == "CANCELLED"


def test_who_may_confirm_or_cancel_and_when():
    entry = register_elsewhere(key_type="PHONE", key="+5511987654321", owner=other_owner())
    bb, itau = DictSimulator(BB), DictSimulator(ITAU)
    claim = itau.open_claim_as_other_psp(
        key=entry.key, claim_type="OWNERSHIP", claimer=other_owner(), now=T0
    )
    record = bb._acknowledge_claim(claim_id=claim.id, now=T0)
    assert record.status == "WAITING_RESOLUTION"
    with pytest.raises(dict_api.DictForbidden):
        itau._confirm_claim(claim_id=claim.id, reason="USER_REQUESTED", now=T0)
    with pytest.raises(dict_api.ClaimResolutionPeriodNotEnded):
        bb._confirm_claim(claim_id=claim.id, reason="DEFAULT_OPERATION", now=T0 + timedelta(days=6))
    with pytest.raises(dict_api.BadRequest, match="InvalidReason"):
        bb._cancel_claim(claim_id=claim.id, reason="USER_REQUESTED", now=T0)  # ownership donor
    with pytest.raises(dict_api.ClaimOperationInvalid):
        itau._complete_claim(claim_id=claim.id, request_id=uuid.uuid4(), now=T0)
    confirmed = bb._confirm_claim(
        claim_id=claim.id, reason="DEFAULT_OPERATION", now=T0 + timedelta(days=7)
    )
    assert confirmed.status == "CONFIRMED"
    assert not DictEntry.objects.filter(key=entry.key).exists()
    with pytest.raises(dict_api.ClaimCompletionPeriodNotEnded):
        itau._complete_claim(claim_id=claim.id, request_id=uuid.uuid4(), now=T0 + timedelta(days=8))
    with pytest.raises(dict_api.EntryLockedByClaim):  # nobody else registers it meanwhile
        register_elsewhere(key_type="PHONE", key=entry.key, owner=other_owner(), ispb="60746948")
    request_id = uuid.uuid4()
    done, new_entry = itau._complete_claim(
        claim_id=claim.id, request_id=request_id, now=T0 + timedelta(days=30)
    )
    assert done.status == "COMPLETED" and new_entry.participant == ITAU
    again, _ = itau._complete_claim(
        claim_id=claim.id, request_id=request_id, now=T0 + timedelta(days=31)
    )
    assert again.status == "COMPLETED"  # idempotent


def test_list_claims_orders_by_last_modified_and_filters_by_role():
    ours_entry = register_elsewhere(key_type="EVP", key=None, owner=other_owner(), ispb=BB)
    mine = register_elsewhere(key_type="EMAIL", key="a@example.com", owner=other_owner(), ispb=ITAU)
    bb = DictSimulator(BB)
    owner = DictEntry.objects.get(key=ours_entry.key)
    bb_as_claimer = bb.open_claim_as_other_psp(
        key=mine.key, claim_type="OWNERSHIP", claimer=other_owner(), now=T0
    )
    assert owner  # an unrelated entry exists
    page = bb.list_claims(now=T0)
    assert [c.id for c in page.claims] == [bb_as_claimer.id] and not page.has_more
    assert bb.list_claims(is_donor=True, now=T0).claims == []
    assert DictSimulator(ITAU).list_claims(is_donor=True, now=T0).claims[0].id == bb_as_claimer.id
    assert DictSimulator("60746948").list_claims(now=T0).claims == []
    # Listing lets ITAÚ (simulated) do its duty: acknowledge.
    assert DictClaim.objects.get(pk=bb_as_claimer.id).status == "WAITING_RESOLUTION"


# --- Seeding ---------------------------------------------------------------------------------


def test_seed_dict_is_deterministic_and_idempotent():
    first = seed_directory(participants_count=4, owners_per_participant=3, seed=7)
    assert first.created > 0 and first.existing == 0
    count = DictEntry.objects.count()
    again = seed_directory(participants_count=4, owners_per_participant=3, seed=7)
    assert again.created == 0 and again.existing == first.created
    assert DictEntry.objects.count() == count
    assert again.keys == first.keys
    for ispb in first.participants:
        assert participants.by_ispb(ispb).pix_type in ("DRCT", "IDRT") and ispb != OURS
    for _ispb, key_type, key in first.keys:
        assert normalize_key(key_type, key) == key
    entry = DictEntry.objects.exclude(key_type="EVP").first()
    looked = dict_client().get_entry(key=entry.key, requester=requester())
    assert looked.bank_name == participants.name_of(entry.participant)


def test_seed_dict_command(capsys):
    call_command("seed_dict", "--participants", "2", "--owners", "2", "--seed", "11")
    assert "entries created" in capsys.readouterr().out
    assert DictEntry.objects.exists()
