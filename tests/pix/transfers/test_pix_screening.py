"""Outbound Pix screen the payee with compliance (apps.compliance): a payee on a sanctions
list or our internal watchlist gets no Pix; the preview records the screening, and a send
stopped by it is recorded too (through the API and the portal, whose own transactions roll
the refused send back), so the hit reaches the compliance queue; a clear payee is paid as
usual."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from apps.compliance.models import ScreeningHit, ScreeningResult, WatchlistEntry
from apps.compliance.services import invalidate_index
from apps.core.models import IdempotencyRecord
from apps.pix.adapters.dict import DictAccount
from apps.pix.models import PixTransfer
from apps.pix.transfers.errors import PayeeOnSanctionsList
from apps.pix.transfers.services.payees import payee_preview
from apps.pix.transfers.services.send import pix_send
from apps.simulators.dict.simulator import DictSimulator
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import BB, api_client, idem, other_owner, person

pytestmark = pytest.mark.django_db

LISTED = "Viktor Anatolyevich Bout"


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


@pytest.fixture
def watchlisted():
    entry = WatchlistEntry.objects.create(name=LISTED, reason="arms trafficking (test)")
    invalidate_index()
    yield entry
    invalidate_index()


def key_of(name: str) -> str:
    owner = other_owner(name=name)
    DictSimulator(BB).create_entry(
        key_type="CPF",
        key=owner.tax_id,
        account=DictAccount(
            participant=BB,
            branch="1234",
            account_number="7654321",
            account_type="CACC",
            opened_at=datetime(2019, 5, 1, tzinfo=UTC),
        ),
        owner=owner,
        request_id=uuid.uuid4(),
    )
    return owner.tax_id


def test_a_listed_payee_is_refused_and_no_money_moves(watchlisted):
    payer = funded_account(100_000, customer=person("Maria Souza Lima"))
    key = key_of("Viktor Bout Anatolyevich")  # reordered

    with pytest.raises(PayeeOnSanctionsList):
        payee_preview(account=payer, key=key)
    with pytest.raises(PayeeOnSanctionsList):
        pix_send(account=payer, key=key, amount_cents=1_000)

    assert balance_of(payer.pk)[0] == 100_000
    assert not PixTransfer.objects.filter(account=payer).exists()
    # The preview's screening and the stopped send's, each with its hits: our watchlist, and
    # OFAC too when the full lists are loaded (BOUT, Viktor Anatolijevitch).
    results = ScreeningResult.objects.filter(context="pix")
    assert results.count() == 2
    for result in results:
        assert result.screened_name == "Viktor Bout Anatolyevich"
        assert "internal" in {hit.source for hit in ScreeningHit.objects.filter(result=result)}


def test_a_send_refused_through_the_api_keeps_its_screening_record(watchlisted):
    """The API's idempotency savepoint rolls the refused send back; its screening is kept,
    committed with the stored 422 (a replay answers the same and records nothing more)."""
    customer = person("Maria Souza Lima")
    payer = funded_account(100_000, customer=customer)
    key = key_of("Viktor Bout Anatolyevich")
    client = api_client(customer)
    headers = idem()
    body = {"account": payer.pk, "key": key, "amount": "10.00"}

    refused = client.post("/api/v1/pix/transfers", body, format="json", **headers)
    again = client.post("/api/v1/pix/transfers", body, format="json", **headers)

    assert refused.status_code == 422, refused.json()
    assert refused.json()["type"].endswith("pix_payee_screening_hit")
    assert again.status_code == 422 and again.json() == refused.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert IdempotencyRecord.objects.get().status_code == 422
    assert balance_of(payer.pk)[0] == 100_000
    assert not PixTransfer.objects.filter(account=payer).exists()
    (result,) = ScreeningResult.objects.filter(context="pix")
    assert result.screened_name == "Viktor Bout Anatolyevich"
    hits = ScreeningHit.objects.filter(result=result)
    assert "internal" in {hit.source for hit in hits}
    assert all(hit.status == ScreeningHit.Status.OPEN for hit in hits)


def test_a_send_with_no_hit_writes_no_screening_record(watchlisted):
    """A clear payee is screened on every send, but only a hit is worth a record there."""
    customer = person("Maria Souza Lima")
    payer = funded_account(100_000, customer=customer)
    response = api_client(customer).post(
        "/api/v1/pix/transfers",
        {"account": payer.pk, "key": key_of("Carlos Pereira Dias"), "amount": "10.00"},
        format="json",
        **idem(),
    )
    assert response.status_code == 201, response.json()
    assert not ScreeningResult.objects.exists()


def test_a_clear_payee_is_screened_and_paid(watchlisted, django_capture_on_commit_callbacks):
    payer = funded_account(100_000, customer=person("Maria Souza Lima"))
    key = key_of("Carlos Pereira Dias")

    preview = payee_preview(account=payer, key=key)
    with django_capture_on_commit_callbacks(execute=True):
        transfer = pix_send(account=payer, key=key, amount_cents=1_000)

    assert preview.name == "Carlos Pereira Dias"
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED
    assert not ScreeningHit.objects.exists()
