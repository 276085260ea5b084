"""Acceptance: "A structuring pattern seeded by a test opens one alert (not one per
operation) with its evidence; an officer escalates it, a second officer approves, the COAF
communication is produced and can no longer be edited" - also at the database level.

Everything runs on the real ledger and the real outbox: the movements are posted with the
accounts services, and draining the outbox runs the monitoring handler as production does.
"""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction

from apps.core.errors import Conflict, Forbidden
from apps.monitoring import services
from apps.monitoring.models import Alert, CoafReport
from tests.support.monitoring import (
    alerts_of,
    drain_all,
    funded_account,
    officer,
    only_rules,
    transfer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_celery_kick(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False


def test_structuring_one_alert_escalated_approved_by_a_second_officer_and_immutable():
    only_rules("structuring")
    payer = funded_account(10_000_000)
    payee = funded_account(0)
    drain_all()
    amounts = [950_000, 920_000, 999_999]  # each just under R$ 10.000
    entry_ids = [transfer(payer, payee, cents) for cents in amounts]
    drain_all()  # one outbox message per movement: the handler runs three times

    alerts = alerts_of(payer, "structuring")
    assert alerts.count() == 1  # one pattern, one alert - not one per operation
    alert = alerts.get()
    evidence = alert.evidence["movements"]
    assert sorted(m["entry_id"] for m in evidence) == sorted(entry_ids)
    assert sorted(m["amount"] for m in evidence) == sorted(-a for a in amounts)
    assert alert.evidence["total_amount"] == sum(amounts)
    assert all(m["created_at"] for m in evidence)
    assert alert.state == Alert.State.OPEN
    assert (alert.sla_due_at - alert.detected_at).days == 45

    first, second = officer(full_name="Ana Compliance"), officer(full_name="Bruno Compliance")
    services.alert_transition(alert=alert, name="start_analysis", actor=first)
    services.alert_transition(
        alert=alert, name="escalate", actor=first, reason="Three transfers just under R$ 10k"
    )
    report = services.coaf_report_prepare(
        alert=alert, actor=first, reasoning="Fracionamento para evitar o limite de R$ 10.000."
    )
    assert report.state == CoafReport.State.DRAFT
    assert bytes(report.document).startswith(b"%PDF")
    data = report.data
    assert data["comunicante"]["ispb"]
    assert data["envolvidos"][0]["cpf_cnpj"] == payer.customer.tax_id
    assert payee.customer.tax_id in [p["cpf_cnpj"] for p in data["envolvidos"]]
    assert sorted(op["valor_centavos"] for op in data["operacoes"]) == sorted(amounts)
    assert data["fundamentacao"].startswith("Fracionamento")
    assert data["data_decisao"]
    assert report.total_amount == sum(amounts)

    with pytest.raises(Forbidden):  # four eyes: the preparer cannot approve
        services.coaf_report_approve(report=report, actor=first)
    report = services.coaf_report_approve(report=report, actor=second)
    assert report.state == CoafReport.State.FINALIZED
    assert report.approved_by == second
    alert.refresh_from_db()
    assert alert.state == Alert.State.REPORTED
    assert bytes(report.document).startswith(b"%PDF")
    assert report.history.count() >= 2

    # Editing through the model raises ...
    report.reasoning = "changed afterwards"
    with pytest.raises(Conflict):
        report.save()
    with pytest.raises(Conflict):
        CoafReport.objects.get(pk=report.pk).delete()
    # ... and the database refuses a raw UPDATE or DELETE too.
    for sql in (
        "UPDATE monitoring_coafreport SET reasoning = 'x' WHERE id = %s",
        "UPDATE monitoring_coafreport SET approved_by_id = NULL WHERE id = %s",
        "DELETE FROM monitoring_coafreport WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [report.pk])
    stored = CoafReport.objects.get(pk=report.pk)
    assert stored.reasoning.startswith("Fracionamento")

    # Recording the SISCOAF protocol is the one change allowed, once.
    services.coaf_report_mark_sent(report=stored, protocol="SISCOAF-2026-000123", actor=second)
    stored.refresh_from_db()
    assert stored.protocol == "SISCOAF-2026-000123" and stored.sent_at is not None
    with pytest.raises(Conflict):
        services.coaf_report_mark_sent(report=stored, protocol="again", actor=second)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE monitoring_coafreport SET protocol = 'x' WHERE id = %s", [stored.pk])
    assert json.loads(json.dumps(stored.data))["alerta"] == alert.pk


def test_draft_report_can_be_changed_and_a_second_report_is_refused():
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    for cents in (910_000, 930_000, 940_000):
        transfer(payer, payee, cents)
    drain_all()
    alert = alerts_of(payer, "structuring").get()
    ana = officer()
    with pytest.raises(Conflict):  # not escalated yet
        services.coaf_report_prepare(alert=alert, actor=ana, reasoning="x")
    services.alert_transition(alert=alert, name="start_analysis", actor=ana)
    services.alert_transition(alert=alert, name="escalate", actor=ana, reason="suspicious")
    report = services.coaf_report_prepare(alert=alert, actor=ana, reasoning="first draft")
    report.reasoning = "second draft"
    report.save()  # a draft is still work in progress
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE monitoring_coafreport SET reasoning = 'third' WHERE id = %s", [report.pk]
        )
    with pytest.raises(Conflict):
        services.coaf_report_prepare(alert=alert, actor=ana, reasoning="again")
