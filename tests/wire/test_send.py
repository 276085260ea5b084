"""Sending a TED: at once inside the window, scheduled outside it (frozen clocks), the fee,
returns and rejections giving the money back once, cancelling, and bad input changing
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from apps.accounts import services as accounts
from apps.accounts.models import JournalEntry
from apps.core.errors import DomainError
from apps.core.timezones import BRASILIA
from apps.simulators.str.models import StrDelivery, StrSettlement
from apps.wire import services
from apps.wire.models import StrMessage, Wire
from tests.factories.ledger import balance_of
from tests.support.wires import IN_WINDOW, NUBANK_ISPB, order, payee, send, send_due, ted_sender

pytestmark = pytest.mark.django_db

FEE = 500


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BRASILIA)


def fee_revenue() -> int:
    return balance_of(accounts.internal_account_id("fee_revenue"))[0]


@time_machine.travel(IN_WINDOW, tick=False)
def test_inside_the_window_a_ted_is_debited_sent_and_settled():
    account = ted_sender(100_000)
    revenue = fee_revenue()
    wire = send(customer=account.customer, **order(account, payee(), 25_000))
    assert wire.state == Wire.State.SETTLED
    assert wire.scheduled_for is None
    assert wire.str_control_number.startswith("STR20261202")
    assert balance_of(account.pk) == (100_000 - 25_000 - FEE, 100_000 - 25_000 - FEE)
    assert fee_revenue() == revenue + FEE
    kinds = set(
        JournalEntry.objects.filter(reference_id=str(wire.pk)).values_list("kind", flat=True)
    )
    assert kinds == {"ted_out", "ted_fee"}
    codes = list(wire.messages.values_list("code", flat=True))
    assert codes == ["STR0008", "STR0008R1"]
    # What we keep of the message names nobody's document in clear.
    body = wire.messages.get(code="STR0008").body
    assert account.customer.tax_id not in body and wire.holder_tax_id not in body
    assert list(wire.history.order_by("history_id").values_list("state", flat=True)) == [
        "created",
        "sent",
        "settled",
    ]


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        (at(2027, 2, 8, 10, 0), at(2027, 2, 10, 6, 30)),  # Carnival Monday
        (at(2026, 12, 11, 17, 30), at(2026, 12, 14, 6, 30)),  # Friday 17:30
    ],
)
def test_outside_the_window_it_is_scheduled_told_and_settles_then(asked, goes):
    with time_machine.travel(asked, tick=False):
        account = ted_sender(100_000)
        to = payee()
        quote = services.wire_quote(customer=account.customer, **order(account, to, 30_000))
        assert quote.scheduled and quote.goes_at == goes
        wire = send(customer=account.customer, **order(account, to, 30_000))
        assert wire.state == Wire.State.SCHEDULED
        assert wire.scheduled_for == goes
        assert balance_of(account.pk)[0] == 100_000  # a schedule holds no money
        assert send_due() == 0
    with time_machine.travel(goes - dt.timedelta(minutes=1), tick=False):
        assert send_due() == 0
    with time_machine.travel(goes, tick=False):
        assert send_due() == 1
    wire.refresh_from_db()
    assert wire.state == Wire.State.SETTLED
    assert wire.settlement_date == goes.date()
    assert balance_of(account.pk)[0] == 100_000 - 30_000 - FEE


@time_machine.travel(at(2026, 12, 11, 17, 30), tick=False)
def test_a_scheduled_ted_can_be_cancelled_until_it_goes():
    account = ted_sender(100_000)
    wire = send(customer=account.customer, **order(account, payee(), 10_000))
    services.wire_cancel(customer=account.customer, wire_id=wire.pk)
    wire.refresh_from_db()
    assert wire.state == Wire.State.CANCELLED
    with time_machine.travel(at(2026, 12, 14, 6, 30), tick=False):
        assert send_due() == 0
    with pytest.raises(DomainError):
        services.wire_cancel(customer=account.customer, wire_id=wire.pk)
    assert balance_of(account.pk)[0] == 100_000


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_chosen_business_day_schedules_it_and_a_holiday_is_refused():
    account = ted_sender(100_000)
    wire = send(
        customer=account.customer,
        **order(account, payee(), 10_000, scheduled_for=dt.date(2026, 12, 4)),
    )
    assert wire.state == Wire.State.SCHEDULED and wire.scheduled_for == at(2026, 12, 4, 6, 30)
    with pytest.raises(DomainError) as caught:
        send(
            customer=account.customer,
            **order(account, payee(), 10_000, scheduled_for=dt.date(2026, 12, 25)),
        )
    assert caught.value.field == "scheduled_for"


@pytest.mark.parametrize("state", ["missing", "closed", "fraud", "document"])
def test_a_returned_ted_gives_back_the_amount_and_the_fee_once(state):
    with time_machine.travel(IN_WINDOW, tick=False):
        account = ted_sender(100_000)
        if state == "missing":
            to = payee()
            to["account_number"] = "999999999"
        elif state == "document":
            to = payee()
            to["holder_tax_id"] = "52998224725"
        else:
            to = payee(state=state)
        wire = send(customer=account.customer, **order(account, to, 40_000))
        assert wire.state == Wire.State.SETTLED
        assert balance_of(account.pk)[0] == 100_000 - 40_000 - FEE
        revenue = fee_revenue()
        # The credited bank returns it: an STR0010R2 waits in our queue.
        assert services.wires_inbox_run() == 1
        wire.refresh_from_db()
        assert wire.state == Wire.State.RETURNED
        assert (
            wire.return_code
            == {"missing": "2", "closed": "1", "fraud": "9", "document": "3"}[state]
        )
        assert balance_of(account.pk)[0] == 100_000
        assert fee_revenue() == revenue - FEE
        # The same return delivered again changes nothing.
        StrDelivery.objects.update(acknowledged=False)
        assert services.wires_inbox_run() == 1
        assert balance_of(account.pk)[0] == 100_000
        refunds = JournalEntry.objects.filter(reference_id=str(wire.pk), kind="ted_return")
        assert refunds.count() == 1
        assert refunds.get().metadata["reason"] == wire.return_code


@override_settings(WIRE_STR_SIM_HOURS="11:00-18:30")
@time_machine.travel(IN_WINDOW, tick=False)
def test_a_ted_the_str_refuses_is_rejected_and_refunded():
    account = ted_sender(100_000)
    wire = send(customer=account.customer, **order(account, payee(), 20_000))
    assert wire.state == Wire.State.REJECTED
    assert wire.rejection_code == "EHOR0001"
    assert balance_of(account.pk)[0] == 100_000
    assert JournalEntry.objects.filter(reference_id=str(wire.pk), kind="ted_return").count() == 1


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_lost_answer_is_resent_and_the_str_answers_the_first_outcome(monkeypatch):
    from apps.simulators.str.simulator import StrSimulator
    from apps.wire.adapters.str_client import StrError

    account = ted_sender(100_000)
    real_send = StrSimulator.send

    def lost(self, xml):
        real_send(self, xml)  # the STR settles it, the answer never arrives
        raise StrError("timeout")

    monkeypatch.setattr(StrSimulator, "send", lost)
    wire = send(customer=account.customer, **order(account, payee(), 10_000))
    assert wire.state == Wire.State.SENT
    monkeypatch.setattr(StrSimulator, "send", real_send)
    with time_machine.travel(IN_WINDOW + dt.timedelta(minutes=5), tick=False):
        assert services.wires_resend_stuck() == 1
    wire.refresh_from_db()
    assert wire.state == Wire.State.SETTLED
    assert StrSettlement.objects.filter(control_number=wire.control_number).count() == 1
    assert balance_of(account.pk)[0] == 100_000 - 10_000 - FEE


@time_machine.travel(IN_WINDOW, tick=False)
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"bank": "999"}, "bank"),
        ({"bank": "332"}, "bank"),
        ({"branch": "12a"}, "branch"),
        ({"account_number": ""}, "account_number"),
        ({"holder_tax_id": "111.111.111-11"}, "holder_tax_id"),
        ({"holder_name": " "}, "holder_name"),
        ({"amount_cents": 0}, "amount"),
        ({"amount_cents": 10_000_000}, "amount"),
        ({"account_type": "XX"}, "account_type"),
        ({"note": "<script>"}, "note"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_changes_nothing(changes, field):
    account = ted_sender(100_000)
    with pytest.raises(DomainError) as caught:
        send(customer=account.customer, **{**order(account, payee(), 10_000), **changes})
    assert caught.value.field == field
    assert not Wire.objects.exists() and not StrMessage.objects.exists()
    assert balance_of(account.pk)[0] == 100_000


@time_machine.travel(IN_WINDOW, tick=False)
def test_ted_needs_kyc_level_1():
    account = ted_sender(100_000, level=0)
    with pytest.raises(DomainError, match="(level|nível) 1"):
        send(customer=account.customer, **order(account, payee(), 10_000))


@time_machine.travel(IN_WINDOW, tick=False)
def test_a_scheduled_ted_the_balance_no_longer_covers_is_rejected_at_its_moment():
    account = ted_sender(50_000)
    wire = send(
        customer=account.customer,
        **order(account, payee(), 40_000, scheduled_for=dt.date(2026, 12, 3)),
    )
    send(customer=account.customer, **order(account, payee(), 30_000))
    with time_machine.travel(at(2026, 12, 3, 6, 31), tick=False):
        assert send_due() == 0
    wire.refresh_from_db()
    assert wire.state == Wire.State.REJECTED
    assert balance_of(account.pk)[0] == 50_000 - 30_000 - FEE
    assert StrSettlement.objects.filter(receiver_ispb=NUBANK_ISPB).count() == 1
