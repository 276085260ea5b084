"""Each monitoring rule against movements seeded on the real ledger, parameter edits taking
effect, deduplication (extend, not duplicate), judged movements not coming back, the SLA.

Inside one test transaction every posting has the same created_at (PostgreSQL's now() is the
transaction's start), which is what windows in days need; the velocity test needs distinct
times and runs transactionally (test_monitoring_concurrency.py).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts import services as accounts
from apps.core.errors import ValidationFailed
from apps.monitoring import services
from apps.monitoring.models import Alert, CoafReport, MonitoringRule
from tests.support.monitoring import (
    alerts_of,
    drain_all,
    funded_account,
    officer,
    only_rules,
    set_params,
    transfer,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_celery_kick(settings):
    settings.OUTBOX_KICK_ON_COMMIT = False


def evaluate(account, *codes):
    return services.monitoring_evaluate_customer(
        customer_id=account.customer_id, codes=list(codes) or None
    )


# --- structuring ----------------------------------------------------------------------


def test_structuring_needs_enough_operations_in_the_band_and_follows_its_parameters():
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    transfer(payer, payee, 950_000)
    transfer(payer, payee, 960_000)
    transfer(payer, payee, 500_000)  # far below the band: not structuring
    transfer(payer, payee, 1_000_000)  # at the threshold: reported anyway, not structuring
    assert evaluate(payer) == []

    set_params("structuring", min_count=2)  # an officer's edit takes effect at once
    (alert,) = evaluate(payer)
    assert alert.rule.code == "structuring"
    assert sorted(m["amount"] for m in alert.evidence["movements"]) == [-960_000, -950_000]

    set_params("structuring", threshold_cents=1_000_001, min_count=3)
    assert evaluate(payer) == [alert]  # same pattern: the open alert grows, no new one
    alert.refresh_from_db()
    assert len(alert.evidence["movements"]) == 3


def test_a_further_operation_extends_the_open_alert_and_a_rerun_changes_nothing():
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    for cents in (910_000, 920_000, 930_000):
        transfer(payer, payee, cents)
    drain_all()
    alert = alerts_of(payer, "structuring").get()
    versions = alert.history.count()
    evaluate(payer)  # a re-delivered message / the daily batch: nothing new
    alert.refresh_from_db()
    assert alert.history.count() == versions
    assert len(alert.evidence["movements"]) == 3

    transfer(payer, payee, 940_000)
    drain_all()
    assert alerts_of(payer, "structuring").count() == 1
    alert.refresh_from_db()
    assert len(alert.evidence["movements"]) == 4
    assert alert.history.count() == versions + 1


def test_dismissed_movements_do_not_reopen_but_a_new_pattern_does():
    only_rules("structuring")
    payer, payee = funded_account(6_000_000), funded_account(0)
    for cents in (910_000, 920_000, 930_000):
        transfer(payer, payee, cents)
    drain_all()
    alert = alerts_of(payer, "structuring").get()
    ana = officer()
    services.alert_transition(alert=alert, name="start_analysis", actor=ana)
    with pytest.raises(ValidationFailed):  # a decision needs its reason
        services.alert_transition(alert=alert, name="dismiss", actor=ana, reason="  ")
    services.alert_transition(alert=alert, name="dismiss", actor=ana, reason="salary split")
    assert evaluate(payer) == []  # the judged postings stay judged
    for cents in (950_000, 960_000, 970_000):
        transfer(payer, payee, cents)
    (fresh,) = evaluate(payer)
    assert fresh.pk != alert.pk and fresh.state == Alert.State.OPEN
    assert len(fresh.evidence["movements"]) == 3


def test_a_disabled_rule_does_not_run():
    only_rules()
    payer, payee = funded_account(5_000_000), funded_account(0)
    for cents in (910_000, 920_000, 930_000):
        transfer(payer, payee, cents)
    assert evaluate(payer) == []
    MonitoringRule.objects.filter(code="structuring").update(enabled=True)
    assert len(evaluate(payer)) == 1


# --- pass-through ---------------------------------------------------------------------


def test_pass_through_money_in_and_out_within_hours():
    only_rules("pass_through")
    mule, destination = funded_account(0), funded_account(0)
    accounts.deposit(account_id=mule.pk, amount_cents=2_000_000, description="Pix in")
    transfer(mule, destination, 1_700_000)
    (alert,) = evaluate(mule)
    assert alert.evidence["facts"]["inflow"] == 2_000_000
    assert alert.evidence["facts"]["outflow"] == 1_700_000
    assert len(alert.evidence["movements"]) == 2

    saver = funded_account(0)
    accounts.deposit(account_id=saver.pk, amount_cents=2_000_000, description="salary")
    transfer(saver, destination, 500_000)  # 25% leaves: normal spending
    assert evaluate(saver) == []
    set_params("pass_through", min_out_ratio=0.2)
    assert len(evaluate(saver)) == 1


# --- many-to-one / one-to-many --------------------------------------------------------


def test_many_to_one_counts_distinct_payers():
    only_rules("many_to_one")
    set_params("many_to_one", min_counterparties=4)
    hub = funded_account(0)
    payers = [funded_account(100_000) for _ in range(4)]
    for payer in payers[:3]:
        transfer(payer, hub, 50_000)
        transfer(payer, hub, 10_000)  # the same payer twice is one counterparty
    assert evaluate(hub) == []
    transfer(payers[3], hub, 50_000)
    (alert,) = evaluate(hub)
    assert len(alert.evidence["facts"]["counterparties"]) == 4
    assert alert.evidence["facts"]["total"] == 4 * 50_000 + 3 * 10_000


def test_one_to_many_counts_distinct_payees():
    only_rules("one_to_many")
    set_params("one_to_many", min_counterparties=3, min_amount_cents=20_000)
    source = funded_account(1_000_000)
    payees = [funded_account(0) for _ in range(3)]
    transfer(source, payees[0], 30_000)
    transfer(source, payees[1], 30_000)
    transfer(source, payees[2], 10_000)  # below min_amount_cents: not counted
    assert evaluate(source) == []
    transfer(source, payees[2], 25_000)
    (alert,) = evaluate(source)
    assert len(alert.evidence["facts"]["counterparties"]) == 3


# --- income ---------------------------------------------------------------------------


def test_income_rule_compares_with_the_declared_monthly_income():
    from apps.kyc.services import kyc_request_create

    only_rules("income")
    set_params("income", window_days=30, multiple=3)
    account = funded_account(0)
    accounts.deposit(account_id=account.pk, amount_cents=1_000_000, description="in")
    assert evaluate(account) == []  # no declared income: the rule has nothing to compare
    kyc_request_create(
        customer=account.customer,
        target_level=1,
        declared_name=account.customer.full_name,
        monthly_income_cents=300_000,  # R$ 3.000 a month: 3x is R$ 9.000
    )
    (alert,) = evaluate(account)
    assert alert.evidence["facts"] == {"received": 1_000_000, "declared_monthly_income": 300_000}
    set_params("income", multiple=4)
    assert services.monitoring_evaluate_customer(customer_id=account.customer_id) == []


# --- cash-equivalent ------------------------------------------------------------------


def test_cash_at_or_above_50k_opens_an_automatic_coaf_communication_per_operation():
    only_rules("cash")
    account = funded_account(0)
    accounts.deposit(
        account_id=account.pk, amount_cents=4_999_999, description="cash", kind="cash_deposit"
    )
    accounts.deposit(account_id=account.pk, amount_cents=9_000_000, description="Pix in")
    drain_all()
    assert not alerts_of(account, "cash").exists()  # under R$ 50.000, or not cash

    first = accounts.deposit(
        account_id=account.pk, amount_cents=5_000_000, description="cash", kind="cash_deposit"
    )
    second = accounts.deposit(
        account_id=account.pk, amount_cents=7_500_000, description="cash", kind="cash_deposit"
    )
    drain_all()
    alerts = list(alerts_of(account, "cash").order_by("pk"))
    assert [a.evidence["movements"][0]["entry_id"] for a in alerts] == [first, second]
    for alert in alerts:
        assert alert.state == Alert.State.ESCALATED
        report = alert.coaf_reports.get()
        assert report.automatic and report.prepared_by is None
        assert report.state == CoafReport.State.DRAFT  # still needs an officer
        assert report.data["tipo_comunicacao"] == "COE"
        assert report.due_by > timezone.localdate()
    drain_all()
    evaluate(account)
    assert alerts_of(account, "cash").count() == 2  # re-runs add nothing

    approved = services.coaf_report_approve(report=alerts[0].coaf_reports.get(), actor=officer())
    assert approved.state == CoafReport.State.FINALIZED


def test_next_business_day_skips_weekends_and_b3_holidays():
    from datetime import date

    assert services.next_business_day(date(2026, 11, 20)) == date(2026, 11, 23)  # Fri -> Mon
    assert services.next_business_day(date(2026, 2, 13)) == date(2026, 2, 18)  # Carnival


# --- parameters and SLA ---------------------------------------------------------------


def test_parameter_validation_refuses_unknown_names_and_bad_values():
    with pytest.raises(ValidationFailed):
        services.rule_parameters_validate(code="structuring", parameters={"nope": 1})
    with pytest.raises(ValidationFailed):
        services.rule_parameters_validate(code="structuring", parameters={"min_count": -1})
    with pytest.raises(ValidationFailed):
        services.rule_parameters_validate(code="structuring", parameters={"min_count": "3"})
    with pytest.raises(ValidationFailed):
        services.rule_parameters_validate(code="structuring", parameters=[1])
    assert services.rule_parameters_validate(
        code="cash", parameters={"kinds": ["cash_deposit"]}
    ) == {"kinds": ["cash_deposit"]}


def test_sla_is_45_days_from_detection_and_overdue_after():
    only_rules("structuring")
    payer, payee = funded_account(5_000_000), funded_account(0)
    for cents in (910_000, 920_000, 930_000):
        transfer(payer, payee, cents)
    (alert,) = evaluate(payer)
    assert alert.sla_due_at == alert.detected_at + timedelta(days=45)
    assert alert.sla_days_left == 45 and not alert.is_overdue
    Alert.objects.filter(pk=alert.pk).update(
        detected_at=timezone.now() - timedelta(days=50),
        sla_due_at=timezone.now() - timedelta(days=5),
    )
    alert.refresh_from_db()
    assert alert.is_overdue and alert.sla_days_left == -5
