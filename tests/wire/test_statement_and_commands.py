"""How TEDs read on a statement (pt-BR and English, no internal text), and the simulator's
commands (demo payees, an inbound TED)."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from apps.simulators.str.models import StrBankAccount
from apps.wire import services
from apps.wire.models import InboundWire
from tests.factories.ledger import balance_of
from tests.support.wires import IN_WINDOW, order, payee, send, ted_sender

pytestmark = pytest.mark.django_db


def descriptions(account, language: str) -> list[str]:
    client = APIClient()
    client.force_authenticate(account.customer.user)
    response = client.get(f"/api/v1/accounts/{account.pk}/statement", HTTP_ACCEPT_LANGUAGE=language)
    return [line["description"] for line in response.json()["lines"]]


@time_machine.travel(IN_WINDOW, tick=False)
def test_ted_lines_read_in_the_readers_language():
    account = ted_sender(100_000)
    to = payee(name="Joao Carlos Pereira")
    to["account_number"] = "555"  # unknown at Nubank: returned with reason 2
    wire = send(customer=account.customer, **order(account, to, 10_000))
    services.wires_inbox_run()
    pt = descriptions(account, "pt-BR")
    en = descriptions(account, "en")
    assert "TED enviada para Joao Carlos Pereira (260 NU PAGAMENTOS - IP)" in pt
    assert "Tarifa de TED" in pt
    assert "TED para Joao Carlos Pereira devolvida: agência ou conta inválida" in pt
    assert "Tarifa de TED devolvida" in pt
    assert "TED sent to Joao Carlos Pereira (260 NU PAGAMENTOS - IP)" in en
    text = " ".join(pt + en)
    assert wire.control_number not in text and str(wire.pk) not in text.split()


@time_machine.travel(IN_WINDOW, tick=False)
def test_seed_str_is_idempotent_and_simulate_inbound_ted_credits_by_email():
    call_command("seed_str", stdout=io.StringIO())
    call_command("seed_str", stdout=io.StringIO())
    assert StrBankAccount.objects.count() == 5
    account = ted_sender(0)
    out = io.StringIO()
    call_command(
        "simulate_inbound_ted",
        to=account.customer.user.email,
        amount="150.00",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert out.getvalue().startswith("STR")
    assert balance_of(account.pk)[0] == 15_000
    assert descriptions(account, "pt-BR")[0].startswith("TED recebida de ")
    with pytest.raises(CommandError, match="reason 3"):
        call_command(
            "simulate_inbound_ted",
            branch=account.branch,
            account=account.number,
            tax_id="52998224725",
            amount="1.00",
            stdout=io.StringIO(),
        )
    assert InboundWire.objects.filter(state="returned").count() == 1
