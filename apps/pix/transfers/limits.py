"""Pix's own limit rule: BACEN's night limit for natural persons, adjustable by the customer.

Resolução BCB nº 1/2020 (Regulamento Pix) as changed by nº 142/2021: between the start of
the night (20:00 by default, or 22:00 if the customer chooses) and 06:00 Brasilia time, a
natural person may send at most the night limit by Pix (R$ 1.000,00 unless changed): the Pix
already sent in the current night window plus the new one must fit. Companies have no night
rule here. Registered for product "pix" by PixConfig.ready.

The customer changes it (`night_limit_change`):

* a reduction, or a move of the night start back to 20:00 (a longer night), applies at once;
* a raise is recorded as pending and applies 24 h after the request (BACEN: no sooner than
  24 h and no later than 48 h), so that whoever holds a stolen phone cannot raise the limit
  and empty the account the same night; a later reduction cancels a pending raise;
* the limit lies between 0 and the account's KYC daily Pix limit (a higher night limit could
  never be used).

Known gap: moving the night start from 20:00 to 22:00 lengthens the day, which is a raise of
sorts, but PixLimitSettings has no field for a pending start hour; it applies at once (the
KYC daily limit still bounds what can leave in those two hours).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.errors import LimitExceeded
from apps.accounts.models import Account, Customer
from apps.accounts.selectors import KYC_LIMITS, PRODUCT_KINDS
from apps.core.audit import record_event
from apps.core.errors import DomainError, ValidationFailed
from apps.core.models import AuditEvent
from apps.core.money import format_brl
from apps.core.timezones import BRASILIA
from apps.pix.models import PixLimitSettings

NIGHT_LIMIT_CENTS = 100_000
NIGHT_STARTS = time(20, 0)
NIGHT_ENDS = time(6, 0)
NIGHT_START_HOURS = (20, 22)
RAISE_DELAY = timedelta(hours=24)


@dataclass(frozen=True)
class NightLimit:
    """The night limit in force for an account at a moment, and a raise still waiting."""

    limit_cents: int
    starts_at_hour: int
    pending_limit_cents: int | None = None
    pending_effective_at: datetime | None = None

    @property
    def starts_at(self) -> time:
        return time(self.starts_at_hour, 0)

    @property
    def ends_at(self) -> time:
        return NIGHT_ENDS

    def describe(self) -> str:
        """ "Night limit of R$ 500,00 between 22:00 and 06:00 (Brasilia time)." """
        return _("Night limit of %(limit)s between %(start)s and %(end)s (Brasilia time).") % {
            "limit": format_brl(self.limit_cents),
            "start": f"{self.starts_at:%H:%M}",
            "end": f"{NIGHT_ENDS:%H:%M}",
        }


class NightLimitNotApplicable(DomainError):
    code = "pix_night_limit_not_applicable"
    title = "No night limit for this account"


def night_window(now: datetime, starts_at_hour: int = 20) -> tuple[datetime, datetime] | None:
    """The night window (start, end) containing `now`, as aware datetimes; None by day."""
    local = now.astimezone(BRASILIA)
    starts = time(starts_at_hour, 0)
    today = local.date()
    if local.time() >= starts:
        start_day = today
    elif local.time() < NIGHT_ENDS:
        start_day = today - timedelta(days=1)
    else:
        return None
    start = datetime.combine(start_day, starts, tzinfo=BRASILIA)
    end = datetime.combine(start_day + timedelta(days=1), NIGHT_ENDS, tzinfo=BRASILIA)
    return start, end


def sent_in_window(account_id: int, start: datetime, end: datetime) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT coalesce(sum(-amount), 0)
                 FROM accounts_posting
                WHERE account_id = %s AND amount < 0 AND kind = ANY(%s)
                  AND created_at >= %s AND created_at < %s""",
            [account_id, [*PRODUCT_KINDS["pix"], "pix_internal"], start, end],
        )
        return int(cursor.fetchone()[0])


def _applies_to(account: Account) -> bool:
    return bool(account.customer_id) and account.customer.kind == Customer.Kind.PERSON


def _fold_due_raise(row: PixLimitSettings, now: datetime) -> None:
    """Make a pending raise whose time has come the limit, on the row in memory."""
    due = row.pending_effective_at
    if row.pending_night_limit is None or due is None or due > now:
        return
    row.night_limit = row.pending_night_limit
    row.pending_night_limit = None
    row.pending_effective_at = None


def night_limit_of(account: Account, now: datetime | None = None) -> NightLimit:
    """The account's night limit at `now`: the defaults until the customer changes them; a
    pending raise counts once its time has come.

    Nothing is written here: the row keeps the raise as pending (its history says when it
    was asked and when it applies) until the next change folds it in under the row lock. A
    write from this read path could race a reduction and bring a cancelled raise back."""
    now = now or timezone.now()
    row = PixLimitSettings.objects.filter(account_id=account.pk).first()
    if row is None:
        return NightLimit(limit_cents=NIGHT_LIMIT_CENTS, starts_at_hour=NIGHT_STARTS.hour)
    _fold_due_raise(row, now)
    return NightLimit(
        limit_cents=row.night_limit,
        starts_at_hour=row.night_starts_at_hour,
        pending_limit_cents=row.pending_night_limit,
        pending_effective_at=row.pending_effective_at,
    )


def night_limit_change(
    *,
    account: Account,
    limit_cents: int,
    starts_at_hour: int,
    actor=None,
    now: datetime | None = None,
) -> PixLimitSettings:
    """Change the account's night limit and the hour the night starts (see the module doc)."""
    if not _applies_to(account):
        raise NightLimitNotApplicable(
            _("The Pix night limit applies to accounts of natural persons only.")
        )
    if isinstance(starts_at_hour, bool) or starts_at_hour not in NIGHT_START_HOURS:
        raise ValidationFailed(
            _("The night starts at 20:00 or at 22:00."), field="night_starts_at_hour"
        )
    if isinstance(limit_cents, bool) or not isinstance(limit_cents, int) or limit_cents < 0:
        raise ValidationFailed(_("The night limit must be zero or more."), field="night_limit")
    daily = KYC_LIMITS[account.customer.kyc_level].daily
    if limit_cents > daily:
        raise ValidationFailed(
            _(
                "The night limit can be at most your daily Pix limit, %(daily)s "
                "(KYC level %(level)d)."
            )
            % {"daily": format_brl(daily), "level": account.customer.kyc_level},
            field="night_limit",
        )
    now = now or timezone.now()
    with transaction.atomic():
        row, _created = PixLimitSettings.objects.select_for_update().get_or_create(
            account_id=account.pk
        )
        _fold_due_raise(row, now)
        before = {
            "night_limit": row.night_limit,
            "night_starts_at_hour": row.night_starts_at_hour,
            "pending_night_limit": row.pending_night_limit,
        }
        row.night_starts_at_hour = starts_at_hour
        if limit_cents > row.night_limit:
            # A raise waits 24 h. Asking again for the same or a smaller raise keeps the
            # clock already running (it only trims what was asked); a bigger one restarts it.
            pending = row.pending_night_limit
            if pending is None or limit_cents > pending:
                row.pending_effective_at = now + RAISE_DELAY
            row.pending_night_limit = limit_cents
        else:
            # A reduction (or the same value) applies at once and withdraws a pending raise.
            row.night_limit = limit_cents
            row.pending_night_limit = None
            row.pending_effective_at = None
        row._change_reason = "changed by the customer"
        row.save()
        record_event(
            AuditEvent.Action.BUSINESS,
            actor=actor,
            obj=row,
            detail={
                "event": "pix.night_limit_changed",
                "before": before,
                "night_limit": row.night_limit,
                "night_starts_at_hour": row.night_starts_at_hour,
                "pending_night_limit": row.pending_night_limit,
                "pending_effective_at": (
                    row.pending_effective_at.isoformat() if row.pending_effective_at else None
                ),
            },
        )
    return row


def night_rule(account: Account, amount_cents: int, now: datetime) -> None:
    """Raise LimitExceeded when a natural person would exceed their night limit."""
    if not _applies_to(account):
        return
    if night_window(now, min(NIGHT_START_HOURS)) is None:
        return  # by day under the longest night too: no need to read the account's setting
    limit = night_limit_of(account, now)
    window = night_window(now, limit.starts_at_hour)
    if window is None:
        return
    sent = sent_in_window(account.pk, *window)
    if sent + amount_cents > limit.limit_cents:
        raise LimitExceeded(
            _("%(rule)s exceeded: %(left)s left tonight.")
            % {
                "rule": limit.describe().rstrip("."),
                "left": format_brl(max(limit.limit_cents - sent, 0)),
            },
            field="amount",
        )
