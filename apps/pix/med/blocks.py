"""Cautionary blocks (bloqueio cautelar): money of a received Pix held for up to 72 h while
a suspicion is analysed, as a hold on the receiving account (apps.accounts.services). A block
ends with its hold: released by an officer, expired, or taken by a MED refund."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm.signals import post_transition

from apps.accounts import services as account_services
from apps.accounts.errors import InsufficientFunds
from apps.accounts.models import Hold
from apps.core.errors import Conflict, ValidationFailed
from apps.core.fsm import InvalidTransition, apply_transition
from apps.pix import locks
from apps.pix.med.common import (
    REASON_MAX,
    BlockState,
    _audit,
    _check_text,
    _check_window,
    _notify,
    _receiving_account_id,
    _user,
)
from apps.pix.med.errors import MedNotAllowed
from apps.pix.models import CautionaryBlock, InfractionReport, PixTransfer
from apps.pix.transfers.selectors import refundable_cents

BLOCK_DURATION = timedelta(hours=CautionaryBlock.MAX_DURATION_HOURS)


def _locked_active_blocks(transfer: PixTransfer) -> list[CautionaryBlock]:
    """The transfer's active blocks, their holds locked first (the accounts' order)."""
    rows = list(
        CautionaryBlock.objects.filter(transfer=transfer, state=BlockState.ACTIVE)
        .order_by("pk")
        .values_list("pk", "hold_id")
    )
    if not rows:
        return []
    account_services.holds_lock(hold_ids=[h for _, h in rows])
    return list(
        CautionaryBlock.objects.select_for_update()
        .filter(pk__in=[b for b, _ in rows], state=BlockState.ACTIVE)
        .order_by("pk")
    )


def _end_block(block: CautionaryBlock, transition_name: str, *, by: Any, reason: str) -> None:
    """Move the block first, then free its hold: the hold receiver finds the block no longer
    active and leaves it alone."""
    apply_transition(block, transition_name, by=by, reason=reason)
    hold_state = account_services.holds_lock(hold_ids=[block.hold_id]).get(block.hold_id)
    if hold_state == Hold.State.ACTIVE:
        account_services.hold_release(
            hold_id=block.hold_id,
            actor=by,
            reason=f"cautionary block {transition_name}: {reason}"[:200],
            expired=transition_name == "expire",
        )


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
    left = refundable_cents(transfer)
    available = max(account_services.account_lock_available(account_id=account_id), 0)
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
        locked = locks.transfer_for_update(transfer.pk)
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
        account_services.holds_lock(hold_ids=[block.hold_id])
        locked = locks.block_for_update(block.pk)
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
            hold_state = account_services.holds_lock(hold_ids=[hold_id])[hold_id]
            block = locks.block_for_update(block_id)
            if block.state != BlockState.ACTIVE:
                continue
            if hold_state == Hold.State.ACTIVE:
                if block.expires_at > now:
                    continue
                _end_block(block, "expire", by="system", reason="72 h passed")
            else:
                _follow_hold(block, hold_state)
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
