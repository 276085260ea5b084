"""Paying by BR Code (static, dynamic) and by agency/account/ISPB (MANU)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.accounts.models import JournalEntry
from apps.core.errors import DomainError, NotFound, ValidationFailed
from apps.core.money import cents_to_str
from apps.pix.codecs.brcode import crc16_ccitt_false, encode_dynamic
from apps.pix.codecs.iso20022 import Party
from apps.pix.models import PixCharge, PixTransfer
from apps.pix.transfers.errors import (
    PixAccountNotFound,
    PixChargeNotPayable,
    PixForeignLocation,
    PixNotParticipant,
)
from apps.pix.transfers.services.payees import _payload_amount
from apps.pix.transfers.services.send import pix_send
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import BB, api_client, idem, new_cpf, person
from tests.support.pix_payments import (
    cob_of,
    dynamic_code,
    entries_of,
    pacs008_of,
    payee_with_key,
    static_code,
    tomorrow,
)
from tests.support.pix_transfers import key_elsewhere, maria, reserves_total

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the default language is pt-BR."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def send_now(callbacks, **kwargs) -> PixTransfer:
    with callbacks(execute=True):
        transfer = pix_send(**kwargs)
    transfer.refresh_from_db()
    return transfer


# --- static codes -------------------------------------------------------------------------


def test_static_code_with_amount_pays_its_key_and_amount_with_qres_and_txid(
    django_capture_on_commit_callbacks,
):
    account = maria(100_000)
    key = key_elsewhere()
    code = static_code(key, amount_cents=4_250, txid="PEDIDO42")

    transfer = send_now(django_capture_on_commit_callbacks, account=account, brcode=code)

    assert transfer.state == PixTransfer.State.SETTLED
    assert transfer.amount == 4_250 and transfer.counterparty_key == key
    assert transfer.initiation == "QRES" and transfer.tx_id == "PEDIDO42"
    message = pacs008_of(transfer)
    assert str(message.initiation) == "QRES" and message.tx_id == "PEDIDO42"
    assert message.creditor.pix_key == key and message.amount_cents == 4_250
    assert balance_of(account.pk)[0] == 100_000 - 4_250


def test_static_code_amount_is_fixed(django_capture_on_commit_callbacks):
    account = maria(100_000)
    code = static_code(key_elsewhere(), amount_cents=4_250)

    with pytest.raises(ValidationFailed) as caught:
        pix_send(account=account, brcode=code, amount_cents=5_000)
    assert caught.value.field == "amount" and "R$ 42,50" in caught.value.message
    assert not PixTransfer.objects.exists() and balance_of(account.pk)[0] == 100_000

    same = send_now(
        django_capture_on_commit_callbacks, account=account, brcode=code, amount_cents=4_250
    )
    assert same.state == PixTransfer.State.SETTLED and same.amount == 4_250


def test_static_code_without_amount_takes_the_typed_one_and_no_txid_for_stars(
    django_capture_on_commit_callbacks,
):
    account = maria(100_000)
    code = static_code(key_elsewhere())  # txid "***"

    with pytest.raises(ValidationFailed) as caught:
        pix_send(account=account, brcode=code)
    assert caught.value.field == "amount"

    transfer = send_now(
        django_capture_on_commit_callbacks,
        account=account,
        brcode=code,
        amount_cents=777,
        description="cafe",
    )
    assert transfer.amount == 777 and transfer.tx_id == ""
    message = pacs008_of(transfer)
    assert message.tx_id is None and message.remittance_info == "cafe"
    assert str(message.initiation) == "QRES"


def static_code_with_reference(key: str, reference: str, amount: str = "1.00") -> str:
    """A static code built field by field (the encoder writes only alphanumeric txids)."""
    account = f"0014br.gov.bcb.pix01{len(key):02d}{key}"
    label = f"05{len(reference):02d}{reference}"
    payload = (
        f"00020126{len(account):02d}{account}52040000530398654{len(amount):02d}{amount}"
        f"5802BR5919Carlos Pereira Dias6009SAO PAULO62{len(label):02d}{label}6304"
    )
    return payload + crc16_ccitt_false(payload.encode())


def test_static_code_reference_the_spi_cannot_carry_goes_without_txid(
    django_capture_on_commit_callbacks,
):
    # BACEN's own manual example "RP12345678-2019" is legal in a code, not in pacs.008 TxId.
    account = maria(100_000)
    code = static_code_with_reference(key_elsewhere(), "RP12345678-2019")

    transfer = send_now(django_capture_on_commit_callbacks, account=account, brcode=code)

    assert transfer.state == PixTransfer.State.SETTLED and transfer.amount == 100
    assert transfer.tx_id == "" and pacs008_of(transfer).tx_id is None


def test_a_broken_code_is_refused_by_rule_and_nothing_moves():
    account = maria(100_000)
    code = static_code(key_elsewhere(), amount_cents=100)
    broken = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(DomainError) as caught:
        pix_send(account=account, brcode=broken)
    assert caught.value.code == "brcode_crc" and caught.value.field == "brcode"
    assert not PixTransfer.objects.exists() and balance_of(account.pk)[0] == 100_000


# --- dynamic codes ------------------------------------------------------------------------


def test_dynamic_code_of_ours_pays_the_cob_internally_and_concludes_it():
    payer = maria(100_000)
    pix_key = payee_with_key()
    charge = cob_of(pix_key, amount_cents=12_345)
    entries_before = JournalEntry.objects.count()

    transfer = pix_send(account=payer, brcode=dynamic_code(charge))

    assert transfer.state == PixTransfer.State.SETTLED and transfer.internal
    assert transfer.initiation == "QRDN" and transfer.tx_id == charge.txid
    assert transfer.amount == 12_345 and transfer.charge_id == charge.pk
    charge.refresh_from_db()
    assert charge.status == PixCharge.Status.CONCLUIDA and charge.concluded_at
    assert JournalEntry.objects.count() == entries_before + 1
    assert balance_of(payer.pk)[0] == 100_000 - 12_345
    assert balance_of(pix_key.account_id)[0] == 12_345
    assert list(charge.payments.all()) == [transfer]


def test_dynamic_code_cannot_be_paid_twice():
    payer = maria(100_000)
    charge = cob_of(payee_with_key(), amount_cents=1_000)
    code = dynamic_code(charge)
    pix_send(account=payer, brcode=code)

    with pytest.raises(PixChargeNotPayable):
        pix_send(account=payer, brcode=code)
    assert PixTransfer.objects.count() == 1 and balance_of(payer.pk)[0] == 99_000


def test_dynamic_code_fixed_amount_and_editable_amount():
    payer = maria(100_000)
    fixed = cob_of(payee_with_key(), amount_cents=1_000)
    with pytest.raises(ValidationFailed) as caught:
        pix_send(account=payer, brcode=dynamic_code(fixed), amount_cents=999)
    assert caught.value.field == "amount"
    fixed.refresh_from_db()
    assert fixed.status == PixCharge.Status.ATIVA and not PixTransfer.objects.exists()

    editable = cob_of(payee_with_key("Ana Paula Souza"), amount_cents=1_000, editable=True)
    transfer = pix_send(account=payer, brcode=dynamic_code(editable), amount_cents=1_500)
    editable.refresh_from_db()
    assert transfer.amount == 1_500 and editable.status == PixCharge.Status.CONCLUIDA


def test_expired_or_removed_charge_is_not_found_and_nothing_moves():
    payer = maria(100_000)
    charge = cob_of(payee_with_key(), amount_cents=1_000, expires_in_seconds=60)
    PixCharge.objects.filter(pk=charge.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(DomainError) as caught:
        pix_send(account=payer, brcode=dynamic_code(charge))
    assert 400 <= caught.value.status_code < 500
    assert not PixTransfer.objects.exists() and balance_of(payer.pk)[0] == 100_000


def test_unknown_location_of_ours_is_not_found():
    code = encode_dynamic(
        url=f"{django_settings.PIX_LOCATION_HOST}/qr/v2/{'ab' * 16}",
        merchant_name="Loja",
        merchant_city="SAO PAULO",
    )
    with pytest.raises(NotFound):
        pix_send(account=maria(100_000), brcode=code)


def test_dynamic_code_of_another_psp_is_a_clear_422():
    code = encode_dynamic(
        url="pix.outrobanco.example/qr/v2/9d36b84fc70b478fb95c12729b90ca25",
        merchant_name="Loja",
        merchant_city="SAO PAULO",
    )
    with pytest.raises(PixForeignLocation) as caught:
        pix_send(account=maria(100_000), brcode=code)
    assert caught.value.status_code == 422 and "other PSPs" in caught.value.message


def test_a_dynamic_code_cannot_be_scheduled():
    charge = cob_of(payee_with_key(), amount_cents=1_000)
    with pytest.raises(ValidationFailed) as caught:
        pix_send(account=maria(100_000), brcode=dynamic_code(charge), scheduled_for=tomorrow())
    assert caught.value.field == "scheduled_for"
    charge.refresh_from_db()
    assert charge.status == PixCharge.Status.ATIVA


# --- agency / account / ISPB (MANU) -------------------------------------------------------


def bb_account(number: str = "12345678") -> Party:
    return Party(
        tax_id=new_cpf(),
        ispb=BB,
        branch="1234",
        account_number=number,
        account_type="CACC",
        name="Carlos Pereira Dias",
    )


def test_agency_account_to_another_psp_goes_as_manu(django_capture_on_commit_callbacks):
    account = maria(100_000)
    creditor = bb_account()
    reserves_before = reserves_total()

    transfer = send_now(
        django_capture_on_commit_callbacks, account=account, creditor=creditor, amount_cents=3_000
    )

    assert transfer.state == PixTransfer.State.SETTLED and not transfer.internal
    assert transfer.initiation == "MANU" and transfer.counterparty_key == ""
    assert transfer.counterparty_name == "Carlos Pereira Dias"
    message = pacs008_of(transfer)
    assert str(message.initiation) == "MANU" and message.creditor.pix_key is None
    assert message.creditor.account_number == "12345678" and message.creditor.branch == "1234"
    assert message.creditor.name is None  # the SPI's pacs.008 carries no creditor name
    assert reserves_total() == reserves_before + 3_000
    assert entries_of(transfer, "pix_out") == 1


def test_agency_account_rejected_by_the_other_psp_gives_the_money_back(
    django_capture_on_commit_callbacks,
):
    account = maria(100_000)
    transfer = send_now(
        django_capture_on_commit_callbacks,
        account=account,
        creditor=bb_account("912345"),  # the simulator's "no such account"
        amount_cents=3_000,
    )
    assert transfer.state == PixTransfer.State.REJECTED and transfer.reject_reason[:4] == "AC03"
    assert balance_of(account.pk)[0] == 100_000


def test_unknown_ispb_is_a_422_on_ispb():
    account = maria(100_000)
    creditor = Party(tax_id=new_cpf(), ispb="99999999", branch="1", account_number="1", name="X")
    with pytest.raises(PixNotParticipant) as caught:
        pix_send(account=account, creditor=creditor, amount_cents=100)
    assert caught.value.status_code == 422 and caught.value.field == "ispb"
    assert not PixTransfer.objects.exists() and balance_of(account.pk)[0] == 100_000


def test_agency_account_of_ours_is_internal_and_must_match_the_holder():
    payer = maria(100_000)
    payee = payee_with_key().account
    holder = payee.customer
    good = Party(
        tax_id=holder.tax_id,
        ispb=django_settings.ATHENA_ISPB,
        branch=payee.branch,
        account_number=payee.number,
        account_type="TRAN",
        name="whatever the payer typed",
    )
    transfer = pix_send(account=payer, creditor=good, amount_cents=500)
    assert transfer.state == PixTransfer.State.SETTLED and transfer.internal
    assert transfer.counterparty_name == holder.full_name and transfer.initiation == "MANU"
    assert balance_of(payee.pk)[0] == 500

    wrong = Party(
        tax_id=new_cpf(),
        ispb=django_settings.ATHENA_ISPB,
        branch=payee.branch,
        account_number=payee.number,
        name="x",
    )
    with pytest.raises(PixAccountNotFound):
        pix_send(account=payer, creditor=wrong, amount_cents=500)
    assert balance_of(payee.pk)[0] == 500


def test_exactly_one_way_to_name_the_payee():
    account = maria(100_000)
    key = key_elsewhere()
    for kwargs in (
        {},
        {"key": key, "brcode": static_code(key)},
        {"key": key, "creditor": bb_account()},
    ):
        with pytest.raises(ValidationFailed):
            pix_send(account=account, amount_cents=100, **kwargs)
    assert not PixTransfer.objects.exists()


# --- API ----------------------------------------------------------------------------------

URL = "/api/v1/pix/transfers"


def test_api_pays_a_static_code_and_an_account(django_capture_on_commit_callbacks):
    customer = person("Maria Souza Lima")
    account = funded_account(100_000, customer=customer)
    client = api_client(customer)
    code = static_code(key_elsewhere(), amount_cents=1_250, txid="ABC123")

    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(URL, {"account": account.pk, "brcode": code}, format="json", **idem())
    assert paid.status_code == 201, paid.json()
    assert paid.json()["amount"] == "12.50" and paid.json()["txid"] == "ABC123"

    body = {
        "account": account.pk,
        "amount": "10.00",
        "creditor": {
            "ispb": BB,
            "branch": "1234",
            "account_number": "55554444",
            "tax_id": new_cpf(),
            "name": "Carlos Pereira Dias",
        },
    }
    with django_capture_on_commit_callbacks(execute=True):
        manual = client.post(URL, body, format="json", **idem())
    assert manual.status_code == 201, manual.json()
    assert "txid" not in manual.json() and "scheduled_for" not in manual.json()
    assert PixTransfer.objects.get(pk=manual.json()["id"]).initiation == "MANU"

    body["creditor"]["ispb"] = "99999999"
    refused = client.post(URL, body, format="json", **idem())
    assert refused.status_code == 422
    assert refused.json()["violacoes"][0]["propriedade"] == "ispb"


@pytest.mark.parametrize(
    "body",
    [
        {"brcode": "not a code"},
        {"brcode": "0" * 2000},
        {"brcode": 12},
        {"brcode": ["x"]},
        {"key": "x", "brcode": "y", "amount": "1.00"},
        {"amount": "1.00"},
        {"creditor": "x", "amount": "1.00"},
        {"creditor": {"ispb": "1"}, "amount": "1.00"},
        {"creditor": {"ispb": BB, "account_number": "1", "tax_id": "123", "name": "a"}},
        {
            "creditor": {
                "ispb": BB,
                "account_number": "1a",
                "tax_id": "52998224725",
                "name": "a",
                "account_type": "XXXX",
            }
        },
        {"key": "\x00\x01", "amount": "1.00"},
        {"key": "ana@example.com", "amount": "1.00", "scheduled_for": "2026-02-30"},
        {"key": "ana@example.com", "amount": "1.00", "scheduled_for": "yesterday"},
        {"key": "ana@example.com", "amount": "1.00", "scheduled_for": "2000-01-01"},
    ],
)
def test_api_garbage_is_a_4xx_never_a_500(body):
    customer = person("Maria Souza Lima")
    account = funded_account(10_000, customer=customer)
    client = api_client(customer)
    sent = client.post(URL, {"account": account.pk, **body}, format="json", **idem())
    assert 400 <= sent.status_code < 500, sent.content
    assert sent["Content-Type"].startswith("application/problem+json")
    preview = client.post(
        URL + "/preview",
        {"account": account.pk, **{k: v for k, v in body.items() if k != "scheduled_for"}},
        format="json",
    )
    assert 400 <= preview.status_code < 500, preview.content
    assert not PixTransfer.objects.exists() and balance_of(account.pk)[0] == 10_000


# --- the payload's amount (pure) ----------------------------------------------------------


@hypothesis_settings(max_examples=300, deadline=None)
@given(cents=st.integers(min_value=0, max_value=10**13), editable=st.sampled_from([0, 1]))
def test_payload_amount_property(cents, editable):
    amount, can_edit = _payload_amount(
        {"valor": {"original": cents_to_str(cents), "modalidadeAlteracao": editable}}
    )
    assert amount == (cents or None)
    assert can_edit == (editable == 1 or cents == 0)
    final, fixed = _payload_amount({"valor": {"original": "1.00", "final": cents_to_str(cents)}})
    assert final == (cents or None) and fixed == (cents == 0)


@pytest.mark.parametrize("raw", ["1,00", "-1.00", "abc", "1.5", None, 12])
def test_payload_amount_refuses_what_is_not_an_amount(raw):
    if raw is None:
        assert _payload_amount({"valor": {}}) == (None, True)
        return
    with pytest.raises(PixChargeNotPayable):
        _payload_amount({"valor": {"original": raw}})
