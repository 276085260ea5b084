"""payee_preview: who a Pix would pay (the confirmation step), without moving money."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from apps.accounts.models import JournalEntry
from apps.core.documents import normalize_tax_id
from apps.core.errors import ValidationFailed
from apps.pix.adapters.dict import LEGAL_PERSON, EntryNotFound, RateLimited
from apps.pix.codecs.iso20022 import Party
from apps.pix.models import PixCharge, PixTransfer
from apps.pix.transfers.errors import PixNotParticipant
from apps.pix.transfers.services.payees import payee_preview
from apps.simulators.models import DictTokenBucket
from tests.factories.ledger import funded_account
from tests.support.pix_keys import (
    BB,
    api_client,
    new_cpf,
    other_owner,
    person,
    register_elsewhere,
)
from tests.support.pix_payments import cob_of, dynamic_code, payee_with_key, static_code
from tests.support.pix_transfers import key_elsewhere, maria

pytestmark = pytest.mark.django_db


def nothing_moved() -> bool:
    return (
        not PixTransfer.objects.exists()
        and not JournalEntry.objects.filter(kind__startswith="pix").exists()
    )


def test_preview_of_a_key_masks_the_person_and_spends_a_look_up():
    account = maria(10_000)
    owner = other_owner(name="Maria da Silva Oliveira")
    register_elsewhere(key_type="CPF", key=owner.tax_id, owner=owner)

    preview = payee_preview(account=account, key=owner.tax_id)

    digits = normalize_tax_id(owner.tax_id)
    assert preview.name == "Maria da Silva Oliveira"
    assert preview.masked_name == "Maria S. O."  # first name, initials, particles left out
    assert preview.masked_tax_id == f"***.{digits[3:6]}.{digits[6:9]}-**"
    assert preview.ispb == BB and preview.bank_name and preview.bank_name != f"ISPB {BB}"
    assert preview.branch == "1234" and preview.account_number and preview.account_type == "CACC"
    assert preview.key == owner.tax_id and preview.initiation == "DICT"
    assert preview.amount_cents is None and preview.amount_editable
    assert preview.txid is None and preview.description is None
    assert nothing_moved()
    bucket = DictTokenBucket.objects.get(participant=django_settings.ATHENA_ISPB)
    assert bucket.tokens == bucket.capacity - django_settings.PIX_DICT_LOOKUP_COST_FOUND


def test_preview_of_a_company_shows_its_name_and_cnpj_in_full():
    owner = other_owner(LEGAL_PERSON)
    register_elsewhere(key_type="CNPJ", key=owner.tax_id, owner=owner)

    preview = payee_preview(account=maria(), key=owner.tax_id)

    d = normalize_tax_id(owner.tax_id)
    assert preview.masked_name == "Mercado Alves Ltda"
    assert preview.masked_tax_id == f"{d[:2]}.{d[2:5]}.{d[5:8]}/{d[8:12]}-{d[12:]}"


def test_preview_of_a_static_code_gives_its_fixed_amount_and_reference():
    account = maria(10_000)
    key = key_elsewhere()
    code = static_code(key, amount_cents=4_250, txid="PEDIDO42")

    preview = payee_preview(account=account, brcode=code)

    assert preview.amount_cents == 4_250 and not preview.amount_editable
    assert preview.txid == "PEDIDO42" and preview.initiation == "QRES" and preview.key == key
    assert payee_preview(account=account, brcode=code, amount_cents=4_250).amount_cents == 4_250
    with pytest.raises(ValidationFailed) as caught:
        payee_preview(account=account, brcode=code, amount_cents=4_000)
    assert caught.value.field == "amount"
    open_code = static_code(key)
    typed = payee_preview(account=account, brcode=open_code, amount_cents=999)
    assert typed.amount_cents == 999 and typed.amount_editable
    assert nothing_moved()


def test_preview_of_a_dynamic_code_of_ours_reads_the_charge_without_paying_it():
    pix_key = payee_with_key("Ana Paula de Souza")
    charge = cob_of(pix_key, amount_cents=12_345)

    preview = payee_preview(account=maria(), brcode=dynamic_code(charge))

    assert preview.initiation == "QRDN" and preview.txid == charge.txid
    assert preview.amount_cents == 12_345 and not preview.amount_editable
    assert preview.masked_name == "Ana P. S." and preview.key == pix_key.key
    assert preview.ispb == django_settings.ATHENA_ISPB
    charge.refresh_from_db()
    assert charge.status == PixCharge.Status.ATIVA and nothing_moved()


def test_preview_of_an_account_typed_in():
    creditor = Party(
        tax_id=new_cpf(),
        ispb=BB,
        branch="77",
        account_number="123",
        account_type="SVGS",
        name="Joana Dias",
    )
    preview = payee_preview(account=maria(), creditor=creditor)
    assert preview.initiation == "MANU" and preview.key is None
    assert preview.masked_name == "Joana D." and preview.account_type == "SVGS"
    with pytest.raises(PixNotParticipant):
        payee_preview(
            account=maria(),
            creditor=Party(tax_id=new_cpf(), ispb="12312312", account_number="1", name="J"),
        )


def test_previews_spend_the_anti_scan_allowance_like_any_look_up(settings):
    settings.PIX_DICT_BUCKET_REFILL_PER_MINUTE = 0.0
    account = maria()
    lookups = settings.PIX_DICT_BUCKET_PERSON // settings.PIX_DICT_LOOKUP_COST_NOT_FOUND
    for _ in range(lookups):
        with pytest.raises(EntryNotFound):
            payee_preview(account=account, key=new_cpf())
    with pytest.raises(RateLimited):
        payee_preview(account=account, key=new_cpf())


# --- API ----------------------------------------------------------------------------------

URL = "/api/v1/pix/transfers/preview"


def test_api_preview():
    customer = person("Maria Souza Lima")
    account = funded_account(10_000, customer=customer)
    client = api_client(customer)
    key = key_elsewhere()

    response = client.post(URL, {"account": account.pk, "key": key}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Carlos P. D." and body["tax_id"].startswith("***.")
    assert body["ispb"] == BB and body["initiation"] == "DICT" and body["amount"] is None
    assert "Cache-Control" in response and "no-store" in response["Cache-Control"]
    assert nothing_moved()

    code = client.post(
        URL, {"account": account.pk, "brcode": static_code(key, amount_cents=150)}, format="json"
    )
    assert code.status_code == 200 and code.json()["amount"] == "1.50"
    assert code.json()["amount_editable"] is False

    unknown = client.post(URL, {"account": account.pk, "key": new_cpf()}, format="json")
    assert unknown.status_code == 404
    intruder = api_client(person("Joao Carlos Silva"))
    assert intruder.post(URL, {"account": account.pk, "key": key}, format="json").status_code == 404
