"""Running scheduled Pix: pix_run_scheduled (beat, every minute) sends the day's SCHEDULED
transfers from 06:00 Brasilia, looking the key up again and checking limits on the day; a
refusal turns the transfer FAILED and tells the customer (outbox topic "pix.scheduled_failed")."""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.services import money_gate_check
from apps.core.documents import normalize_tax_id
from apps.core.errors import DomainError
from apps.core.fsm import apply_transition
from apps.core.outbox import publish
from apps.core.timezones import BRASILIA
from apps.core.transactions import now_or_after_commit
from apps.pix import locks
from apps.pix.adapters.dict import RateLimited
from apps.pix.codecs import e2e
from apps.pix.models import PixTransfer
from apps.pix.transfers.errors import (
    PixPayeeChanged,
)
from apps.pix.transfers.services.payees import (
    _counterparty_fields,
    _creditor_of,
    _internal_payee,
    _Payee,
    _payee_by_key,
)
from apps.pix.transfers.services.send import _move_money, pix_submit

logger = logging.getLogger(__name__)
Initiation = PixTransfer.Initiation

SCHEDULE_RUNS_FROM = time(6, 0)  # scheduled Pix go out from 06:00 Brasilia, after the night


def _payee_on_the_day(transfer: PixTransfer) -> None:
    """Look the key up again: the payee must still be the same person (a key may have
    moved to another account of theirs, never to someone else). The transfer's
    endToEndId is given first: the look-up names it."""
    if transfer.initiation == Initiation.MANU or not transfer.counterparty_key:
        return
    party, name = _payee_by_key(transfer.account, transfer.counterparty_key, transfer.end_to_end_id)
    if normalize_tax_id(party.tax_id) != normalize_tax_id(transfer.counterparty_tax_id):
        raise PixPayeeChanged(_("The Pix key no longer belongs to the scheduled payee."))
    fields = _counterparty_fields(
        _Payee(creditor=party, name=name or transfer.counterparty_name, initiation="DICT")
    )
    for field_name, value in fields.items():
        setattr(transfer, field_name, value)


def _is_transient(error: DomainError) -> bool:
    """The DICT down or the look-up allowance spent: try again on the next run."""
    return isinstance(error, RateLimited) or error.status_code >= 500


def _fail_scheduled(transfer_id: int, reason: str) -> PixTransfer:
    transfer = locks.transfer_for_update(transfer_id)
    apply_transition(transfer, "fail", by="scheduler", reason=reason)
    publish(
        topic="pix.scheduled_failed",
        payload={
            "transfer_id": transfer.pk,
            "account_id": transfer.account_id,
            "reason": transfer.reject_reason,
        },
    )
    return transfer


def _run_one(transfer: PixTransfer, *, today: date, now: datetime) -> PixTransfer | None:
    """Send one locked SCHEDULED transfer, or fail it; None: try again on a later run."""
    if transfer.scheduled_for < today:
        return _fail_scheduled(
            transfer.pk,
            _("It could not be sent on its day (%(day)s).")
            % {"day": transfer.scheduled_for.strftime("%d/%m/%Y")},
        )
    try:
        with transaction.atomic():  # a savepoint: a refusal undoes the half-done send
            transfer.end_to_end_id = e2e.new_end_to_end_id(settings.ATHENA_ISPB)
            _payee_on_the_day(transfer)
            money_gate_check(
                account=transfer.account, product="pix", amount_cents=transfer.amount, now=now
            )
            payee_account = (
                _internal_payee(_creditor_of(transfer), transfer.account)
                if transfer.internal
                else None
            )
            _move_money(
                transfer,
                customer=transfer.account.customer,
                payee_account=payee_account,
                actor=None,
                by="scheduler",
                now=now,
                scheduled=True,
            )
    except DomainError as error:
        if _is_transient(error):
            logger.warning("scheduled pix postponed: %s", error, extra={"transfer": transfer.pk})
            return None
        return _fail_scheduled(transfer.pk, error.message)
    return transfer


def pix_run_scheduled(*, now: datetime | None = None, batch: int = 500) -> int:
    """Send the SCHEDULED Pix due today (from 06:00 Brasilia); returns how many were sent
    or failed. Each is claimed with SELECT ... FOR UPDATE SKIP LOCKED in its own
    transaction, so several workers share the work and none sends one twice."""
    now = now or timezone.now()
    local = now.astimezone(BRASILIA)
    if local.time() < SCHEDULE_RUNS_FROM:
        return 0
    today = local.date()
    postponed: list[int] = []
    done = 0
    for _index in range(batch):
        transfer = None
        try:
            with transaction.atomic():
                transfer = (
                    PixTransfer.objects.select_for_update(skip_locked=True, of=("self",))
                    .filter(state=PixTransfer.State.SCHEDULED, scheduled_for__lte=today)
                    .exclude(pk__in=postponed)
                    .select_related("account__customer")
                    .order_by("scheduled_for", "pk")
                    .first()
                )
                if transfer is None:
                    break
                outcome = _run_one(transfer, today=today, now=now)
        except Exception:
            if transfer is None:
                raise
            # One broken transfer must not hold up the others: it stays SCHEDULED (and
            # fails as missed the next day if it never goes through).
            logger.exception("scheduled pix could not be run", extra={"transfer": transfer.pk})
            outcome = None
        if outcome is None:
            postponed.append(transfer.pk)
            continue
        done += 1
        if outcome.state == PixTransfer.State.SENT:
            transfer_id = outcome.pk
            now_or_after_commit(lambda transfer_id=transfer_id: pix_submit(transfer_id))
    return done
