"""Scheduled Pix: stored SCHEDULED, sent on the day from 06:00 (Brasilia), FAILED when
funds, limits or the payee are gone, cancellable until then; two runners never send one
twice."""

from __future__ import annotations

import calendar
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connections
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.accounts.models import Posting
from apps.core.errors import NotFound, ValidationFailed
from apps.core.fsm import transitions_of
from apps.core.models import OutboxMessage
from apps.core.timezones import BRASILIA
from apps.pix.adapters.dict import DictUnavailable
from apps.pix.codecs.iso20022 import Priority, ServiceLevel
from apps.pix.models import PixTransfer
from apps.pix.tasks import run_scheduled_pix_task
from apps.pix.transfers.errors import PixNotScheduled
from apps.pix.transfers.services.scheduled import pix_run_scheduled
from apps.pix.transfers.services.send import (
    _add_months,
    _check_schedule_date,
    pix_cancel_scheduled,
    pix_send,
)
from apps.simulators.dict.simulator import DictSimulator
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import (
    BB,
    api_client,
    idem,
    other_owner,
    person,
    register_elsewhere,
)
from tests.support.pix_payments import debits_of, pacs008_of, payee_with_key, tomorrow
from tests.support.pix_transfers import key_elsewhere, maria


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English; the default language is pt-BR."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def morning(day: date, hour: int = 6, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BRASILIA)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """pix_run_scheduled, with the SPI step it leaves for after commit executed (the test's
    transaction never commits)."""

    def runner(now: datetime) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return pix_run_scheduled(now=now)

    return runner


def schedule(account, key, amount_cents=10_000, day=None, **kwargs) -> PixTransfer:
    return pix_send(
        account=account,
        key=key,
        amount_cents=amount_cents,
        scheduled_for=day or tomorrow(),
        **kwargs,
    )


@pytest.mark.django_db
def test_scheduling_moves_no_money_and_keeps_the_payee():
    account = maria(100_000)
    key = key_elsewhere()

    transfer = schedule(account, key, 10_000, description="aluguel")

    assert transfer.state == PixTransfer.State.SCHEDULED and transfer.end_to_end_id is None
    assert transfer.scheduled_for == tomorrow() and transfer.amount == 10_000
    assert transfer.counterparty_key == key and transfer.counterparty_ispb == BB
    assert transfer.counterparty_name == "Carlos Pereira Dias"
    assert transfer.description == "aluguel" and not transfer.debit_entry_id
    assert balance_of(account.pk)[0] == 100_000 and debits_of(account) == 0
    assert [t.target_state for t in transitions_of(transfer)] == ["scheduled"]


@pytest.mark.django_db
def test_schedule_dates_from_tomorrow_up_to_twelve_months():
    account = maria(100_000)
    key = key_elsewhere()
    now = datetime(2026, 2, 28, 23, 30, tzinfo=BRASILIA)  # late evening: still the 28th
    for day in (date(2026, 2, 28), date(2026, 2, 27), date(2027, 3, 1)):
        with pytest.raises(ValidationFailed) as caught:
            schedule(account, key, day=day, now=now)
        assert caught.value.field == "scheduled_for"
    with pytest.raises(ValidationFailed):
        schedule(account, key, day=datetime(2026, 3, 10, 12, 0, tzinfo=BRASILIA), now=now)
    assert schedule(account, key, day=date(2026, 3, 1), now=now).state == "scheduled"
    assert schedule(account, key, day=date(2027, 2, 28), now=now).state == "scheduled"
    # 02:30 UTC on Mar 1 is still Feb 28 (23:30) in Brasilia: Mar 1 is "tomorrow" there.
    utc_now = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    assert schedule(account, key, day=date(2026, 3, 1), now=utc_now).state == "scheduled"


@pytest.mark.django_db
def test_runs_from_six_on_the_day_with_the_scheduled_service_level(run):
    account = maria(100_000)
    transfer = schedule(account, key_elsewhere(), 10_000)
    day = transfer.scheduled_for

    assert run(morning(day - timedelta(days=1), 12)) == 0  # not due yet
    assert run(morning(day, 5, 59)) == 0  # still the night
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SCHEDULED

    assert run(morning(day)) == 1
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED
    assert transfer.end_to_end_id and transfer.end_to_end_id.startswith("E")
    message = pacs008_of(transfer)
    assert message.service_level == ServiceLevel.PAGAGD and message.priority == Priority.NORM
    assert str(message.initiation) == "DICT"
    assert debits_of(account) == 10_000 and balance_of(account.pk)[0] == 90_000
    assert [t.target_state for t in transitions_of(transfer).order_by("id")] == [
        "scheduled",
        "sent",
        "settled",
    ]
    assert run(morning(day, 7)) == 0  # a later run sends nothing again
    assert debits_of(account) == 10_000


@pytest.mark.django_db
def test_internal_scheduled_pix_settles_on_the_day(run):
    payer = maria(100_000)
    pix_key = payee_with_key()
    transfer = schedule(payer, pix_key.key, 2_500)
    assert transfer.internal and transfer.state == PixTransfer.State.SCHEDULED

    assert run(morning(transfer.scheduled_for, 9)) == 1
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED and transfer.end_to_end_id
    assert balance_of(pix_key.account_id)[0] == 2_500 and balance_of(payer.pk)[0] == 97_500


@pytest.mark.django_db
def test_insufficient_funds_on_the_day_fails_it_and_tells_the_customer(run):
    account = maria(5_000)
    transfer = schedule(account, key_elsewhere(), 10_000)

    assert run(morning(transfer.scheduled_for)) == 1

    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.FAILED and transfer.end_to_end_id is None
    assert "nsufficient funds" in transfer.reject_reason
    assert debits_of(account) == 0 and balance_of(account.pk)[0] == 5_000
    message = OutboxMessage.objects.get(topic="pix.scheduled_failed")
    assert message.payload == {
        "transfer_id": transfer.pk,
        "account_id": account.pk,
        "reason": transfer.reject_reason,
    }


@pytest.mark.django_db
def test_limits_are_checked_on_the_day(run, django_capture_on_commit_callbacks):
    account = maria(100_000)  # KYC level 0: R$ 500,00 a day
    key = key_elsewhere()
    first = schedule(account, key, 30_000)
    second = schedule(account, key, 30_000)
    # Both fit when scheduled; on the day the customer already spent R$ 300,00 by hand.
    today = timezone.now().astimezone(BRASILIA).date()
    PixTransfer.objects.filter(pk__in=[first.pk, second.pk]).update(scheduled_for=today)
    with django_capture_on_commit_callbacks(execute=True):
        pix_send(account=account, key=key, amount_cents=30_000)

    assert run(max(timezone.now(), morning(today))) == 2

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == second.state == PixTransfer.State.FAILED
    assert "R$ 500,00" in first.reject_reason and "R$ 200,00 left today" in first.reject_reason
    assert debits_of(account) == 30_000


@pytest.mark.django_db
def test_payee_gone_or_changed_fails_it(run):
    account = maria(100_000)
    gone_key = key_elsewhere()
    gone = schedule(account, gone_key, 1_000)
    DictSimulator(BB).delete_entry(key=gone_key)
    # An e-mail key can change hands: on the day it names somebody else.
    register_elsewhere(
        key_type="EMAIL", key="paula@example.com", owner=other_owner(name="Paula Reis")
    )
    changed = schedule(account, "paula@example.com", 1_000)
    DictSimulator(BB).delete_entry(key="paula@example.com")
    register_elsewhere(
        key_type="EMAIL", key="paula@example.com", owner=other_owner(name="Outra Pessoa")
    )

    assert run(morning(tomorrow())) == 2

    gone.refresh_from_db()
    changed.refresh_from_db()
    assert gone.state == changed.state == PixTransfer.State.FAILED
    assert "no longer belongs" in changed.reject_reason
    assert debits_of(account) == 0
    assert OutboxMessage.objects.filter(topic="pix.scheduled_failed").count() == 2


class _DictDown(DictSimulator):
    def get_entry(self, **kwargs):
        raise DictUnavailable("DICT unavailable")


@pytest.mark.django_db
def test_dict_down_postpones_it_to_the_next_run(monkeypatch, run):
    account = maria(100_000)
    transfer = schedule(account, key_elsewhere(), 1_000)
    with monkeypatch.context() as patch:
        patch.setattr("apps.pix.transfers.services.payees.dict_client", lambda: _DictDown())
        assert run(morning(transfer.scheduled_for)) == 0
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SCHEDULED

    assert run(morning(transfer.scheduled_for, 6, 1)) == 1
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.SETTLED


@pytest.mark.django_db
def test_a_broken_transfer_does_not_hold_up_the_others(run):
    account = maria(100_000)
    broken = schedule(account, key_elsewhere(), 1_000)
    healthy = schedule(account, key_elsewhere(), 2_000)
    # A row the pacs.008 cannot be built from (written behind the service's back).
    PixTransfer.objects.filter(pk=broken.pk).update(
        initiation="MANU", counterparty_key="", counterparty_account_number="12-3"
    )

    assert run(morning(tomorrow())) == 1

    broken.refresh_from_db()
    healthy.refresh_from_db()
    assert broken.state == PixTransfer.State.SCHEDULED and broken.end_to_end_id is None
    assert healthy.state == PixTransfer.State.SETTLED
    assert debits_of(account) == 2_000


@pytest.mark.django_db
def test_a_missed_day_fails_instead_of_paying_late(run):
    account = maria(100_000)
    transfer = schedule(account, key_elsewhere(), 1_000)
    assert run(morning(transfer.scheduled_for + timedelta(days=1))) == 1
    transfer.refresh_from_db()
    assert transfer.state == PixTransfer.State.FAILED and debits_of(account) == 0


@pytest.mark.django_db
def test_cancel(run):
    account = maria(100_000)
    transfer = schedule(account, key_elsewhere(), 1_000)
    with pytest.raises(NotFound):
        pix_cancel_scheduled(transfer_id=transfer.pk, account=maria())

    cancelled = pix_cancel_scheduled(transfer_id=transfer.pk, account=account)

    assert cancelled.state == PixTransfer.State.CANCELLED
    with pytest.raises(PixNotScheduled):
        pix_cancel_scheduled(transfer_id=transfer.pk, account=account)
    assert run(morning(transfer.scheduled_for)) == 0
    assert debits_of(account) == 0


@pytest.mark.django_db
def test_the_beat_task_runs_the_service():
    account = maria(100_000)
    transfer = schedule(account, key_elsewhere(), 1_000)
    PixTransfer.objects.filter(pk=transfer.pk).update(
        scheduled_for=timezone.now().astimezone(BRASILIA).date()
    )
    local = timezone.now().astimezone(BRASILIA).time()
    assert run_scheduled_pix_task() == (1 if local >= time(6, 0) else 0)


# --- concurrency: real threads, real connections -----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runners_never_send_one_twice():
    transfers = []
    for index in range(6):
        account = maria(50_000)
        transfers.append(schedule(account, key_elsewhere(number=f"1234{index}"), 10_000))
    day_start = morning(tomorrow())
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def runner():
        try:
            barrier.wait()
            counts.append(pix_run_scheduled(now=day_start))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors and sum(counts) == len(transfers)
    for transfer in transfers:
        transfer.refresh_from_db()
        assert transfer.state == PixTransfer.State.SETTLED
        debits = Posting.objects.filter(account_id=transfer.account_id, amount__lt=0)
        assert [p.amount for p in debits] == [-10_000]


@pytest.mark.django_db(transaction=True)
def test_cancel_racing_the_runner_either_cancels_or_sends_never_both():
    account = maria(50_000)
    transfer = schedule(account, key_elsewhere(), 10_000)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def run():
        try:
            barrier.wait()
            outcomes["run"] = pix_run_scheduled(now=morning(tomorrow()))
        finally:
            connections.close_all()

    def cancel():
        try:
            barrier.wait()
            outcomes["cancel"] = pix_cancel_scheduled(transfer_id=transfer.pk, account=account)
        except PixNotScheduled as exc:
            outcomes["cancel"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run), threading.Thread(target=cancel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    transfer.refresh_from_db()
    sent = Posting.objects.filter(account_id=account.pk, amount__lt=0).count()
    if transfer.state == PixTransfer.State.CANCELLED:
        assert sent == 0 and outcomes["run"] == 0
    else:
        assert transfer.state == PixTransfer.State.SETTLED and sent == 1
        assert isinstance(outcomes["cancel"], PixNotScheduled)


# --- API ----------------------------------------------------------------------------------

URL = "/api/v1/pix/transfers"


@pytest.mark.django_db
def test_api_schedule_list_and_cancel():
    customer = person("Maria Souza Lima")
    account = funded_account(100_000, customer=customer)
    client = api_client(customer)
    body = {
        "account": account.pk,
        "key": key_elsewhere(),
        "amount": "25.00",
        "scheduled_for": tomorrow().isoformat(),
    }

    created = client.post(URL, body, format="json", **idem())

    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["state"] == "scheduled" and data["end_to_end_id"] is None
    assert data["scheduled_for"] == tomorrow().isoformat()
    listed = client.get(URL, {"account": account.pk}).json()
    assert [t["id"] for t in listed] == [data["id"]]
    assert balance_of(account.pk)[0] == 100_000

    intruder = api_client(person("Joao Carlos Silva"))
    assert intruder.post(f"{URL}/{data['id']}/cancel").status_code == 404
    cancelled = client.post(f"{URL}/{data['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = client.post(f"{URL}/{data['id']}/cancel")
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")
    assert client.post(f"{URL}/999999999/cancel").status_code == 404

    today = client.post(
        URL,
        {**body, "scheduled_for": (tomorrow() - timedelta(days=1)).isoformat()},
        format="json",
        **idem(),
    )
    assert today.status_code == 400
    assert today.json()["violacoes"][0]["propriedade"] == "scheduled_for"


# --- the date window (pure) ---------------------------------------------------------------


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31)),
    months=st.integers(min_value=0, max_value=24),
)
def test_add_months_property(day, months):
    later = _add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day == min(day.day, calendar.monthrange(later.year, later.month)[1])


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    offset=st.integers(min_value=-5, max_value=400),
)
def test_schedule_window_property(now, offset):
    today = now.astimezone(BRASILIA).date()
    day = today + timedelta(days=offset)
    allowed = offset >= 1 and day <= _add_months(today, 12)
    try:
        _check_schedule_date(day, now)
    except ValidationFailed as error:
        assert not allowed and error.field == "scheduled_for"
    else:
        assert allowed


@pytest.mark.django_db
def test_every_look_up_names_the_end_to_end_id_of_its_payment(monkeypatch, run):
    """DICT's getEntry requires PI-EndToEndId: the id the Pix will carry, made before the
    look-up (a send now, and a scheduled one on its day)."""
    named: list[str] = []
    real = DictSimulator.get_entry

    def spy(self, **kwargs):
        named.append(kwargs.get("end_to_end_id", ""))
        return real(self, **kwargs)

    monkeypatch.setattr(DictSimulator, "get_entry", spy)
    account = maria(100_000)
    key = key_elsewhere()

    sent = pix_send(account=account, key=key, amount_cents=1_000)
    scheduled = schedule(account, key, 2_000)
    run(morning(tomorrow()))
    scheduled.refresh_from_db()

    assert named[0] == sent.end_to_end_id
    assert named[1].startswith("E13140088") and len(named[1]) == 32  # scheduling's look-up
    assert named[2] == scheduled.end_to_end_id != named[1]  # the day's, with the real id
    assert scheduled.state == PixTransfer.State.SETTLED
