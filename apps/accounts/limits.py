"""Transaction limits: "may this account send R$ X through product P now?"

Per-KYC-level daily and monthly limits (the seed architecture's table) count what the
account already sent through the product today and this month, in Brasilia calendar days.
Products register extra rules of their own (Pix adds BACEN's night limit).

`check` locks the account row first (FOR NO KEY UPDATE, the lock a debit takes anyway), so
two concurrent payments cannot both pass the same remaining limit: call it inside the
product's transaction, before posting the debit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from apps.core.errors import DomainError
from apps.core.money import format_brl

from .models import Account

BRASILIA = ZoneInfo("America/Sao_Paulo")


@dataclass(frozen=True)
class LevelLimits:
    daily: int  # centavos
    monthly: int


# The KYC table of seed-architecture.txt ("Daily PIX" / "Monthly").
KYC_LIMITS: dict[int, LevelLimits] = {
    0: LevelLimits(daily=50_000, monthly=200_000),
    1: LevelLimits(daily=500_000, monthly=2_000_000),
    2: LevelLimits(daily=5_000_000, monthly=50_000_000),
    3: LevelLimits(daily=50_000_000, monthly=500_000_000),
}

# Which posting kinds count as "sent through" each product.
PRODUCT_KINDS: dict[str, tuple[str, ...]] = {
    "pix": ("pix_out", "pix_internal"),
    "ted": ("ted_out",),
    "boleto": ("boleto_payment",),
    "book": ("book_transfer",),
}

PRODUCT_NAMES = {"pix": "Pix", "ted": "TED", "boleto": "boleto", "book": "transfer"}

Rule = Callable[[Account, int, datetime], None]
_rules: dict[str, list[Rule]] = {}


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    title = "Transaction limit exceeded"


def register_rule(product: str, rule: Rule) -> Rule:
    """A product's own rule: `rule(account, amount_cents, now)` raises LimitExceeded."""
    _rules.setdefault(product, [])
    if rule not in _rules[product]:
        _rules[product].append(rule)
    return rule


def period_starts(now: datetime) -> tuple[datetime, datetime]:
    """Start of today and of this month in Brasilia time, as aware datetimes."""
    local = now.astimezone(BRASILIA)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day.replace(day=1)


def sent_since(*, account_id: int, kinds: tuple[str, ...], day: datetime, month: datetime):
    """(sent today, sent this month) in centavos, from the account's debit postings."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT coalesce(sum(-amount) FILTER (WHERE created_at >= %s), 0),
                      coalesce(sum(-amount), 0)
                 FROM accounts_posting
                WHERE account_id = %s AND amount < 0 AND kind = ANY(%s) AND created_at >= %s""",
            [day, account_id, list(kinds), month],
        )
        today, this_month = cursor.fetchone()
    return int(today), int(this_month)


def _upgrade_hint(level: int) -> str:
    if level >= 3:
        return "This is the highest verification level; contact support for a review."
    nxt = KYC_LIMITS[level + 1]
    return (
        f"Raise it by completing identity verification to KYC level {level + 1} "
        f"({format_brl(nxt.daily)} per day, {format_brl(nxt.monthly)} per month)."
    )


def check(*, account: Account, product: str, amount_cents: int, now: datetime | None = None):
    """Raise LimitExceeded when the account may not send this amount through the product."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM accounts_account WHERE id = %s FOR NO KEY UPDATE", [account.pk]
        )
    level = account.customer.kyc_level if account.customer_id else 3
    limits = KYC_LIMITS[level]
    name = PRODUCT_NAMES.get(product, product)
    day, month = period_starts(now)
    today, this_month = sent_since(
        account_id=account.pk, kinds=PRODUCT_KINDS.get(product, (product,)), day=day, month=month
    )
    if today + amount_cents > limits.daily:
        raise LimitExceeded(
            f"Daily {name} limit of {format_brl(limits.daily)} for KYC level {level} exceeded: "
            f"{format_brl(max(limits.daily - today, 0))} left today. {_upgrade_hint(level)}",
            field="amount",
        )
    if this_month + amount_cents > limits.monthly:
        raise LimitExceeded(
            f"Monthly {name} limit of {format_brl(limits.monthly)} for KYC level {level} "
            f"exceeded: {format_brl(max(limits.monthly - this_month, 0))} left this month. "
            f"{_upgrade_hint(level)}",
            field="amount",
        )
    for rule in _rules.get(product, ()):
        rule(account, amount_cents, now)
