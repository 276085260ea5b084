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

A cautionary block (`cautionary_block_place`, blocks.py) is a ledger hold (it lowers the
available balance) plus its `CautionaryBlock` row; compliance may also place one on suspicion alone
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
apps/pix/med/notifications.py).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import services as account_services
from apps.accounts.models import Account
from apps.accounts.services import Leg, post_entry
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from apps.core.fsm import InvalidTransition, apply_transition
from apps.pix import locks
from apps.pix.adapters import dict as dict_api
from apps.pix.adapters import dict_client
from apps.pix.codecs import e2e
from apps.pix.codecs.iso20022 import ReturnReason
from apps.pix.med import selectors
from apps.pix.med.blocks import _end_block, _locked_active_blocks, _place_block
from apps.pix.med.common import (
    DETAILS_MAX,
    OPEN_STATES,
    BlockState,
    ReportState,
    Role,
    _audit,
    _check_situation,
    _check_text,
    _check_window,
    _dict_report_id,
    _internal_sibling,
    _notify,
    _received_at,
    _receiving_account_id,
    _user,
)
from apps.pix.med.errors import MedNotAllowed
from apps.pix.models import CautionaryBlock, InfractionReport, PixRefund, PixTransfer
from apps.pix.transfers.selectors import refundable_cents
from apps.pix.transfers.services.refunds import refund_request

logger = logging.getLogger(__name__)


# --- small helpers ---------------------------------------------------------------------------


# --- cautionary blocks -----------------------------------------------------------------------


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
        locked = locks.transfer_for_update(transfer.pk)
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
        locked, transfer = locks.infraction_case_for_update(report)
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
        locked = locks.transfer_for_update(transfer.pk)
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
        locked, _transfer = locks.infraction_case_for_update(report)
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
        locked, transfer = locks.infraction_case_for_update(report)
        _require_analysable(locked)
        if locked.state == ReportState.OPEN:
            _acknowledge(locked, actor=actor, now=now)
        blocks = _locked_active_blocks(transfer)
        account_id = _receiving_account_id(transfer)
        refund = None
        left = 0
        if result == InfractionReport.Result.AGREED:
            available = max(account_services.account_lock_available(account_id=account_id), 0)
            held = sum(block.amount for block in blocks)
            left = max(min(refundable_cents(transfer), available + held), 0)
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
