"""Issuing cards and their life: issue (virtual cards are active at once, physical ones once
the customer activates them), block and unblock, cancel, lost or stolen (the card ends and a
replacement is issued on the same account, with the same controls), the PIN, the controls,
and revealing a virtual card's data to its owner (the portal asks a fresh second factor
first).

Cards need KYC level 1 (the money gate's feature level, #6).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts import services as accounts
from apps.accounts.models import Account, Customer
from apps.cards.errors import CardNotFound, CardStateConflict
from apps.cards.models import Card
from apps.cards.services import card_secrets
from apps.core.errors import ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.timezones import brasilia_today

VALID_YEARS = 5
MCC_GROUPS = ("gambling", "crypto", "adult", "travel", "fuel", "restaurants", "transport")
_WEAK_PINS = {"0000", "1111", "1234", "4321", "9999", "1212", "2580", "0123"}


@dataclass(frozen=True)
class IssuedCard:
    """A new card and its data, returned once to the caller that issued it."""

    card: Card
    pan: str
    expiry: str  # YYMM

    @property
    def cvv2(self) -> str:
        return card_secrets.cvv2(self.pan, self.expiry)


def _expiry(today: dt.date) -> str:
    return f"{(today.year + VALID_YEARS) % 100:02d}{today.month:02d}"


def _embossed(name: str) -> str:
    """The name as embossed: plain capitals, at most 26 characters."""
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return re.sub(r"[^A-Z ]", "", plain.upper()).strip()[:26] or "CLIENTE ATHENA"


def _own_account(customer: Customer, account_id: Any) -> Account:
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        raise ValidationFailed(_("Choose the card's account."), field="account")
    account = Account.objects.filter(
        pk=account_id, customer=customer, kind=Account.Kind.CUSTOMER
    ).first()
    if account is None:
        raise CardNotFound(_("Account not found."), field="account")
    if account.state != Account.State.ACTIVE:
        raise CardStateConflict(_("Cards are issued on active accounts only."), field="account")
    return account


def _new_card(**fields: Any) -> IssuedCard:
    for _attempt in range(5):
        pan = card_secrets.new_pan()
        try:
            with transaction.atomic():
                card = Card(
                    pan_encrypted=pan,
                    pan_hash=card_secrets.pan_hash(pan),
                    token=card_secrets.new_token(),
                    bin=pan[:6],
                    last4=pan[-4:],
                    **fields,
                )
                card._change_reason = "issued"
                card.save()
                return IssuedCard(card=card, pan=pan, expiry=card.expiry)
        except IntegrityError:  # a PAN (or token) drawn twice: draw again
            continue
    raise RuntimeError("could not draw a unique PAN")


def card_issue(
    *, customer: Customer, account_id: Any, kind: str, actor: Any = None, now: Any = None
) -> IssuedCard:
    """A new card on one of the customer's accounts; a virtual card is active at once."""
    accounts.money_gate.require_level(customer, "cards")
    if kind not in Card.Kind.values:
        raise ValidationFailed(_("Choose a virtual or a physical card."), field="kind")
    account = _own_account(customer, account_id)
    with transaction.atomic():
        issued = _new_card(
            customer=customer,
            account=account,
            kind=kind,
            holder_name=_embossed(customer.full_name),
            expiry=_expiry(brasilia_today(now)),
        )
        if kind == Card.Kind.VIRTUAL:
            _activate(issued.card, by=actor or "customer", now=now)
    return issued


def _activate(card: Card, *, by: Any, now: Any) -> None:
    card.activated_at = now or timezone.now()
    apply_transition(card, "activate", by=by, reason="activated")


def _locked(customer: Customer | None, card_id: int) -> Card:
    rows = Card.objects.select_for_update(of=("self",)).filter(pk=card_id)
    if customer is not None:
        rows = rows.filter(customer=customer)
    card = rows.first()
    if card is None:
        raise CardNotFound(_("Card not found."))
    return card


def _transition(card: Card, name: str, *, by: Any, reason: str) -> Card:
    try:
        return apply_transition(card, name, by=by, reason=reason)
    except CardStateConflict:
        raise
    except Exception as exc:  # InvalidTransition: say it in the customer's words
        if getattr(exc, "code", "") == "invalid_transition":
            raise CardStateConflict(
                _("This card is %(state)s: that cannot be done now.")
                % {"state": card.get_state_display()}
            ) from None
        raise


@transaction.atomic
def card_activate(*, customer: Customer | None, card_id: int, actor: Any = None) -> Card:
    card = _locked(customer, card_id)
    if card.state != Card.State.REQUESTED:
        raise CardStateConflict(_("Only a card that arrived can be activated."))
    _activate(card, by=actor or "customer", now=None)
    return card


@transaction.atomic
def card_block(
    *, customer: Customer | None, card_id: int, actor: Any = None, reason: str = "blocked"
) -> Card:
    return _transition(_locked(customer, card_id), "block", by=actor or "customer", reason=reason)


@transaction.atomic
def card_unblock(*, customer: Customer | None, card_id: int, actor: Any = None) -> Card:
    return _transition(
        _locked(customer, card_id), "unblock", by=actor or "customer", reason="unblocked"
    )


@transaction.atomic
def card_cancel(
    *, customer: Customer | None, card_id: int, actor: Any = None, reason: str = "cancelled"
) -> Card:
    return _transition(_locked(customer, card_id), "cancel", by=actor or "customer", reason=reason)


@transaction.atomic
def card_report(
    *, customer: Customer | None, card_id: int, stolen: bool, actor: Any = None
) -> IssuedCard:
    """Lost or stolen: the card ends for good and a replacement (same kind, account and
    controls) is issued; a physical replacement waits for its activation."""
    card = _locked(customer, card_id)
    _transition(
        card,
        "report_stolen" if stolen else "report_lost",
        by=actor or "customer",
        reason="stolen" if stolen else "lost",
    )
    replacement = _new_card(
        customer=card.customer,
        account=card.account,
        kind=card.kind,
        holder_name=card.holder_name,
        expiry=_expiry(brasilia_today()),
        replaces=card,
        per_purchase_limit=card.per_purchase_limit,
        daily_limit=card.daily_limit,
        blocked_mcc_groups=card.blocked_mcc_groups,
        online_enabled=card.online_enabled,
        contactless_enabled=card.contactless_enabled,
        abroad_enabled=card.abroad_enabled,
    )
    if card.kind == Card.Kind.VIRTUAL:
        _activate(replacement.card, by=actor or "customer", now=None)
    return replacement


@transaction.atomic
def card_pin_set(*, customer: Customer | None, card_id: int, pin: Any, actor: Any = None) -> Card:
    if not isinstance(pin, str) or not re.fullmatch(r"\d{4}", pin):
        raise ValidationFailed(_("The PIN is four digits."), field="pin")
    if pin in _WEAK_PINS or len(set(pin)) == 1:
        raise ValidationFailed(_("Choose a PIN that is not easy to guess."), field="pin")
    card = _locked(customer, card_id)
    if card.state not in (Card.State.ACTIVE, Card.State.REQUESTED, Card.State.BLOCKED):
        raise CardStateConflict(_("This card has ended."))
    card.pin_hash = card_secrets.pin_hash(pin)
    card.pin_attempts = 0
    card._change_reason = "PIN set"
    card.save(update_fields=["pin_hash", "pin_attempts", "updated_at"])
    return card


def _amount(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValidationFailed(_("A limit must be greater than zero, or empty."), field=field)
    return value


@transaction.atomic
def card_controls_update(
    *, customer: Customer | None, card_id: int, actor: Any = None, **controls: Any
) -> Card:
    """Per-purchase and daily amounts, blocked MCC groups, online, contactless, abroad."""
    card = _locked(customer, card_id)
    if card.state not in Card.LIVE_STATES:
        raise CardStateConflict(_("This card has ended."))
    if "per_purchase_limit" in controls:
        card.per_purchase_limit = _amount(controls["per_purchase_limit"], "per_purchase_limit")
    if "daily_limit" in controls:
        card.daily_limit = _amount(controls["daily_limit"], "daily_limit")
    if "blocked_mcc_groups" in controls:
        groups = controls["blocked_mcc_groups"]
        if not isinstance(groups, list) or any(g not in MCC_GROUPS for g in groups):
            raise ValidationFailed(
                _("Unknown MCC group; the groups are: %(groups)s.")
                % {"groups": ", ".join(MCC_GROUPS)},
                field="blocked_mcc_groups",
            )
        card.blocked_mcc_groups = sorted(set(groups))
    for flag in ("online_enabled", "contactless_enabled", "abroad_enabled"):
        if flag in controls:
            if not isinstance(controls[flag], bool):
                raise ValidationFailed(_("Choose yes or no."), field=flag)
            setattr(card, flag, controls[flag])
    card._change_reason = "controls changed"
    card.save()
    return card


def card_reveal(*, customer: Customer, card_id: int) -> IssuedCard:
    """The card's PAN, expiry and CVV2 for its owner (the caller checked a fresh second
    factor). Recorded in the audit trail; the values are never logged."""
    from apps.core.audit import record_event
    from apps.core.models import AuditEvent

    card = Card.objects.filter(pk=card_id, customer=customer).first()
    if card is None:
        raise CardNotFound(_("Card not found."))
    if card.state not in (Card.State.ACTIVE, Card.State.BLOCKED):
        raise CardStateConflict(_("This card cannot be shown now."))
    record_event(
        AuditEvent.Action.BUSINESS,
        actor=customer.user,
        obj=card,
        detail={"event": "card.revealed", "card": card.masked_pan},
    )
    return IssuedCard(card=card, pan=decrypt_pan(card), expiry=card.expiry)


def decrypt_pan(card: Card) -> str:
    """The clear PAN (the field decrypts on load), for the owner's reveal and the test
    helper only: the authorization path finds cards by the PAN's keyed hash."""
    return card.pan_encrypted
