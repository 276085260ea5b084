"""Pix's own limit rule: BACEN's night limit for natural persons.

Between 20:00 and 06:00 Brasilia time a natural person may send at most R$ 1.000,00 by Pix
(Resolução BCB nº 142/2021; the customer-adjustable night limit is not offered yet): the
Pix already sent in the current night window plus the new one must fit. Companies have no
night rule here. Registered for product "pix" by PixConfig.ready.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import connection

from apps.accounts.limits import BRASILIA, PRODUCT_KINDS, LimitExceeded
from apps.accounts.models import Account, Customer
from apps.core.money import format_brl

NIGHT_LIMIT_CENTS = 100_000
NIGHT_STARTS = time(20, 0)
NIGHT_ENDS = time(6, 0)


def night_window(now: datetime) -> tuple[datetime, datetime] | None:
    """The night window (start, end) containing `now`, as aware datetimes; None by day."""
    local = now.astimezone(BRASILIA)
    today = local.date()
    if local.time() >= NIGHT_STARTS:
        start_day = today
    elif local.time() < NIGHT_ENDS:
        start_day = today - timedelta(days=1)
    else:
        return None
    start = datetime.combine(start_day, NIGHT_STARTS, tzinfo=BRASILIA)
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


def night_rule(account: Account, amount_cents: int, now: datetime) -> None:
    """Raise LimitExceeded when a natural person would exceed the night limit."""
    if not account.customer_id or account.customer.kind != Customer.Kind.PERSON:
        return
    window = night_window(now)
    if window is None:
        return
    sent = sent_in_window(account.pk, *window)
    if sent + amount_cents > NIGHT_LIMIT_CENTS:
        raise LimitExceeded(
            f"Night Pix limit of {format_brl(NIGHT_LIMIT_CENTS)} between "
            f"{NIGHT_STARTS:%H:%M} and {NIGHT_ENDS:%H:%M} (Brasilia time) exceeded: "
            f"{format_brl(max(NIGHT_LIMIT_CENTS - sent, 0))} left tonight.",
            field="amount",
        )
