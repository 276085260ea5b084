"""Acceptance (issue #11): "A dump of the database and the logs of a CI run contain no CPF of
a test customer in clear."

The flows that keep personal data run for real and commit (a Pix to a CPF key at another
PSP through the simulated SPI, a CPF key registered through the API with an idempotent
request whose stored response names the key, a Pix received on that key and notified to a
webhook, a COAF communication naming both parties,
requests with a CPF in the path and in the query string); then `pg_dump --data-only` of the
test database and the JSON log lines those flows wrote are searched for every CPF, bare and
punctuated.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from apps.core.logging import PersonalDataFilter
from apps.core.models import WebhookDelivery
from apps.monitoring import services as monitoring
from apps.monitoring.models import CoafReport
from apps.pix.charges.webhooks import webhook_configure
from apps.pix.models import PixKey, PixTransfer
from apps.simulators.spi.models import SpiSimulatedMessage
from tests.factories.customers import new_cpf
from tests.support import processes
from tests.support.monitoring import (
    alerts_of,
    drain_all,
    funded_account,
    officer,
    only_rules,
    transfer,
)
from tests.support.pix_keys import api_client, idem, person
from tests.support.pix_received import Receiver, receive_pix
from tests.support.pix_transfers import key_elsewhere

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quiet(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False
    settings.PIX_SPI_LATENCY_MS = "0,0"
    settings.PIX_SPI_TIMEOUT_RATE = 0.0
    settings.WEBHOOK_KICK_ON_COMMIT = False


@pytest.fixture
def log_lines():
    """What the configured JSON handler (the one every logger ends in) writes, as text."""
    root = logging.getLogger()
    handlers = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler)
        and any(isinstance(f, PersonalDataFilter) for f in h.filters)
    ]
    assert handlers, "the stdout handler must carry the personal-data filter"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        root.setLevel(level)
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)


def pg_dump() -> str:
    """The pg_dump of the server's major version (or newer): the system one, or the one
    shipped with the embedded server (pgserver)."""
    candidates = [shutil.which("pg_dump")]
    try:
        import pgserver

        candidates.append(str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump"))
    except ImportError:
        pass
    server_major = connection.cursor().connection.info.server_version // 10000
    for candidate in filter(None, candidates):
        if not Path(candidate).exists():
            continue
        version = subprocess.run([candidate, "--version"], capture_output=True, text=True)
        found = re.search(r"(\d+)\.", version.stdout)
        if found and int(found.group(1)) >= server_major:
            return candidate
    pytest.skip("no pg_dump for this server's version")


def dump_database() -> str:
    result = subprocess.run(
        [pg_dump(), "--data-only", "--no-owner", "--dbname", processes.test_database_url()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def spellings(cpf: str) -> set[str]:
    return {cpf, f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"}


def test_no_cpf_in_clear_in_a_database_dump_nor_in_the_logs(log_lines):
    maria = person("Maria Souza Lima")
    joao = person("Joao Carlos Silva")
    maria_account = funded_account(5_000_000, customer=maria)
    joao_account = funded_account(0, customer=joao)
    client = api_client(maria)

    # A CPF key registered through the API: the idempotent request stores its response,
    # which names the key.
    registered = client.post(
        "/api/v1/pix/keys",
        {"account": maria_account.pk, "type": "CPF", "key": maria.tax_id},
        format="json",
        **idem(),
    )
    assert registered.status_code == 201, registered.json()
    assert PixKey.objects.get(customer=maria).key == maria.tax_id

    # A Pix to a CPF key at another PSP, through the simulated DICT and SPI.
    payee_cpf = key_elsewhere()
    sent = client.post(
        "/api/v1/pix/transfers",
        {"account": maria_account.pk, "key": payee_cpf, "amount": "150.00"},
        format="json",
        **idem(),
    )
    assert sent.status_code == 201, sent.json()
    pix = PixTransfer.objects.get(end_to_end_id=sent.json()["end_to_end_id"])
    assert pix.counterparty_key == payee_cpf and payee_cpf in pix.pacs008  # readable by us
    assert SpiSimulatedMessage.objects.filter(end_to_end_id=pix.end_to_end_id).exists()

    # A Pix received on that CPF key, from a payer with a CPF, notified to a webhook (the
    # delivery's payload names the key).
    maria_key = PixKey.objects.get(customer=maria)
    webhook_configure(customer=maria, key=maria.tax_id, url="http://127.0.0.1:9/hooks")
    payer_cpf = new_cpf()
    received = receive_pix(
        Receiver(customer=maria, account=maria_account, key=maria_key),
        2_500,
        payer_tax_id=payer_cpf,
    )
    assert received.counterparty_tax_id == payer_cpf
    drain_all()
    assert WebhookDelivery.objects.get().payload["pix"][0]["chave"] == maria.tax_id

    # A COAF communication naming both customers (structuring between them).
    only_rules("structuring")
    drain_all()
    for cents in (950_000, 920_000, 999_999):
        transfer(maria_account, joao_account, cents)
    drain_all()
    alert = alerts_of(maria_account, "structuring").get()
    first, second = officer(full_name="Ana Compliance"), officer(full_name="Bruno Compliance")
    monitoring.alert_transition(alert=alert, name="start_analysis", actor=first)
    monitoring.alert_transition(alert=alert, name="escalate", actor=first, reason="Structuring")
    report = monitoring.coaf_report_prepare(alert=alert, actor=first, reasoning="Fracionamento.")
    monitoring.coaf_report_approve(report=report, actor=second)
    stored = CoafReport.objects.get(pk=report.pk)
    assert joao.tax_id in [p["cpf_cnpj"] for p in stored.parties]  # readable by us
    assert bytes(stored.document).startswith(b"%PDF")

    # Requests with a CPF in the path and in the query string (4xx and a found one).
    client.get(f"/api/pix/v2/webhook/{maria.tax_id}?cpf={maria.tax_id}")
    client.get(f"/api/v1/pix/transfers?cpf={joao.tax_id}&chave={payee_cpf}")
    client.get(f"/api/v1/pix/keys/lookup/{payee_cpf}?cpf={maria.tax_id}")
    api_client(joao).put(f"/api/pix/v2/webhook/{joao.tax_id}", {}, format="json")
    logging.getLogger("athena.test").warning(
        "a careless line naming %s", maria.tax_id, extra={"document": joao.tax_id}
    )

    cpfs = {maria.tax_id, joao.tax_id, payee_cpf, payer_cpf}
    dump = dump_database()
    assert pix.end_to_end_id in dump and f"\t{stored.pk}\t" in dump  # the rows are there
    found = sorted(s for cpf in cpfs for s in spellings(cpf) if s in dump)
    where = [line[:160] for line in dump.splitlines() if any(s in line for s in found)]
    assert not found, f"CPF in clear in the database dump: {where}"

    logged = log_lines.getvalue()
    lines = [json.loads(line) for line in logged.splitlines() if line.strip()]
    assert any("/api/pix/v2/webhook/" in str(line.get("path")) for line in lines)
    found = sorted(s for cpf in cpfs for s in spellings(cpf) if s in logged)
    assert not found, f"CPF in clear in the logs: {found}"
