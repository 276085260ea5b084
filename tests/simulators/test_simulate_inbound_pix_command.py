"""`manage.py simulate_inbound_pix`: the SPI simulator delivers a Pix from another PSP to one
of our customers, through our real inbound handler; the endToEndId is printed."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.accounts.models import Account, JournalEntry
from apps.core.fsm import apply_transition
from apps.core.money import cents_to_str
from apps.pix.charges import services as charges
from apps.pix.codecs.keys import KeyType
from apps.pix.keys import services as pix_services
from apps.pix.models import PixCharge, PixTransfer
from apps.simulators.models import SpiSimulatedMessage
from tests.factories.ledger import balance_of, funded_account
from tests.support.pix_keys import ITAU, person
from tests.support.processes import subprocess_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fast_spi(settings):
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0


def simulate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("simulate_inbound_pix", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def customer_account(name: str = "Ana Clara Souza", balance: int = 0) -> Account:
    return funded_account(balance, customer=person(name))


@pytest.mark.django_db
def test_a_pix_to_one_of_our_keys_is_credited_and_its_id_printed():
    account = customer_account()
    key = pix_services.key_register(account=account, key_type=KeyType.EVP).key

    out, err = simulate("--to", key, "--amount", "150.00", "--payer-name", "Bruno Dias Rocha")

    end_to_end_id = out.strip()
    assert out.count("\n") == 1  # one line: the id, for scripts
    transfer = PixTransfer.objects.get(end_to_end_id=end_to_end_id)
    assert transfer.direction == PixTransfer.Direction.IN
    assert transfer.state == PixTransfer.State.SETTLED
    assert transfer.account == account and transfer.amount == 15_000
    assert transfer.counterparty_key == key and transfer.initiation == "DICT"
    assert transfer.counterparty_name == "Bruno Dias Rocha"
    assert transfer.counterparty_ispb != django_settings.ATHENA_ISPB
    assert balance_of(account.pk) == (15_000, 15_000)
    assert JournalEntry.objects.get(pk=transfer.credit_entry_id).kind == "pix_in"
    message = SpiSimulatedMessage.objects.get(end_to_end_id=end_to_end_id)
    assert message.direction == "INBOUND" and message.status == "ACCC"  # settled at the SPI
    assert "R$ 150,00" in err and end_to_end_id in err


@pytest.mark.django_db
def test_a_pix_to_a_customers_email_names_the_account_without_a_key():
    account = customer_account("Pedro Henrique Lima")
    email = account.customer.user.email

    out, _err = simulate("--to", email.upper(), "--amount", "12,5", "--payer-ispb", ITAU)

    transfer = PixTransfer.objects.get(end_to_end_id=out.strip())
    assert transfer.account == account and transfer.amount == 1_250
    assert transfer.initiation == "MANU" and transfer.counterparty_key == ""
    assert transfer.counterparty_ispb == ITAU


@pytest.mark.django_db
def test_a_pix_with_a_txid_pays_the_charge_by_its_qr_code():
    account = customer_account("Mercado Bom Preco Alves")
    key = pix_services.key_register(account=account, key_type=KeyType.EVP).key
    charge, _ = charges.charge_create(
        customer=account.customer, kind="cob", data=charges.ChargeInput(key=key, amount=4_990)
    )

    out, err = simulate(
        "--to", account.customer.user.email, "--amount", "49.90", "--txid", charge.txid
    )

    transfer = PixTransfer.objects.get(end_to_end_id=out.strip())
    assert transfer.initiation == "QRDN" and transfer.tx_id == charge.txid
    assert transfer.counterparty_key == key  # the charge's key, as the QR code carries it
    charge.refresh_from_db()
    assert charge.status == PixCharge.Status.CONCLUIDA and transfer.charge == charge
    assert charge.txid in err


@pytest.mark.django_db
def test_a_pix_we_refuse_fails_and_stays_rejected_at_the_spi():
    account = customer_account("Rita de Cassia Moura")
    key = pix_services.key_register(account=account, key_type=KeyType.EVP).key
    charge, _ = charges.charge_create(
        customer=account.customer, kind="cob", data=charges.ChargeInput(key=key, amount=4_990)
    )
    with pytest.raises(CommandError, match="RJCT AM09"):
        simulate("--to", key, "--amount", "10.00", "--txid", charge.txid)
    rejected = SpiSimulatedMessage.objects.get(direction="INBOUND", amount_cents=1_000)
    assert rejected.status == "RJCT" and rejected.reason == "AM09"
    assert not PixTransfer.objects.filter(account=account).exists()
    assert balance_of(account.pk) == (0, 0)

    apply_transition(account, "block", by="test", reason="fraud suspicion")
    with pytest.raises(CommandError, match="RJCT AC06"):
        simulate("--to", key, "--amount", "10.00")
    assert balance_of(account.pk) == (0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "nobody@nowhere.example", "--amount", "1.00"], "neither an active Pix key"),
        (["--to", "+5511987654321", "--amount", "1.00"], "neither an active Pix key"),
        (["--to", "", "--amount", "1.00"], "neither an active Pix key"),
        (["--to", "{email}", "--amount", "abc"], "--amount"),
        (["--to", "{email}", "--amount", "0"], "--amount"),
        (["--to", "{email}", "--amount", "-5.00"], "--amount"),
        (["--to", "{email}", "--amount", "1.234"], "--amount"),
        (["--to", "{email}", "--amount", "1.00", "--txid", "nope"], "no charge with this txid"),
        (["--to", "{email}", "--amount", "1.00", "--payer-ispb", "{ours}"], "--payer-ispb"),
        (["--to", "{email}", "--amount", "1.00", "--payer-ispb", "99999999"], "--payer-ispb"),
    ],
)
def test_bad_input_is_refused_and_nothing_moves(args, message):
    account = customer_account("Joaquim Barbosa Neto")
    values = {"email": account.customer.user.email, "ours": django_settings.ATHENA_ISPB}
    messages_before = SpiSimulatedMessage.objects.count()
    with pytest.raises(CommandError, match=message):
        simulate(*(a.format(**values) for a in args))
    assert SpiSimulatedMessage.objects.count() == messages_before
    assert not PixTransfer.objects.exists()
    assert balance_of(account.pk) == (0, 0)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cents=st.integers(min_value=1, max_value=10**10))
def test_the_amount_typed_is_the_amount_credited(cents):
    account = customer_account("Sofia Ribeiro Gomes")
    out, _ = simulate("--to", account.customer.user.email, "--amount", cents_to_str(cents))
    transfer = PixTransfer.objects.get(end_to_end_id=out.strip())
    assert transfer.amount == cents
    assert balance_of(account.pk)[0] == cents


@pytest.mark.django_db(transaction=True)
def test_the_command_line_prints_only_the_end_to_end_id():
    account = customer_account("Valeria Cardoso Melo")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "simulate_inbound_pix",
            "--to",
            account.customer.user.email,
            "--amount",
            "150.00",
        ],
        cwd=ROOT,
        # The customer's "Pix received" e-mail would go to stdout with the console backend.
        env=subprocess_env(
            PIX_SPI_LATENCY_MS="0,0",
            LOG_LEVEL="WARNING",
            EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    # Logs are JSON lines on stdout too (LOG_LEVEL): the command's answer is its plain line.
    plain = [line for line in result.stdout.splitlines() if not line.startswith("{")]
    assert len(plain) == 1, result.stdout
    end_to_end_id = plain[0].strip()
    assert re.fullmatch(r"E[0-9]{8}[0-9]{12}[A-Za-z0-9]{11}", end_to_end_id), result.stdout
    assert PixTransfer.objects.get(end_to_end_id=end_to_end_id).amount == 15_000
    assert balance_of(account.pk)[0] == 15_000

    refused = subprocess.run(
        [sys.executable, "manage.py", "simulate_inbound_pix", "--to", "x", "--amount", "1.00"],
        cwd=ROOT,
        env=subprocess_env(LOG_LEVEL="WARNING"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0 and refused.stdout == ""
    assert "neither an active Pix key" in refused.stderr
