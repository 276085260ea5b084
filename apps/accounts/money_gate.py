"""The money gate: "may this customer debit R$ X through product P now?"

Every product that moves a customer's money out on the customer's own instruction (a Pix,
a book transfer, and next a TED, a boleto payment, a card purchase, a loan) asks the gate
once, inside its own transaction and before it posts the debit:

    from apps.accounts import money_gate
    money_gate.check(account=account, product="ted", amount_cents=amount)

`apps.accounts.limits.check` is the same function (the name Pix has always called).

What the gate decides, in this order:

1. **Account and customer state.** The account must be active (not blocked for debit,
   blocked or closed) and its customer active: a pending (not yet onboarded), blocked or
   closed customer may not debit. `AccountUnavailable` (422).
2. **Feature level.** TED and cards need KYC level 1, loans level 2 (`FEATURE_LEVELS`).
   `FeatureLocked` (403), naming the level needed.
3. **The KYC limits.** Per level, daily and monthly (`KYC_LIMITS`, the seed architecture's
   table), counted per product family in Brasilia calendar days: what the account already
   debited through the product's posting kinds (`PRODUCTS[...].kinds`) today and this
   month, plus this amount. `LimitExceeded` (422) naming the limit, what is left and how to
   raise it.
4. **The product's own rules**, registered by the product app in its `ready()` with
   `register_rule(product, rule)` (Pix adds BACEN's night limit).

Locking: one call (`athena_money_gate`, migration 0006) locks the account row (FOR NO KEY
UPDATE, the lock a debit takes anyway) and then, with a fresh snapshot, reads the sums of
the day and the month, so two concurrent payments cannot both pass the same remaining
limit. The lock lasts until the caller's transaction ends: call the gate inside it. One
round trip on the hot path (the Pix send), plus the product rules' own.

Which postings count: `PRODUCTS` lists, per product, the posting kinds that a customer's
own action debits. `OUTSIDE_THE_GATE` lists every other kind that debits a customer
account, with the reason it is not the customer's payment instruction. A test derives the
posting kinds from the code and fails on a kind in neither table, so a new product cannot
add a customer debit that no limit counts.

Internal accounts (no customer) are not limited: they count as KYC level 3 and have no
customer state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.money import format_brl
from apps.core.timezones import BRASILIA

from .errors import AccountUnavailable, FeatureLocked, LimitExceeded
from .models import Account, Customer


@dataclass(frozen=True)
class LevelLimits:
    daily: int  # centavos
    monthly: int


# The KYC table of seed-architecture.txt ("Daily PIX" / "Monthly"), applied per product.
KYC_LIMITS: dict[int, LevelLimits] = {
    0: LevelLimits(daily=50_000, monthly=200_000),
    1: LevelLimits(daily=500_000, monthly=2_000_000),
    2: LevelLimits(daily=5_000_000, monthly=50_000_000),
    3: LevelLimits(daily=50_000_000, monthly=500_000_000),
}


@dataclass(frozen=True)
class Product:
    name: str  # a lazy translation, as the limit message names it ("Daily Pix limit ...")
    kinds: tuple[str, ...]  # the debit posting kinds counted together (the product family)


# Products without an app yet (ted, boleto, cards, loans) are here so that their apps only
# call the gate.
# The names are lazy translations: a limit message reads in the customer's language.
PRODUCTS: dict[str, Product] = {
    # A refund the payee sends back is a Pix debit on the payee's own instruction.
    "pix": Product(gettext_lazy("Pix"), ("pix_out", "pix_internal", "pix_refund")),
    "book": Product(gettext_lazy("transfer"), ("book_transfer",)),
    "ted": Product(gettext_lazy("TED"), ("ted_out",)),
    "boleto": Product(gettext_lazy("boleto"), ("boleto_payment",)),
    "cards": Product(gettext_lazy("card"), ("card_purchase",)),
    "loans": Product(gettext_lazy("loan"), ("loan_installment",)),
}

# The KYC level from which a customer may use a product (issue 5's table); others from 0.
FEATURE_LEVELS: dict[str, int] = {"ted": 1, "cards": 1, "loans": 2}

FEATURE_NAMES = {
    "ted": gettext_lazy("TED"),
    "cards": gettext_lazy("cards"),
    "loans": gettext_lazy("loans"),
}

# Posting kinds that debit a customer account without being the customer's own payment
# instruction, so no product limit counts them (and why).
OUTSIDE_THE_GATE: dict[str, str] = {
    "deposit": "money arriving from outside: debits an internal account",
    "cash_deposit": "money arriving from outside: debits an internal account",
    "ted_in": "money arriving from outside: debits an internal account",
    "pix_in": "money arriving from outside: debits an internal account",
    "boleto_received": "money arriving from outside: debits an internal account",
    "loan_disbursement": "the bank lends: debits an internal account",
    "loan_collection": "an installment collected by contract on its due date (CCB clause)",
    "loan_provision": "the allowance for loan losses: internal accounts only",
    "pix_return": "the SPI rejected a Pix: the money comes back to the payer",
    "pix_refund_return": "the SPI rejected a refund: the money comes back to the payee",
    "pix_med_refund": "MED: BACEN's special return mechanism, decided by the bank",
    "reversal": "an operator's correction of an earlier entry (four eyes above R$ 10.000)",
    "fee": "the bank's fee, charged by contract",
    "card_refund": "a merchant's refund through the card network: debits card_settlement",
    "card_suspense": "card clearing mismatches parked in suspense: internal accounts only",
    "card_network_settlement": (
        "the day's card network net: moves reserves, card_settlement and suspense only"
    ),
    "ted_return": "a TED returned or refused: the amount comes back to the payer",
    "ted_fee_refund": "a TED returned or refused: its fee comes back to the payer",
    "ted_fee": "the TED fee, charged by contract with the TED it belongs to (limits count the TED)",
    "compe_settlement": "the day's COMPE net: moves reserves and boleto clearing only",
}

# Backwards-compatible views of the table (the Pix night limit and kyc's pages read them).
PRODUCT_KINDS: dict[str, tuple[str, ...]] = {code: p.kinds for code, p in PRODUCTS.items()}
PRODUCT_NAMES: dict[str, str] = {code: p.name for code, p in PRODUCTS.items()}

Rule = Callable[[Account, int, datetime], None]
_rules: dict[str, list[Rule]] = {}


def register_rule(product: str, rule: Rule) -> Rule:
    """A product's own rule: `rule(account, amount_cents, now)` raises LimitExceeded."""
    _rules.setdefault(product, [])
    if rule not in _rules[product]:
        _rules[product].append(rule)
    return rule


def product(code: str) -> Product:
    try:
        return PRODUCTS[code]
    except KeyError:
        raise ValueError(f"unknown product {code!r}: add it to money_gate.PRODUCTS") from None


_family = product  # for functions whose `product` argument is the product's code


def product_of_kind(kind: str) -> str | None:
    """The product whose family counts this posting kind, or None."""
    return next((code for code, p in PRODUCTS.items() if kind in p.kinds), None)


# --- Feature levels -----------------------------------------------------------------------


def level_required(feature: str) -> int:
    if feature in FEATURE_LEVELS:
        return FEATURE_LEVELS[feature]
    if feature in PRODUCTS:
        return 0
    raise ValueError(f"unknown feature {feature!r}")


def has_feature(customer: Any, feature: str) -> bool:
    return customer.kyc_level >= level_required(feature)


def _feature_locked(feature: str, level: int) -> FeatureLocked:
    needed = level_required(feature)
    return FeatureLocked(
        _(
            "%(feature)s requires identity verification level %(needed)s; your level is "
            "%(level)s. Complete the verification to KYC level %(needed)s to unlock it."
        )
        % {"feature": FEATURE_NAMES.get(feature, feature), "needed": needed, "level": level}
    )


def require_level(customer: Any, feature: str) -> None:
    """Raise FeatureLocked naming the level needed when the customer is below it."""
    if customer.kyc_level < level_required(feature):
        raise _feature_locked(feature, customer.kyc_level)


# --- The check ----------------------------------------------------------------------------


def period_starts(now: datetime) -> tuple[datetime, datetime]:
    """Start of today and of this month in Brasilia time, as aware datetimes."""
    local = now.astimezone(BRASILIA)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return day, day.replace(day=1)


def sent_since(*, account_id: int, kinds: tuple[str, ...], day: datetime, month: datetime):
    """(sent today, sent this month) in centavos, from the account's debit postings."""
    with connection.cursor() as cursor:
        cursor.execute(_SENT_SQL, [day, account_id, list(kinds), month])
        today, this_month = cursor.fetchone()
    return int(today), int(this_month)


_SENT_SQL = """
SELECT coalesce(sum(-amount) FILTER (WHERE created_at >= %s), 0), coalesce(sum(-amount), 0)
  FROM accounts_posting
 WHERE account_id = %s AND amount < 0 AND kind = ANY(%s) AND created_at >= %s
"""

# Lock the account, read its state and its customer's, then sum the day and the month: one
# round trip. The sums must be read after the lock is granted (a payment that committed
# meanwhile counts), which one statement cannot do in READ COMMITTED: the PL/pgSQL function
# of migration 0006 runs the two queries, each with a fresh snapshot.
_GATE_SQL = "SELECT * FROM athena_money_gate(%s, %s::text[], %s, %s)"


def _upgrade_hint(level: int) -> str:
    if level >= 3:
        return _("This is the highest verification level; contact support for a review.")
    nxt = KYC_LIMITS[level + 1]
    return _(
        "Raise it by completing identity verification to KYC level %(level)s "
        "(%(daily)s per day, %(monthly)s per month)."
    ) % {"level": level + 1, "daily": format_brl(nxt.daily), "monthly": format_brl(nxt.monthly)}


def _refuse_state(account_state: str, customer_state: str | None) -> None:
    if account_state != Account.State.ACTIVE:
        label = Account.State(account_state).label
        raise AccountUnavailable(_("The account is %(state)s.") % {"state": label})
    if customer_state is not None and customer_state != Customer.State.ACTIVE:
        label = Customer.State(customer_state).label
        raise AccountUnavailable(
            _("The customer registration is %(state)s: no payments can be made now.")
            % {"state": label}
        )


@dataclass(frozen=True, slots=True)
class GateReading:
    """What `athena_money_gate` read under the account's lock (sums in centavos)."""

    account_state: str | None  # None: no such account
    customer_state: str | None  # None: an internal account
    kyc_level: int | None
    sent_today: int
    sent_month: int


def read(*, account_id: int, product: str, now: datetime) -> GateReading:
    """Lock the account and read what the gate judges (one round trip)."""
    day, month = period_starts(now)
    with connection.cursor() as cursor:
        cursor.execute(_GATE_SQL, [account_id, list(_family(product).kinds), day, month])
        row = cursor.fetchone()
    if row is None:
        return GateReading(None, None, None, 0, 0)
    return GateReading(row[0], row[1], row[2], int(row[3] or 0), int(row[4] or 0))


def judge(
    reading: GateReading,
    *,
    product: str,
    amount_cents: int,
    now: datetime,
    account: Account | None = None,
    account_id: int | None = None,
) -> None:
    """Raise a DomainError when the reading does not allow this debit (see the module).
    Callers that read the gate inside a statement of their own (the card authorization
    reads it with the card, in one call) judge it here, with the same rules as `check`."""
    family = _family(product)
    if reading.account_state is None:
        raise AccountUnavailable(_("The account does not exist."))
    _refuse_state(reading.account_state, reading.customer_state)
    level = 3 if reading.kyc_level is None else reading.kyc_level  # an internal account
    if level < FEATURE_LEVELS.get(product, 0):
        raise _feature_locked(product, level)
    limits = KYC_LIMITS[level]
    today, this_month = reading.sent_today, reading.sent_month
    # In the reader's language: the portal's first step shows these on the amount field.
    if today + amount_cents > limits.daily:
        raise LimitExceeded(
            _(
                "Daily %(product)s limit of %(limit)s for KYC level %(level)s exceeded: "
                "%(left)s left today. %(hint)s"
            )
            % {
                "product": family.name,
                "limit": format_brl(limits.daily),
                "level": level,
                "left": format_brl(max(limits.daily - today, 0)),
                "hint": _upgrade_hint(level),
            },
            field="amount",
        )
    if this_month + amount_cents > limits.monthly:
        raise LimitExceeded(
            _(
                "Monthly %(product)s limit of %(limit)s for KYC level %(level)s exceeded: "
                "%(left)s left this month. %(hint)s"
            )
            % {
                "product": family.name,
                "limit": format_brl(limits.monthly),
                "level": level,
                "left": format_brl(max(limits.monthly - this_month, 0)),
                "hint": _upgrade_hint(level),
            },
            field="amount",
        )
    rules = _rules.get(product, ())
    if rules and account is None:
        account = Account.objects.get(pk=account_id)
    for rule in rules:
        rule(account, amount_cents, now)


def check(
    *, account: Account, product: str, amount_cents: int, now: datetime | None = None
) -> None:
    """Raise a DomainError when the account may not debit this amount through the product
    now (see the module docstring). Call it inside the product's transaction."""
    _family(product)
    now = now or timezone.now()
    reading = read(account_id=account.pk, product=product, now=now)
    judge(reading, product=product, amount_cents=amount_cents, now=now, account=account)
