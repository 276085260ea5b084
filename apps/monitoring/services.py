"""Writes of transaction monitoring: evaluating rules, alerts, notes, holds, COAF reports.

Every function is one transaction; officers' writes check the permission themselves (the
admin is not the only caller) and are audited.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import holidays
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Account, Customer, Hold
from apps.core.audit import Action, record_event
from apps.core.errors import Conflict, Forbidden, ValidationFailed
from apps.core.fsm import apply_transition

from .models import Alert, AlertNote, CoafReport, MonitoringRule
from .rules import Hit, RuleContext, rules

logger = logging.getLogger(__name__)

QUEUE_GROUP = "compliance.queue"
SYSTEM = "monitoring"


# --- Rules ----------------------------------------------------------------------------


def monitoring_rules_ensure() -> list[MonitoringRule]:
    """The rows of the rules of code, created with their default parameters when missing."""
    rows = []
    for code, spec in rules().items():
        row, _created = MonitoringRule.objects.get_or_create(
            code=code,
            defaults={
                "name": str(spec.name),
                "description": str(spec.description),
                "parameters": dict(spec.defaults),
            },
        )
        rows.append(row)
    return rows


def rule_parameters(rule: MonitoringRule) -> dict[str, Any]:
    """Defaults of the code overlaid with what compliance set: a parameter added to the code
    later works before anyone edits the row."""
    return {**rules()[rule.code].defaults, **(rule.parameters or {})}


def rule_parameters_validate(*, code: str, parameters: Any) -> dict[str, Any]:
    """Refuse parameters a rule cannot run with (the admin form calls this)."""
    spec = rules().get(code)
    if spec is None:
        raise ValidationFailed(_("Unknown rule code."), field="code")
    if not isinstance(parameters, dict):
        raise ValidationFailed(_("Parameters must be a JSON object."), field="parameters")
    unknown = sorted(set(parameters) - set(spec.defaults))
    if unknown:
        raise ValidationFailed(
            _("Unknown parameters: %(names)s.") % {"names": ", ".join(unknown)},
            field="parameters",
        )
    for name, value in parameters.items():
        default = spec.defaults[name]
        if isinstance(default, list):
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        if not ok:
            raise ValidationFailed(
                _("Invalid value for %(name)s.") % {"name": name}, field="parameters"
            )
    return parameters


def declared_monthly_income(customer: Customer) -> int | None:
    """The monthly income the customer declared in their latest KYC request (apps.kyc),
    approved requests first; None when they never declared one."""
    try:
        from apps.kyc import selectors as kyc_selectors
    except ImportError:
        return None
    requests = kyc_selectors.requests_of_customer(customer=customer).filter(
        monthly_income_cents__gt=0
    )
    approved = requests.filter(state="approved").order_by("-decided_at", "-pk").first()
    latest = approved or requests.order_by("-created_at", "-pk").first()
    return latest.monthly_income_cents if latest else None


# --- Evaluation -----------------------------------------------------------------------


def _judged_posting_ids(rule: MonitoringRule, customer_id: int) -> frozenset[int]:
    ids: set[int] = set()
    for evidence in (
        Alert.objects.filter(rule=rule, customer_id=customer_id)
        .exclude(state__in=Alert.ACTIVE_STATES)
        .values_list("evidence", flat=True)
    ):
        ids.update(m["posting_id"] for m in (evidence or {}).get("movements", []))
    return frozenset(ids)


def monitoring_evaluate_customer(
    *, customer_id: int, now: datetime | None = None, codes: list[str] | None = None
) -> list[Alert]:
    """Run the enabled rules over one customer's recent movements; returns the alerts
    opened or extended. Idempotent: the same movements extend the same alert."""
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        return []
    now = now or timezone.now()
    specs = rules()
    if MonitoringRule.objects.count() < len(specs):  # a fresh database, or a rule just added
        monitoring_rules_ensure()
    alerts: list[Alert] = []
    income = None
    income_read = False
    for rule in MonitoringRule.objects.filter(enabled=True, code__in=list(specs)):
        if codes is not None and rule.code not in codes:
            continue
        if rule.code == "income" and not income_read:
            income, income_read = declared_monthly_income(customer), True
        ctx = RuleContext(
            customer=customer,
            now=now,
            excluded_posting_ids=_judged_posting_ids(rule, customer.pk),
            declared_monthly_income=income,
        )
        outcome = specs[rule.code].function(ctx, rule_parameters(rule))
        hits = outcome if isinstance(outcome, list) else [outcome] if outcome else []
        for hit in hits:
            alerts.append(alert_raise(rule=rule, customer=customer, hit=hit))
    return alerts


def _evidence(hit: Hit, previous: dict | None = None) -> dict[str, Any]:
    movements = {m["posting_id"]: m for m in (previous or {}).get("movements", [])}
    for movement in hit.movements:
        movements.setdefault(movement.posting_id, movement.as_evidence())
    ordered = sorted(movements.values(), key=lambda m: (m["created_at"], m["posting_id"]))
    return {
        "summary": hit.summary,
        "facts": hit.facts,
        "movements": ordered,
        "total_amount": sum(abs(m["amount"]) for m in ordered),
        "evaluations": (previous or {}).get("evaluations", 0) + 1,
    }


def _main_account_id(hit: Hit) -> int | None:
    return hit.movements[-1].account_id if hit.movements else None


@transaction.atomic
def alert_raise(*, rule: MonitoringRule, customer: Customer, hit: Hit) -> Alert:
    """Open an alert for a hit, or extend the active alert of the same pattern.

    The partial unique index on dedup_key decides races: of two concurrent hits one inserts,
    the other waits for it, fails, and extends the row the first one committed.
    """
    key = f"{rule.code}:{customer.pk}" + (f":{hit.dedup_suffix}" if hit.dedup_suffix else "")
    existing = _active_alert_for_update(key)
    if existing is None:
        try:
            with transaction.atomic():
                alert = Alert.objects.create(
                    rule=rule,
                    customer=customer,
                    account_id=_main_account_id(hit),
                    dedup_key=key,
                    risk_score=hit.score,
                    summary=hit.summary[:300],
                    evidence=_evidence(hit),
                )
        except IntegrityError:
            existing = _active_alert_for_update(key)
            if existing is None:  # the other one was closed meanwhile: a fresh pattern
                raise
        else:
            _on_alert_created(alert, hit)
            return alert
    return _alert_extend(existing, hit)


def _active_alert_for_update(key: str) -> Alert | None:
    return (
        Alert.objects.select_for_update()
        .filter(dedup_key=key, state__in=Alert.ACTIVE_STATES)
        .first()
    )


def _alert_extend(alert: Alert, hit: Hit) -> Alert:
    evidence = _evidence(hit, alert.evidence)
    known = {m["posting_id"] for m in alert.evidence.get("movements", [])}
    if known == {m["posting_id"] for m in evidence["movements"]}:
        return alert  # a re-delivered message or a batch re-run: nothing new to record
    alert.evidence = evidence
    alert.summary = hit.summary[:300]
    alert.risk_score = max(alert.risk_score, hit.score)
    alert._change_reason = "evidence extended"
    alert.save(update_fields=["evidence", "summary", "risk_score", "updated_at"])
    return alert


def _on_alert_created(alert: Alert, hit: Hit) -> None:
    record_event(
        Action.BUSINESS,
        obj=alert,
        actor_label=SYSTEM,
        detail={"event": "monitoring.alert_opened", "rule": alert.rule.code},
    )
    if hit.automatic_coaf:
        # Art. 49 communications need no analysis of suspicion, only the officers' approval.
        apply_transition(alert, "start_analysis", by=SYSTEM, reason="automatic communication")
        apply_transition(alert, "escalate", by=SYSTEM, reason=hit.summary)
        coaf_report_prepare(alert=alert, actor=None, reasoning=hit.summary, automatic=True)
    transaction.on_commit(lambda: _notify_queue(alert.pk))


def _notify_queue(alert_id: int) -> None:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    alert = Alert.objects.select_related("rule", "customer").filter(pk=alert_id).first()
    if layer is None or alert is None:
        return
    try:
        async_to_sync(layer.group_send)(
            QUEUE_GROUP,
            {
                "type": "alert.created",
                "alert_id": alert.pk,
                "rule": alert.rule.code,
                "customer": alert.customer.full_name,
                "risk_score": alert.risk_score,
                "summary": alert.summary,
            },
        )
    except Exception:  # a missing live banner must never undo a committed alert
        logger.warning("could not push alert %s to the queue", alert_id, exc_info=True)


def monitoring_run_batch(*, now: datetime | None = None, days: int = 1) -> int:
    """The daily batch: every customer that moved money in the last `days` days."""
    now = now or timezone.now()
    customer_ids = (
        Account.objects.filter(
            kind=Account.Kind.CUSTOMER, postings__created_at__gte=now - timedelta(days=days)
        )
        .values_list("customer_id", flat=True)
        .distinct()
    )
    count = 0
    for customer_id in customer_ids:
        count += len(monitoring_evaluate_customer(customer_id=customer_id, now=now))
    return count


# --- Officers' work on alerts ---------------------------------------------------------


def _require(actor: Any, perm: str) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm(perm):
        raise Forbidden(_("Only compliance officers may do this."))


def _locked_alert(alert: Alert) -> Alert:
    return Alert.objects.select_for_update().get(pk=alert.pk)


@transaction.atomic
def alert_assign(*, alert: Alert, officer, actor) -> Alert:
    _require(actor, "monitoring.change_alert")
    if officer is not None and not officer.has_perm("monitoring.change_alert"):
        raise ValidationFailed(_("Alerts go to compliance officers only."), field="assigned_to")
    alert = _locked_alert(alert)
    alert.assigned_to = officer
    alert._change_reason = f"assigned to {officer}"
    alert.save(update_fields=["assigned_to", "updated_at"])
    return alert


@transaction.atomic
def alert_transition(*, alert: Alert, name: str, actor, reason: str = "") -> Alert:
    """start_analysis, dismiss, escalate: deciding needs a reason (it is the record)."""
    _require(actor, "monitoring.change_alert")
    if name not in ("start_analysis", "dismiss", "escalate"):
        raise ValidationFailed(_("Unknown action."), field="action")
    if name in ("dismiss", "escalate") and not reason.strip():
        raise ValidationFailed(_("Give the reason for the decision."), field="reason")
    alert = _locked_alert(alert)
    apply_transition(alert, name, by=actor, reason=reason.strip())
    record_event(
        Action.BUSINESS,
        actor=actor,
        obj=alert,
        detail={"event": f"monitoring.alert_{name}", "reason": reason[:500]},
    )
    return alert


@transaction.atomic
def alert_note_add(*, alert: Alert, author, text: str) -> AlertNote:
    _require(author, "monitoring.change_alert")
    text = text.strip()
    if not text:
        raise ValidationFailed(_("The note is empty."), field="text")
    return AlertNote.objects.create(alert=alert, author=author, text=text[:5000])


@transaction.atomic
def alert_hold_place(*, alert: Alert, amount_cents: int, actor, reason: str) -> Hold:
    """A cautionary block on the alert's account (or the customer's first active account)."""
    from apps.accounts.services import hold_place

    _require(actor, "monitoring.change_alert")
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValidationFailed(_("Amount must be greater than zero."), field="amount")
    if not reason.strip():
        raise ValidationFailed(_("Give the reason for the block."), field="reason")
    account_id = alert.account_id or (
        Account.objects.filter(customer_id=alert.customer_id, kind=Account.Kind.CUSTOMER)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if account_id is None:
        raise ValidationFailed(_("The customer has no account to block."), field="account")
    hold = hold_place(
        account_id=account_id,
        amount_cents=amount_cents,
        reason=f"monitoring alert {alert.pk}: {reason}"[:200],
        reference_type="monitoring_alert",
        reference_id=str(alert.pk),
        actor=actor,
    )
    record_event(
        Action.BUSINESS,
        actor=actor,
        obj=alert,
        detail={
            "event": "monitoring.cautionary_block",
            "hold_id": hold.pk,
            "account_id": account_id,
            "amount": amount_cents,
            "reason": reason[:500],
        },
    )
    AlertNote.objects.create(
        alert=alert, author=actor, text=_("Cautionary block placed: %(r)s") % {"r": reason}
    )
    return hold


# --- COAF communications --------------------------------------------------------------


def next_business_day(day: date) -> date:
    """The first B3 business day after `day` (the art. 49 deadline)."""
    day += timedelta(days=1)
    while day.weekday() >= 5 or day in holidays.financial_holidays("BVMF", years=day.year):
        day += timedelta(days=1)
    return day


@transaction.atomic
def coaf_report_prepare(
    *, alert: Alert, actor, reasoning: str = "", automatic: bool = False
) -> CoafReport:
    """Build the SISCOAF communication of an escalated alert and render its PDF."""
    from .coaf import build_siscoaf_data, render_pdf

    if actor is not None:
        _require(actor, "monitoring.add_coafreport")
    alert = _locked_alert(alert)
    if alert.state != Alert.State.ESCALATED:
        raise Conflict(_("Only an escalated alert is communicated to COAF."))
    if alert.coaf_reports.exists():
        raise Conflict(_("This alert already has a COAF communication."))
    reasoning = (reasoning or alert.decision_reason or alert.summary).strip()
    if not reasoning:
        raise ValidationFailed(_("Give the reasoning of the communication."), field="reasoning")
    decided = timezone.localdate(alert.decided_at or timezone.now())
    data = build_siscoaf_data(alert=alert, reasoning=reasoning, decided_on=decided)
    operations = data["operacoes"]
    dates = sorted(op["data"][:10] for op in operations)
    report = CoafReport(
        alert=alert,
        automatic=automatic,
        parties=data["envolvidos"],
        operations=operations,
        total_amount=sum(op["valor_centavos"] for op in operations),
        period_start=date.fromisoformat(dates[0]) if dates else None,
        period_end=date.fromisoformat(dates[-1]) if dates else None,
        reasoning=reasoning,
        data=data,
        prepared_by=actor,
        due_by=next_business_day(decided),
    )
    report.document = render_pdf(report)
    report.save()
    record_event(
        Action.BUSINESS,
        actor=actor,
        actor_label="" if actor else SYSTEM,
        obj=report,
        detail={"event": "monitoring.coaf_prepared", "alert": alert.pk, "automatic": automatic},
    )
    return report


@transaction.atomic
def coaf_report_approve(*, report: CoafReport, actor) -> CoafReport:
    """Four eyes: a second officer, not the preparer, finalizes the communication; the alert
    becomes reported. The report is immutable from here on."""
    from .coaf import render_pdf

    _require(actor, "monitoring.approve_coafreport")
    report = CoafReport.objects.select_for_update().get(pk=report.pk)
    if report.is_final:
        raise Conflict(_("This COAF communication is already final."))
    if report.prepared_by_id == actor.pk:
        raise Forbidden(_("The officer who prepared a communication cannot approve it."))
    report.state = CoafReport.State.FINALIZED
    report.approved_by = actor
    report.approved_at = timezone.now()
    report.data = {**report.data, "aprovado_por": actor.get_full_name()}
    report.document = render_pdf(report)
    report._change_reason = "approved"
    report.save()
    alert = _locked_alert(report.alert)
    apply_transition(alert, "mark_reported", by=actor, reason=f"COAF #{report.pk}")
    record_event(
        Action.BUSINESS,
        actor=actor,
        obj=report,
        detail={"event": "monitoring.coaf_approved", "alert": alert.pk},
    )
    return report


@transaction.atomic
def coaf_report_mark_sent(*, report: CoafReport, protocol: str, actor) -> CoafReport:
    """Record, once, the SISCOAF protocol of a finalized communication (the trigger allows
    exactly this change on a final row)."""
    _require(actor, "monitoring.approve_coafreport")
    protocol = protocol.strip()
    if not protocol:
        raise ValidationFailed(_("The SISCOAF protocol is required."), field="protocol")
    report = CoafReport.objects.select_for_update().get(pk=report.pk)
    if not report.is_final:
        raise Conflict(_("Approve the communication before sending it."))
    if report.sent_at is not None:
        raise Conflict(_("This communication was already sent."))
    report.sent_at = timezone.now()
    report.protocol = protocol[:60]
    report._allow_final_write = True
    report._change_reason = "sent"
    report.save(update_fields=["sent_at", "protocol", "updated_at"])
    record_event(
        Action.BUSINESS,
        actor=actor,
        obj=report,
        detail={"event": "monitoring.coaf_sent", "protocol": report.protocol},
    )
    return report
