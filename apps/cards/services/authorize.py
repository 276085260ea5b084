"""Authorization as the issuer: the one decision behind the ISO 8583 server (0100/0200,
0400/0420) and the JSON API.

In one transaction, with the card's row locked (every request of a card is serialized, so a
replay and two concurrent purchases are decided one after the other):

1. a replay (same card, MTI, DE 11, DE 37 and terminal) is answered from the first
   decision, without a second hold;
2. the card: unknown PAN 14; requested, cancelled, lost or stolen 14; blocked 62; expiry
   that differs from ours 14, a card past its expiry 54;
3. the card-not-present CVV2 (N7 when wrong) and the PIN when sent (55; three wrong PINs
   block further PIN tries until a new PIN is set);
4. the card's controls: MCC group, online, contactless, abroad 57; per-purchase and daily
   amounts 61;
5. the fraud engine (apps.cards.fraud): decline 59, review approves and opens an alert;
6. the money gate (#6, family "cards"): account and customer state 62, KYC feature level 57,
   the day's and month's limits 61 (open holds of the day count with the postings);
7. the hold: the available balance drops, the balance does not; not enough available 51.
   A 0200 (financial request) is captured at once. Holds expire after CARDS_HOLD_HOURS.

Reversals (0400, and the advice 0420) find the original by the card and DE 90's original
MTI and STAN; the hold is released once, and a repeated reversal answers 00 again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from apps.accounts import services as accounts
from apps.accounts.errors import LimitExceeded
from apps.cards.fraud import FraudDecision
from apps.cards.models import Authorization, Card
from apps.cards.services import card_secrets
from apps.core.errors import DomainError
from apps.core.raw_sql import array_literal, fetch_one
from apps.core.timezones import brasilia_now

logger = logging.getLogger(__name__)

APPROVED = "00"
DO_NOT_HONOUR = "05"
INVALID_CARD = "14"
NO_ORIGINAL = "25"
INSUFFICIENT_FUNDS = "51"
EXPIRED = "54"
WRONG_PIN = "55"
NOT_PERMITTED = "57"
SUSPECTED_FRAUD = "59"
OVER_LIMIT = "61"
RESTRICTED = "62"
PIN_TRIES_EXCEEDED = "75"
ISSUER_UNAVAILABLE = "91"
WRONG_CVV2 = "N7"
MAX_PIN_TRIES = 3

HOME_COUNTRY = "076"  # Brazil, ISO 3166 numeric (DE 19 / DE 43)

# MCC groups a customer may block (card controls).
MCC_GROUPS: dict[str, tuple[str, ...]] = {
    "gambling": ("7995", "7800", "7801", "7802"),
    "crypto": ("6051",),
    "adult": ("5967", "7273"),
    "travel": ("3000", "4511", "4722", "7011", "7512"),
    "fuel": ("5541", "5542", "5983"),
    "restaurants": ("5812", "5813", "5814"),
    "transport": ("4111", "4121", "4131", "4789"),
}


@dataclass(frozen=True)
class AuthRequest:
    """An authorization request, whatever the channel (values as the acquirer sent them)."""

    mti: str
    pan: str
    amount_cents: int
    stan: str
    rrn: str
    terminal_id: str = ""
    merchant_id: str = ""
    merchant_name: str = ""
    mcc: str = ""
    expiry: str = ""  # YYMM (DE 14)
    cvv2: str = ""  # card not present
    pin: str = ""  # in clear here: the channel decrypted the PIN block
    currency: str = "986"
    country: str = HOME_COUNTRY
    entry_mode: str = ""  # DE 22: 01x manual/e-commerce, 05x chip, 07x contactless, 90x stripe
    card_present: bool = True
    device_id: str = ""
    channel: str = Authorization.Channel.ISO8583
    original_mti: str = ""  # reversals: DE 90
    original_stan: str = ""
    message: dict = field(default_factory=dict)  # what was sent, PAN already masked

    @property
    def contactless(self) -> bool:
        return self.entry_mode.startswith("07")

    @property
    def abroad(self) -> bool:
        return self.country not in ("", HOME_COUNTRY, "BR", "BRA")


@dataclass(frozen=True)
class AuthResult:
    response_code: str
    auth_code: str = ""
    authorization_id: int | None = None
    replayed: bool = False

    @property
    def approved(self) -> bool:
        return self.response_code == APPROVED


def _result(row: Authorization, *, replayed: bool = False) -> AuthResult:
    return AuthResult(row.response_code, row.auth_code, row.pk, replayed)


# The two database calls of a decision (migration 0004): see the module's docstring.
_LOAD_SQL = (
    "SELECT * FROM athena_card_auth_load(%s, %s, %s, %s, %s, %s, %s, %s::text[], %s, "
    "%s::integer[], %s::integer[], %s::boolean[], %s, %s, %s)"
)
_NO_STATS = (None, "{}", "{}", "", "", 0)  # the fraud engine's rules are broken: read nothing
_RECORD_SQL = (
    "SELECT * FROM athena_card_auth_record(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)


@dataclass(frozen=True, slots=True)
class CardSnapshot:
    """The card as the decision reads it, locked by the load call (a plain value: building a
    model instance, with its FSM bookkeeping, cost more than the rest of the decision's
    Python). Its columns are athena_card_auth_load's first fifteen, in this order."""

    pk: int
    state: str
    expiry: str
    account_id: int
    customer_id: int
    bin: str
    last4: str
    pin_hash: str
    pin_attempts: int
    per_purchase_limit: int | None
    daily_limit: int | None
    blocked_mcc_groups: list
    online_enabled: bool
    contactless_enabled: bool
    abroad_enabled: bool

    masked_pan = property(Card.masked_pan.fget)


_CARD_COLUMNS = len(CardSnapshot.__slots__)


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What the load call read: the card (locked), a replay's answer, the day's sums and
    the money gate's reading (account locked)."""

    card: CardSnapshot | None
    replay: AuthResult | None = None
    card_spent_today: int = 0
    account_holds_today: int = 0
    gate: Any = None
    fraud_stats: tuple | None = None  # athena_card_fraud_stats's columns (an active card)


@functools.cache
def _card_kinds() -> str:
    """The posting kinds the money gate counts for cards, as the load call takes them."""
    return array_literal(accounts.money_gate_product("cards").kinds)


def _load(request: AuthRequest, now: dt.datetime, plan: Any) -> _Loaded:
    day, month = accounts.money_gate_period_starts(now)
    stats_params = plan.query.params() if plan.query is not None else _NO_STATS
    row = fetch_one(
        _LOAD_SQL,
        (
            card_secrets.pan_hash(request.pan),
            request.mti,
            request.stan[:6],
            request.rrn[:12],
            request.terminal_id[:16],
            day,
            month,
            _card_kinds(),
            now,
            *stats_params,
        ),
    )
    if row is None or row[0] is None:
        return _Loaded(card=None)
    n = _CARD_COLUMNS
    values = list(row[:n])
    # Django's connection reads jsonb as text (its JSONField parses it); so do we.
    if isinstance(values[11], str):
        values[11] = json.loads(values[11])
    card = CardSnapshot(*values)
    replay_id, replay_code, replay_auth_code = row[n : n + 3]
    if replay_id is not None:
        return _Loaded(card, AuthResult(replay_code, replay_auth_code, replay_id, replayed=True))
    spent, holds = row[n + 3 : n + 5]
    gate = accounts.GateReading(*row[n + 5 : n + 10])
    stats = row[n + 10 :]
    return _Loaded(card, None, spent, holds, gate, stats if stats[0] is not None else None)


def _record_decision(
    card: CardSnapshot,
    request: AuthRequest,
    code: str,
    decision: FraudDecision | None,
    now: dt.datetime,
) -> AuthResult:
    """The row of a decision, and for an approval its hold (in the same call: 51 when the
    available balance does not cover it)."""
    approved = not code
    authorization_id, code, auth_code, _hold = fetch_one(
        _RECORD_SQL,
        (
            card.pk,
            card.account_id,
            code or APPROVED,
            _auth_code() if approved else "",
            request.channel,
            request.mti,
            request.stan[:6],
            request.rrn[:12],
            request.terminal_id[:16],
            request.merchant_id[:15],
            request.merchant_name[:40],
            request.mcc[:4],
            request.amount_cents,
            request.currency[:3],
            request.country[:3],
            request.entry_mode[:3],
            request.card_present,
            request.contactless,
            request.device_id[:64],
            decision.score if decision else None,
            Jsonb(decision.reasons if decision else []),
            Jsonb(request.message),
            timezone.now(),
            f"card {card.masked_pan} {request.merchant_name}".strip(),
            now + dt.timedelta(hours=settings.CARDS_HOLD_HOURS),
            _review_due(decision),
        ),
    )
    return AuthResult(code, auth_code, authorization_id)


def _review_due(decision: FraudDecision | None) -> dt.datetime | None:
    """When the compliance queue's item for a doubted approval falls due (None: no item)."""
    if decision is None or decision.action != FraudDecision.REVIEW:
        return None
    return timezone.now() + dt.timedelta(hours=settings.CARDS_FRAUD_REVIEW_DUE_HOURS)


def _card_refusal(card: CardSnapshot | None, request: AuthRequest, now: dt.datetime) -> str:
    if card is None or card.state in (
        Card.State.REQUESTED,
        Card.State.CANCELLED,
        Card.State.LOST,
        Card.State.STOLEN,
    ):
        return INVALID_CARD
    if card.state == Card.State.BLOCKED:
        return RESTRICTED
    if request.expiry and request.expiry != card.expiry:
        return INVALID_CARD
    local = brasilia_now(now)
    if f"{local.year % 100:02d}{local.month:02d}" > card.expiry:
        return EXPIRED
    return ""


def _secret_refusal(card: CardSnapshot, request: AuthRequest) -> str:
    if (
        not request.card_present
        and request.cvv2
        and not card_secrets.cvv2_matches(request.pan, card.expiry, request.cvv2)
    ):
        return WRONG_CVV2
    if request.pin:
        if card.pin_attempts >= MAX_PIN_TRIES:
            return PIN_TRIES_EXCEEDED
        if not card_secrets.pin_matches(request.pin, card.pin_hash):
            Card.objects.filter(pk=card.pk).update(pin_attempts=card.pin_attempts + 1)
            return WRONG_PIN
        if card.pin_attempts:
            Card.objects.filter(pk=card.pk).update(pin_attempts=0)
    return ""


def _control_refusal(card: CardSnapshot, request: AuthRequest, spent_today: int) -> str:
    blocked = {mcc for group in card.blocked_mcc_groups for mcc in MCC_GROUPS.get(group, ())}
    if request.mcc in blocked:
        return NOT_PERMITTED
    if not request.card_present and not card.online_enabled:
        return NOT_PERMITTED
    if request.contactless and not card.contactless_enabled:
        return NOT_PERMITTED
    if request.abroad and not card.abroad_enabled:
        return NOT_PERMITTED
    if card.per_purchase_limit is not None and request.amount_cents > card.per_purchase_limit:
        return OVER_LIMIT
    if card.daily_limit is not None and spent_today + request.amount_cents > card.daily_limit:
        return OVER_LIMIT
    return ""


def _gate_refusal(loaded: _Loaded, request: AuthRequest, now: dt.datetime) -> str:
    """The money gate (#6) on what the load read under the account's lock. The account's
    open holds of the day count with its card postings: a hold is money already spent."""
    try:
        accounts.money_gate_judge(
            loaded.gate,
            product="cards",
            amount_cents=request.amount_cents + loaded.account_holds_today,
            now=now,
            account_id=loaded.card.account_id,
        )
    except LimitExceeded:
        return OVER_LIMIT
    except DomainError as exc:
        return NOT_PERMITTED if exc.code == "kyc_level_required" else RESTRICTED
    return ""


def _fraud_plan(request: AuthRequest) -> Any:
    from apps.cards.fraud import engine

    return engine.plan(request)


def _fraud(
    card: CardSnapshot, request: AuthRequest, now: dt.datetime, plan: Any, loaded: _Loaded
) -> FraudDecision:
    from apps.cards.fraud import engine

    return engine.evaluate(card=card, request=request, now=now, plan=plan, stats=loaded.fraud_stats)


def _auth_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _record(card: CardSnapshot | None, request: AuthRequest, **fields: Any) -> Authorization:
    return Authorization.objects.create(
        card=card,
        channel=request.channel,
        mti=request.mti,
        stan=request.stan[:6],
        rrn=request.rrn[:12],
        terminal_id=request.terminal_id[:16],
        merchant_id=request.merchant_id[:15],
        merchant_name=request.merchant_name[:40],
        mcc=request.mcc[:4],
        amount=request.amount_cents,
        currency=request.currency[:3],
        country=request.country[:3],
        entry_mode=request.entry_mode[:3],
        card_present=request.card_present,
        contactless=request.contactless,
        device_id=request.device_id[:64],
        message=request.message,
        **fields,
    )


def purchase_metadata(card: Card | CardSnapshot, row: Authorization) -> dict:
    """What a card purchase's statement line shows: the merchant, the MCC and the card's
    last four (never more of the PAN)."""
    return {"merchant": row.merchant_name, "mcc": row.mcc, "card_last4": card.last4}


def _capture_now(card: CardSnapshot, row: Authorization) -> None:
    accounts.hold_capture(
        hold_id=row.hold_id,
        counterpart_id=accounts.internal_account_id("card_settlement"),
        kind="card_purchase",
        description=f"card {card.masked_pan} {row.merchant_name}".strip(),
        metadata=purchase_metadata(card, row),
    )
    row.state = Authorization.State.CAPTURED
    row.save(update_fields=["state", "updated_at"])


def authorize(request: AuthRequest, *, now: dt.datetime | None = None) -> AuthResult:
    """Decide an 0100 or 0200 (see the module); never raises for anything a client sends."""
    now = now or timezone.now()
    if request.amount_cents <= 0 or not request.stan or not request.rrn:
        return AuthResult(DO_NOT_HONOUR)
    plan = _fraud_plan(request)
    with transaction.atomic():
        loaded = _load(request, now, plan)
        card = loaded.card
        if loaded.replay is not None:
            return loaded.replay
        code = _card_refusal(card, request, now)
        if card is None:
            # Not our card: nothing to attach the answer to, nothing kept of the PAN.
            return AuthResult(code)
        code = (
            code
            or _secret_refusal(card, request)
            or _control_refusal(card, request, loaded.card_spent_today)
        )
        decision = None
        if not code:
            decision = _fraud(card, request, now, plan, loaded)
            if decision.action == FraudDecision.DECLINE:
                code = SUSPECTED_FRAUD
        code = code or _gate_refusal(loaded, request, now)
        result = _record_decision(card, request, code, decision, now)
        if result.approved and request.mti.startswith("02"):
            _capture_now(card, Authorization.objects.get(pk=result.authorization_id))
    return result


def authorization_reverse(request: AuthRequest, *, now: dt.datetime | None = None) -> AuthResult:
    """A 0400/0420: release the original's hold once; a repeat answers 00 again."""
    now = now or timezone.now()
    with transaction.atomic():
        card = (
            Card.objects.select_for_update(of=("self",))
            .filter(pan_hash=card_secrets.pan_hash(request.pan))
            .first()
        )
        if card is None:
            return AuthResult(INVALID_CARD)
        earlier = Authorization.objects.filter(
            card=card,
            mti=request.mti,
            stan=request.stan[:6],
            rrn=request.rrn[:12],
            terminal_id=request.terminal_id[:16],
        ).first()
        if earlier is not None:
            return _result(earlier, replayed=True)
        original = (
            Authorization.objects.select_for_update()
            .filter(
                card=card,
                mti=request.original_mti or "0100",
                stan=request.original_stan[:6],
                reversal_of__isnull=True,
            )
            .order_by("-created_at")
            .first()
        )
        if original is None:
            row = _record(
                card, request, response_code=NO_ORIGINAL, state=Authorization.State.DECLINED
            )
            return _result(row)
        if original.state == Authorization.State.APPROVED and original.hold_id:
            accounts.hold_release(hold_id=original.hold_id, reason="reversed by the acquirer")
            original.state = Authorization.State.REVERSED
            original.save(update_fields=["state", "updated_at"])
        row = _record(
            card,
            request,
            response_code=APPROVED,
            state=Authorization.State.REVERSED,
            reversal_of=original,
        )
    return _result(row)


def authorizations_expire(*, now: dt.datetime | None = None) -> int:
    """Approved authorizations whose hold expired (no completion came): marked expired
    (the accounts beat released the money; this one releases what it has not yet)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.CARDS_HOLD_HOURS)
    expired = 0
    for row in Authorization.objects.filter(
        state=Authorization.State.APPROVED, created_at__lte=cutoff
    ).values("pk", "hold_id")[:1000]:
        with transaction.atomic():
            auth = Authorization.objects.select_for_update().get(pk=row["pk"])
            if auth.state != Authorization.State.APPROVED:
                continue
            if auth.hold_id:
                # Released by the accounts beat already, or not yet: either way once.
                with contextlib.suppress(DomainError):
                    accounts.hold_release(hold_id=auth.hold_id, reason="expired", expired=True)
            auth.state = Authorization.State.EXPIRED
            auth.save(update_fields=["state", "updated_at"])
            expired += 1
    return expired
