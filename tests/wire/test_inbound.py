"""TEDs other banks send us: credited by account data, or returned with STR0010 and the SPB
reason; a redelivered message changes nothing."""

from __future__ import annotations

import pytest
import time_machine

from apps.accounts import services as accounts
from apps.accounts.models import Account, JournalEntry
from apps.core.fsm import apply_transition
from apps.simulators.str.models import StrReserves, StrSettlement
from apps.simulators.str.simulator import StrSimulator
from apps.wire import services
from apps.wire.codecs import str_messages as codec
from apps.wire.models import InboundWire
from tests.factories.customers import new_cpf
from tests.factories.ledger import balance_of
from tests.support.wires import IN_WINDOW, NUBANK_ISPB, ted_sender

pytestmark = pytest.mark.django_db


def send_in(account: Account, *, amount: int = 70_000, tax_id: str | None = None, number=None):
    return StrSimulator().inbound_ted(
        sender_ispb=NUBANK_ISPB,
        sender_name="Carlos Alberto Dias",
        sender_tax_id=new_cpf(),
        branch=account.branch,
        account_number=number or account.number,
        holder_tax_id=tax_id or account.customer.tax_id,
        amount_cents=amount,
    )


@time_machine.travel(IN_WINDOW, tick=False)
def test_an_inbound_ted_is_credited_by_branch_account_and_document():
    account = ted_sender(0)
    str_number = send_in(account)
    assert services.wires_inbox_run() == 1
    inbound = InboundWire.objects.get(str_control_number=str_number)
    assert inbound.state == InboundWire.State.CREDITED and inbound.account_id == account.pk
    assert balance_of(account.pk)[0] == 70_000
    entry = JournalEntry.objects.get(pk=inbound.entry_id)
    assert entry.kind == "ted_in" and entry.metadata["sender"] == "Carlos Alberto Dias"
    # Redelivered: nothing twice.
    services.inbox_message_process(xml=_r2_of(str_number))
    assert balance_of(account.pk)[0] == 70_000
    assert InboundWire.objects.count() == 1


def _r2_of(str_number: str) -> bytes:
    from apps.simulators.str.models import StrDelivery

    for delivery in StrDelivery.objects.all():
        if str_number.encode() in delivery.xml.encode():
            return delivery.xml.encode()
    raise AssertionError("no delivery")


@pytest.mark.parametrize("case", ["closed", "invalid", "document", "blocked"])
def test_a_ted_we_cannot_credit_is_returned_with_its_reason(case):
    with time_machine.travel(IN_WINDOW, tick=False):
        account = ted_sender(0)
        kwargs = {}
        if case == "closed":
            apply_transition(account, "close", by="test", reason="closed")
        elif case == "blocked":
            apply_transition(account, "block", by="test", reason="blocked")
        elif case == "invalid":
            kwargs["number"] = "999999990"
        else:
            kwargs["tax_id"] = new_cpf()
        reserves_before = (
            StrReserves.objects.filter(ispb="13140088").values_list("balance", flat=True).first()
        )
        str_number = send_in(account, amount=12_345, **kwargs)
        services.wires_inbox_run()
        inbound = InboundWire.objects.get(str_control_number=str_number)
        assert inbound.state == InboundWire.State.RETURNED
        assert (
            inbound.return_code
            == {"closed": "1", "invalid": "2", "document": "3", "blocked": "84"}[case]
        )
        assert inbound.entry_id is None
        assert balance_of(account.pk)[0] == 0
        # The STR0010 went out, naming the original and the reason, and settled.
        codes = list(inbound.messages.values_list("code", flat=True))
        assert codes == ["STR0008R2", "STR0010", "STR0010R1"]
        devolution = StrSettlement.objects.get(code="STR0010", sender_ispb="13140088")
        assert devolution.original_str_control_number == str_number
        assert devolution.status == codec.SETTLED
        after = StrReserves.objects.get(ispb="13140088").balance
        assert after == (reserves_before or after)  # in and out of our reserves
        assert not JournalEntry.objects.filter(reference_type="inbound_wire").exists()


@time_machine.travel(IN_WINDOW, tick=False)
def test_an_unreadable_message_is_kept_for_operators_and_acknowledged():
    from apps.simulators.str.models import StrDelivery
    from apps.wire.models import StrMessage

    StrDelivery.objects.create(code="STR0008R2", xml="<DOC><oops/></DOC>")
    assert services.wires_inbox_run() == 1
    assert StrMessage.objects.get().code == "invalid"
    assert services.wires_inbox_run() == 0
    assert accounts.internal_account_id("reserves_bacen")
