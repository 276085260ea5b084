"""MED (Mecanismo Especial de Devolução): infraction reports, cautionary blocks, MED refunds.

Two sides of a report (`InfractionReport.role`):

* REPORTER - our customer contests a Pix they sent (`infraction_report_open`). We report it
  to the DICT; the receiving institution analyses it. For an internal Pix we are the
  receiving institution too: the report is at once also REPORTED against the payee.
* REPORTED - the payer's institution reports a Pix our customer received
  (`infraction_report_received`, delivered by the DICT). What the customer still has of the
  money is blocked at once (cautionary block, up to 72 h) and the report waits in the
  compliance queue. The officer's analysis closes it (`infraction_report_close`): AGREED
  returns what is left to the payer (a `PixRefund` with reason FR01); DISAGREED releases
  the block.

A cautionary block (`cautionary_block_place`) is a ledger hold (it lowers the available
balance) plus its `CautionaryBlock` row; compliance may also place one on suspicion alone
(Resolução BCB nº 147/2021). It ends RELEASED, USED (MED refund) or EXPIRED after 72 h.
The hold carries the same expiry, so whichever beat task runs first (ours,
`cautionary_blocks_expire_due`, or the accounts one, `holds_expire_due`) the outcome is the
same: a receiver below moves a block along whenever its hold ends by other hands (expiry,
the accounts admin's "Release"), in the hold's own transaction.

What is left, on AGREED: min(original amount - refunds already made, available balance +
held by the blocks), computed with the account row locked, so a customer spending the
money meanwhile waits for the refund (or the refund sees what the spending left), and the
account never goes below zero.

Locks, always taken in this order: the Pix (transfer) -> its reports -> holds -> blocks ->
account. The refund service takes transfer -> account, the accounts services hold ->
account, and the hold receiver hold -> block, which all fit.

Every decision of an officer (acknowledge, close, place or release a block) is audited.
The customer hears of blocks, their end and MED refunds by e-mail (outbox topic "pix.med",
apps/pix/med_notifications.py).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm.signals import post_transition

from apps.accounts import services as account_services
from apps.accounts.ledger import InsufficientFunds, Leg, post_entry
from apps.accounts.models import Account, Hold
from apps.core.audit import record_event
from apps.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from apps.core.fsm import InvalidTransition, apply_transition
from apps.core.models import AuditEvent
from apps.core.outbox import publish
from apps.pix import e2e
from apps.pix import med_selectors as selectors
from apps.pix.adapters import dict as dict_api
from apps.pix.adapters import dict_client
from apps.pix.iso20022 import ReturnReason
from apps.pix.models import CautionaryBlock, InfractionReport, PixRefund, PixTransfer
from apps.pix.refunds import _refunded_total, refund_request

logger = logging.getLogger(__name__)

TOPIC = "pix.med"
REPORT_WINDOW = dict_api.INFRACTION_REPORT_WINDOW  # 80 days after the Pix
BLOCK_DURATION = timedelta(hours=CautionaryBlock.MAX_DURATION_HOURS)
DETAILS_MAX = dict_api.INFRACTION_DETAILS_MAX
REASON_MAX = 200

Role = InfractionReport.Role
ReportState = InfractionReport.State
BlockState = CautionaryBlock.State
OPEN_STATES = selectors.OPEN_STATES


class MedNotAllowed(DomainError):
    code = "pix_med_not_allowed"
    title = "Not allowed by the MED rules"


# --- small helpers ---------------------------------------------------------------------------


def _user(actor: Any):
    return actor if getattr(actor, "is_authenticated", False) else None


def _audit(event: str, *, actor: Any, obj, **detail: Any) -> None:
    user = _user(actor)
    record_event(
        AuditEvent.Action.BUSINESS,
        actor=user,
        actor_label="" if user else str(actor or "system"),
        obj=obj,
        detail={"event": event, **detail},
    )


def _notify(event: str, **ids: int) -> None:
    publish(topic=TOPIC, payload={"event": event, **ids})


def _check_situation(situation: object) -> str:
    if situation not in InfractionReport.Situation.values:
        raise ValidationFailed(
            _("Unknown situation; use one of %(choices)s.")
            % {"choices": ", ".join(InfractionReport.Situation.values)},
            field="situation",
            value=str(situation)[:40],
        )
    return situation  # type: ignore[return-value]


# What XML 1.0 (the DICT's documents) and PostgreSQL text cannot carry: control characters
# but tab and line breaks, lone surrogates (JSON can smuggle "\ud800" in), U+FFFE/U+FFFF.
_UNSAYABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _check_text(value: object, *, field: str, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(_("Must be text."), field=field)
    if _UNSAYABLE.search(value):
        raise ValidationFailed(_("Contains characters that are not allowed."), field=field)
    value = value.strip()
    if required and not value:
        raise ValidationFailed(_("This field is required."), field=field)
    if len(value) > max_length:
        raise ValidationFailed(
            _("At most %(n)d characters.") % {"n": max_length}, field=field, value=len(value)
        )
    return value


def _received_at(transfer: PixTransfer) -> datetime:
    return transfer.settled_at or transfer.created_at


def _check_window(transfer: PixTransfer, now: datetime) -> None:
    if now - _received_at(transfer) > REPORT_WINDOW:
        raise MedNotAllowed(_("The MED covers a Pix for 80 days; this one is older."))


def _lock_transfer(transfer: PixTransfer) -> PixTransfer:
    return PixTransfer.objects.select_for_update().get(pk=transfer.pk)


def _lock_case(report: InfractionReport) -> tuple[InfractionReport, PixTransfer]:
    """Lock a report's Pix, then the report: the Pix row is the case's lock (the MED and
    refund services all take it first), so the two rows of an internal Pix's report are
    never taken in opposite orders."""
    transfer = _lock_transfer(report.transfer)
    locked = InfractionReport.objects.select_for_update().get(pk=report.pk)
    locked.transfer = transfer
    return locked, transfer


def _available_locked(account_id: int) -> int:
    """Lock the account row and return its available balance (balance minus holds).

    Debits wait for the lock; credits land in shards without it, so what is read is a
    floor that only grows until commit. Two statements on purpose: a single locking read
    would re-read the row after waiting but keep its older view of the shards, and count a
    concurrent fold twice."""
    list(Account.objects.select_for_update(of=("self",)).filter(pk=account_id).only("pk"))
    account = Account.objects.with_balances().get(pk=account_id)
    return account.total_balance - account.held


def _receiving_account_id(transfer: PixTransfer) -> int:
    account_id = selectors.receiving_account_id(transfer)
    if account_id is None:
        raise MedNotAllowed(_("Only a Pix received by an Athena customer can be blocked."))
    return account_id


def _internal_sibling(report: InfractionReport, *, role: str) -> InfractionReport | None:
    """For an internal Pix our rows REPORTER and REPORTED mirror one DICT report."""
    if not report.transfer.internal:
        return None
    return (
        InfractionReport.objects.select_for_update()
        .filter(transfer_id=report.transfer_id, role=role, state__in=OPEN_STATES)
        .exclude(pk=report.pk)
        .first()
    )


def _dict_report_id(report: InfractionReport) -> uuid.UUID:
    """The DICT's id: an internal Pix's report lives in the DICT under the REPORTER row."""
    if report.role == Role.REPORTED and report.transfer.internal:
        sibling = _internal_sibling(report, role=Role.REPORTER)
        if sibling is not None:
            return sibling.dict_report_id
    return report.dict_report_id


def _locked_active_blocks(transfer: PixTransfer) -> list[CautionaryBlock]:
    """The transfer's active blocks, their holds locked first (the accounts' order)."""
    rows = list(
        CautionaryBlock.objects.filter(transfer=transfer, state=BlockState.ACTIVE)
        .order_by("pk")
        .values_list("pk", "hold_id")
    )
    if not rows:
        return []
    list(Hold.objects.select_for_update().filter(pk__in=[h for _, h in rows]).order_by("pk"))
    return list(
        CautionaryBlock.objects.select_for_update()
        .filter(pk__in=[b for b, _ in rows], state=BlockState.ACTIVE)
        .order_by("pk")
    )


def _end_block(block: CautionaryBlock, transition_name: str, *, by: Any, reason: str) -> None:
    """Move the block first, then free its hold: the hold receiver finds the block no longer
    active and leaves it alone."""
    apply_transition(block, transition_name, by=by, reason=reason)
    hold = Hold.objects.filter(pk=block.hold_id).only("state").first()
    if hold is not None and hold.state == Hold.State.ACTIVE:
        account_services.hold_release(
            hold_id=block.hold_id,
            actor=by,
            reason=f"cautionary block {transition_name}: {reason}"[:200],
            expired=transition_name == "expire",
        )


# --- cautionary blocks -----------------------------------------------------------------------


def _place_block(
    *,
    transfer: PixTransfer,
    account_id: int,
    amount_cents: int | None,
    reason: str,
    actor: Any,
    infraction: InfractionReport | None,
    now: datetime,
) -> CautionaryBlock | None:
    """Hold money of a locked transfer's receiving account. amount None: as much as is
    left of the Pix and available (None when that is nothing)."""
    left = transfer.amount - _refunded_total(transfer)
    available = max(_available_locked(account_id), 0)
    if amount_cents is None:
        amount = min(left, available)
        if amount <= 0:
            return None
    else:
        if amount_cents > left:
            raise MedNotAllowed(
                _("At most what is left of the Pix can be blocked (%(left)s centavos).")
                % {"left": left},
                field="amount",
            )
        if amount_cents > available:
            raise InsufficientFunds(
                _("The account has only %(available)s centavos available to block.")
                % {"available": available},
                field="amount",
            )
        amount = amount_cents
    expires_at = now + BLOCK_DURATION
    hold = account_services.hold_place(
        account_id=account_id,
        amount_cents=amount,
        reason=f"Pix cautionary block {transfer.end_to_end_id}",
        expires_at=expires_at,
        reference_type="pix_cautionary_block",
        reference_id=transfer.end_to_end_id,
        actor=actor,
    )
    block = CautionaryBlock.objects.create(
        transfer=transfer,
        hold=hold,
        amount=amount,
        reason=reason[:REASON_MAX],
        expires_at=expires_at,
        infraction=infraction,
        created_by=_user(actor),
    )
    _notify("block_placed", block_id=block.pk)
    return block


def cautionary_block_place(
    *,
    transfer: PixTransfer,
    amount_cents: int | None,
    reason: str,
    actor: Any,
    infraction: InfractionReport | None = None,
    now: datetime | None = None,
) -> CautionaryBlock:
    """Block (part of) a Pix our customer received, for up to 72 h (Resolução BCB nº
    147/2021: on suspicion of fraud, before any report). amount_cents None blocks as much
    as is left of the Pix and available."""
    if amount_cents is not None and (
        isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0
    ):
        raise ValidationFailed(_("Amount must be greater than zero."), field="amount")
    reason = _check_text(reason, field="reason", max_length=REASON_MAX, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock_transfer(transfer)
        account_id = _receiving_account_id(locked)
        if locked.state != PixTransfer.State.SETTLED:
            raise MedNotAllowed(_("Only a settled Pix can be blocked."))
        _check_window(locked, now)
        if CautionaryBlock.objects.filter(transfer=locked, state=BlockState.ACTIVE).exists():
            raise Conflict(_("This Pix is already blocked."), code="pix_block_exists")
        block = _place_block(
            transfer=locked,
            account_id=account_id,
            amount_cents=amount_cents,
            reason=reason,
            actor=actor,
            infraction=infraction,
            now=now,
        )
        if block is None:
            raise InsufficientFunds(
                _("Nothing of this Pix is left in the account to block."), field="amount"
            )
        _audit(
            "pix.med.block_placed",
            actor=actor,
            obj=block,
            end_to_end_id=locked.end_to_end_id,
            amount=block.amount,
            reason=reason,
            expires_at=block.expires_at.isoformat(),
        )
    return block


def cautionary_block_release(*, block: CautionaryBlock, actor: Any, reason: str) -> CautionaryBlock:
    """An officer ends a block early: the money is available to the customer again."""
    reason = _check_text(reason, field="reason", max_length=REASON_MAX, required=True)
    with transaction.atomic():
        list(Hold.objects.select_for_update().filter(pk=block.hold_id))
        locked = CautionaryBlock.objects.select_for_update().get(pk=block.pk)
        if locked.state != BlockState.ACTIVE:
            raise InvalidTransition(
                _("The block is already %(state)s.") % {"state": locked.get_state_display()}
            )
        _end_block(locked, "release", by=actor, reason=reason)
        _notify("block_released", block_id=locked.pk)
        _audit(
            "pix.med.block_released",
            actor=actor,
            obj=locked,
            end_to_end_id=locked.transfer.end_to_end_id,
            amount=locked.amount,
            reason=reason,
        )
    return locked


def cautionary_blocks_expire_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """End blocks whose 72 h are over (hold released as expired), and any active block whose
    hold already ended by other hands. Each in its own transaction; returns how many."""
    now = now or timezone.now()
    due = (
        CautionaryBlock.objects.filter(state=BlockState.ACTIVE)
        .filter(Q(expires_at__lte=now) | ~Q(hold__state=Hold.State.ACTIVE))
        .order_by("expires_at", "pk")
        .values_list("pk", "hold_id")[:batch]
    )
    ended = 0
    for block_id, hold_id in list(due):
        with transaction.atomic():
            hold = Hold.objects.select_for_update().get(pk=hold_id)
            block = CautionaryBlock.objects.select_for_update().get(pk=block_id)
            if block.state != BlockState.ACTIVE:
                continue
            if hold.state == Hold.State.ACTIVE:
                if block.expires_at > now:
                    continue
                _end_block(block, "expire", by="system", reason="72 h passed")
            else:
                _follow_hold(block, hold.state)
            _notify("block_released", block_id=block.pk)
            ended += 1
    return ended


_HOLD_END_TO_BLOCK = {
    Hold.State.EXPIRED: "expire",
    Hold.State.RELEASED: "release",
    Hold.State.CAPTURED: "release",
}


def _follow_hold(block: CautionaryBlock, hold_state: str) -> None:
    transition_name = _HOLD_END_TO_BLOCK.get(hold_state)
    if transition_name is not None:
        apply_transition(block, transition_name, by="system", reason=f"its hold was {hold_state}")


@receiver(post_transition, sender=Hold, dispatch_uid="pix_med_block_follows_its_hold")
def _block_follows_its_hold(sender, instance: Hold, name, source, target, **kwargs) -> None:
    """A hold ended outside this module (the accounts expiry beat, an operator's release in
    the admin): its block ends with it, in the same transaction."""
    if target not in _HOLD_END_TO_BLOCK:
        return
    block = (
        CautionaryBlock.objects.select_for_update()
        .filter(hold_id=instance.pk, state=BlockState.ACTIVE)
        .first()
    )
    if block is None:
        return
    _follow_hold(block, target)
    _notify("block_released", block_id=block.pk)


# --- reports our customers open (REPORTER) ------------------------------------------------


def infraction_report_open(
    *,
    transfer: PixTransfer,
    situation: str,
    details: str,
    actor: Any,
    now: datetime | None = None,
) -> InfractionReport:
    """Our customer contests a Pix they sent: reported to the DICT within 80 days. An
    internal Pix is also REPORTED against the payee here at once (block and queue)."""
    situation = _check_situation(situation)
    details = _check_text(details, field="details", max_length=DETAILS_MAX)
    now = now or timezone.now()
    own = settings.ATHENA_ISPB
    with transaction.atomic():
        locked = _lock_transfer(transfer)
        if locked.direction != PixTransfer.Direction.OUT:
            raise MedNotAllowed(_("Only a Pix you sent can be contested."))
        if locked.state != PixTransfer.State.SETTLED:
            raise MedNotAllowed(_("Only a settled Pix can be contested."))
        _check_window(locked, now)
        if InfractionReport.objects.filter(
            transfer=locked, role=Role.REPORTER, state__in=OPEN_STATES
        ).exists():
            raise Conflict(
                _("This Pix is already contested."), code="infraction_report_already_open"
            )
        client = dict_client()
        payee_id = None
        if locked.internal:
            payee_id = _receiving_account_id(locked)
            payee = Account.objects.select_related("customer").get(pk=payee_id)
            record = client.create_infraction_report(
                transaction_id=locked.end_to_end_id,
                details=details,
                transaction_type=dict_api.TRANSACTION_INTERNAL,
                infraction_data=dict_api.DictInfractionData(
                    tax_id=payee.customer.tax_id,
                    debited_participant=own,
                    credited_participant=own,
                    reported_by=dict_api.DEBITED_PARTICIPANT,
                    transaction_date=_received_at(locked),
                    account_number=payee.number,
                    branch=payee.branch,
                    key=locked.counterparty_key,
                ),
                situation=situation,
                now=now,
            )
        else:
            record = client.create_infraction_report(
                transaction_id=locked.end_to_end_id,
                details=details,
                situation=situation,
                now=now,
            )
        report = InfractionReport.objects.create(
            dict_report_id=record.id,
            transfer=locked,
            role=Role.REPORTER,
            situation=situation,
            details=details,
            reporter_participant=own,
            reported_by=_user(actor),
        )
        _audit(
            "pix.med.report_opened",
            actor=actor,
            obj=report,
            end_to_end_id=locked.end_to_end_id,
            situation=situation,
        )
        if payee_id is not None:
            _open_reported(
                transfer=locked,
                account_id=payee_id,
                situation=situation,
                details=details,
                reporter_ispb=own,
                dict_report_id=uuid.uuid4(),
                now=now,
            )
    return report


def infraction_report_cancel(
    *, report: InfractionReport, actor: Any, now: datetime | None = None
) -> InfractionReport:
    """The customer withdraws a report they opened (the DICT allows it to the reporter)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked, transfer = _lock_case(report)
        if locked.role != Role.REPORTER:
            raise MedNotAllowed(_("Only the institution that reported can cancel a report."))
        if locked.state not in OPEN_STATES:
            raise InvalidTransition(
                _("The report is already %(state)s.") % {"state": locked.get_state_display()}
            )
        sibling = _internal_sibling(locked, role=Role.REPORTED)
        blocks = _locked_active_blocks(transfer) if sibling is not None else []
        dict_client().cancel_infraction_report(report_id=locked.dict_report_id, now=now)
        apply_transition(locked, "cancel", by=actor, reason="withdrawn by the reporter")
        if sibling is not None:
            for block in blocks:
                _end_block(block, "release", by=actor, reason="report withdrawn")
                _notify("block_released", block_id=block.pk)
            apply_transition(sibling, "cancel", by=actor, reason="withdrawn by the reporter")
        _audit("pix.med.report_cancelled", actor=actor, obj=locked)
    return locked


# --- reports against our customers (REPORTED) ----------------------------------------------


def _open_reported(
    *,
    transfer: PixTransfer,
    account_id: int,
    situation: str,
    details: str,
    reporter_ispb: str,
    dict_report_id: uuid.UUID,
    now: datetime,
) -> InfractionReport:
    """Create the REPORTED row of a locked transfer and block what is left of the money
    (or adopt a block compliance placed already)."""
    report = InfractionReport.objects.create(
        dict_report_id=dict_report_id,
        transfer=transfer,
        role=Role.REPORTED,
        situation=situation,
        details=details,
        reporter_participant=reporter_ispb,
    )
    active = (
        CautionaryBlock.objects.select_for_update()
        .filter(transfer=transfer, state=BlockState.ACTIVE)
        .first()
    )
    if active is not None:
        if active.infraction_id is None:
            active.infraction = report
            active.save(update_fields=["infraction", "updated_at"])
    else:
        _place_block(
            transfer=transfer,
            account_id=account_id,
            amount_cents=None,
            reason=f"MED infraction report ({situation})",
            actor="dict",
            infraction=report,
            now=now,
        )
    return report


def infraction_report_received(
    *,
    end_to_end_id: str,
    situation: str,
    details: str,
    reporter_ispb: str,
    dict_report_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> InfractionReport:
    """Another institution (the payer's) reports a Pix our customer received: block what is
    left of it for up to 72 h and queue the report for compliance. Idempotent on the DICT's
    report id (a report delivered twice is one report)."""
    situation = _check_situation(situation)
    details = _check_text(details, field="details", max_length=DETAILS_MAX)
    if not e2e.is_valid_ispb(reporter_ispb):
        raise ValidationFailed(_("Invalid ISPB."), field="reporter_ispb")
    if not selectors.is_end_to_end_id(end_to_end_id):
        raise ValidationFailed(_("Invalid endToEndId."), field="end_to_end_id")
    now = now or timezone.now()
    transfer = PixTransfer.objects.filter(end_to_end_id=end_to_end_id).first()
    if transfer is None:
        raise NotFound(_("No Pix has this endToEndId."))
    with transaction.atomic():
        locked = _lock_transfer(transfer)
        if dict_report_id is not None:
            delivered = InfractionReport.objects.filter(dict_report_id=dict_report_id).first()
            if delivered is not None:
                return delivered
        if locked.direction != PixTransfer.Direction.IN:
            raise MedNotAllowed(_("Reports from other institutions are about Pix we received."))
        if locked.state != PixTransfer.State.SETTLED:
            raise MedNotAllowed(_("Only a settled Pix can be reported."))
        if reporter_ispb != locked.counterparty_ispb:
            raise Forbidden(_("Only the payer's institution reports this Pix."))
        _check_window(locked, now)
        if InfractionReport.objects.filter(
            transfer=locked, role=Role.REPORTED, state__in=OPEN_STATES
        ).exists():
            raise Conflict(
                _("A report about this Pix is already being analysed."),
                code="infraction_report_already_open",
            )
        report = _open_reported(
            transfer=locked,
            account_id=locked.account_id,
            situation=situation,
            details=details,
            reporter_ispb=reporter_ispb,
            dict_report_id=dict_report_id or uuid.uuid4(),
            now=now,
        )
        _audit(
            "pix.med.report_received",
            actor=f"dict:{reporter_ispb}",
            obj=report,
            end_to_end_id=end_to_end_id,
            situation=situation,
        )
    return report


def _acknowledge(report: InfractionReport, *, actor: Any, now: datetime) -> None:
    dict_client().acknowledge_infraction_report(report_id=_dict_report_id(report), now=now)
    sibling = _internal_sibling(report, role=Role.REPORTER)
    apply_transition(report, "acknowledge", by=actor, reason="analysis started")
    if sibling is not None and sibling.state == ReportState.OPEN:
        apply_transition(sibling, "acknowledge", by=actor, reason="analysis started")


def _require_analysable(report: InfractionReport) -> None:
    if report.role != Role.REPORTED:
        raise MedNotAllowed(
            _("A report our customer opened is analysed by the receiving institution.")
        )
    if report.state not in OPEN_STATES:
        raise InvalidTransition(
            _("The report is already %(state)s.") % {"state": report.get_state_display()}
        )


def infraction_report_acknowledge(
    *, report: InfractionReport, actor: Any, now: datetime | None = None
) -> InfractionReport:
    """Compliance takes a report into analysis (DICT: acknowledgeInfractionReport)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked, _transfer = _lock_case(report)
        _require_analysable(locked)
        if locked.state != ReportState.OPEN:
            raise InvalidTransition(_("The report is already under analysis."))
        _acknowledge(locked, actor=actor, now=now)
        _audit("pix.med.report_acknowledged", actor=actor, obj=locked)
    return locked


def _med_refund(
    *,
    transfer: PixTransfer,
    report: InfractionReport,
    account_id: int,
    amount: int,
    actor: Any,
    now: datetime,
) -> PixRefund:
    refund_id = f"MED{report.pk}"
    if not transfer.internal:
        # pacs.004 with FR01 through the SPI, after commit (refund_request defers it).
        return refund_request(
            transfer=transfer,
            refund_id=refund_id,
            amount_cents=amount,
            description="MED",
            actor=actor,
            reason_code=ReturnReason.FR01,
            now=now,
        )
    # Internal: both accounts are ours; the money goes straight back to the payer.
    refund = PixRefund.objects.create(
        transfer=transfer,
        refund_id=refund_id,
        return_id=e2e.new_return_id(settings.ATHENA_ISPB, now),
        amount=amount,
        reason_code=ReturnReason.FR01,
        description="MED",
    )
    refund.debit_entry_id = post_entry(
        kind="pix_med_refund",
        legs=[Leg(account_id, -amount), Leg(transfer.account_id, amount)],
        description="MED refund",
        reference_type="pix_refund",
        reference_id=refund.pk,
        created_by_id=getattr(_user(actor), "pk", None),
        metadata={"end_to_end_id": transfer.end_to_end_id, "return_id": refund.return_id},
    )
    apply_transition(refund, "complete", by=actor, reason="internal MED refund")
    return refund


def infraction_report_close(
    *,
    report: InfractionReport,
    result: str,
    details: str,
    actor: Any,
    now: datetime | None = None,
) -> InfractionReport:
    """Compliance decides. AGREED: what is left of the money goes back to the payer (FR01)
    and the blocks are USED; DISAGREED: the blocks are RELEASED. An OPEN report is
    acknowledged first, as the DICT requires."""
    if result not in InfractionReport.Result.values:
        raise ValidationFailed(
            _("The result is AGREED or DISAGREED."), field="result", value=str(result)[:20]
        )
    details = _check_text(details, field="details", max_length=DETAILS_MAX)
    now = now or timezone.now()
    with transaction.atomic():
        locked, transfer = _lock_case(report)
        _require_analysable(locked)
        if locked.state == ReportState.OPEN:
            _acknowledge(locked, actor=actor, now=now)
        blocks = _locked_active_blocks(transfer)
        account_id = _receiving_account_id(transfer)
        refund = None
        left = 0
        if result == InfractionReport.Result.AGREED:
            available = max(_available_locked(account_id), 0)
            held = sum(block.amount for block in blocks)
            left = max(min(transfer.amount - _refunded_total(transfer), available + held), 0)
        ending = "use" if left > 0 else "release"
        for block in blocks:
            _end_block(block, ending, by=actor, reason=f"infraction report {result}")
        if left > 0:
            refund = _med_refund(
                transfer=transfer,
                report=locked,
                account_id=account_id,
                amount=left,
                actor=actor,
                now=now,
            )
        dict_client().close_infraction_report(
            report_id=_dict_report_id(locked), result=result, details=details, now=now
        )
        sibling = _internal_sibling(locked, role=Role.REPORTER)
        for row in (locked, sibling):
            if row is None:
                continue
            row.analysis_result = result
            row.analysis_details = details
            row.analysed_by = _user(actor)
            row.refund = refund
            apply_transition(row, "close", by=actor, reason=result)
        if refund is not None:
            _notify("refund_made", report_id=locked.pk)
        else:
            for block in blocks:
                _notify("block_released", block_id=block.pk)
        _audit(
            "pix.med.report_closed",
            actor=actor,
            obj=locked,
            result=result,
            end_to_end_id=transfer.end_to_end_id,
            refund_id=refund.pk if refund else None,
            refunded=refund.amount if refund else 0,
            blocks=[block.pk for block in blocks],
        )
    return locked
