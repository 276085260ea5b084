"""Writes of the Pix keys domain: keys (DICT entries) and claims. One function per use case.

Keys
    key_register            CPF/CNPJ/EVP: straight into the DICT; PHONE/EMAIL: a code first
    key_confirm_ownership   the code -> the DICT (or, held elsewhere, a claim is offered)
    key_resend_code         a new code for a key waiting for one
    key_delete              out of the DICT (or abandon a key not registered yet)
    key_lookup              a payer's look-up (spends their DICT anti-scan tokens)
    keys_expire_stale       abandoned registrations give their slot back

Claims (OWNERSHIP of a phone/e-mail held by someone else; PORTABILITY of one's own key
held at another institution)
    claim_open              we claim a key held elsewhere (role CLAIMER)
    claim_confirm           our customer gives their key up (role DONOR)
    claim_cancel            our customer withdraws their claim, refuses a portability, or
                            keeps their key against an ownership claim by proving possession
    claim_complete          a confirmed claim of ours: the key becomes ours
    claims_sync             poll the DICT: claims against our keys arrive (customer
                            notified, key locked), our claims progress, deadlines resolve

Every state change goes through `apply_transition` with the actor. Services that must keep
what they did even when they then refuse (a wrong code counts as an attempt; a code proven
before the key turns out to be held elsewhere) commit first and raise after: call them
outside any transaction of your own.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Account, Customer
from apps.core.crypto import keyed_hash
from apps.core.documents import normalize_tax_id
from apps.core.errors import Conflict, DomainError, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.i18n import user_language
from apps.core.models import User
from apps.pix import locks, participants
from apps.pix.adapters import dict as dict_api
from apps.pix.adapters import dict_client, sms_backend
from apps.pix.codecs.keys import (
    InvalidKey,
    KeyType,
    allowed_for_customer_kind,
    check_key_type,
    mask_key,
    normalize_key,
    parse_any_key,
)
from apps.pix.keys.errors import CodeRejected, KeyHeldElsewhere, KeyLimitReached, KeyNotAllowed
from apps.pix.models import OwnershipChallenge, PixClaim, PixKey

logger = logging.getLogger(__name__)

#: A registration nobody finishes (code never confirmed, claim never opened) gives its
#: slot back after this long.
STALE_REGISTRATION_AFTER = timedelta(hours=24)
#: At most one new code per key per minute.
RESEND_INTERVAL = timedelta(seconds=60)
#: Payment accounts of a payment institution are "TRAN" in the pacs.008 domain.
ACCOUNT_TYPE = "TRAN"


# --- Helpers ---------------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def owner_of(customer: Customer) -> dict_api.DictOwner:
    return dict_api.DictOwner(
        type=(
            dict_api.LEGAL_PERSON
            if customer.kind == Customer.Kind.COMPANY
            else dict_api.NATURAL_PERSON
        ),
        tax_id=normalize_tax_id(customer.tax_id),
        name=customer.full_name[:120],
    )


def dict_account_of(account: Account) -> dict_api.DictAccount:
    return dict_api.DictAccount(
        participant=participants.own_ispb(),
        branch=account.branch,
        account_number=account.number,
        account_type=ACCOUNT_TYPE,
        opened_at=account.created_at,
    )


def requester_of(customer: Customer) -> dict_api.DictRequester:
    return dict_api.DictRequester(
        payer_id=normalize_tax_id(customer.tax_id),
        category="PJ" if customer.kind == Customer.Kind.COMPANY else "PF",
        participant=participants.own_ispb(),
    )


def max_keys_for(customer: Customer) -> int:
    if customer.kind == Customer.Kind.COMPANY:
        return settings.PIX_MAX_KEYS_COMPANY
    return settings.PIX_MAX_KEYS_PERSON


def _check_account(account: Account) -> Customer:
    if account.kind != Account.Kind.CUSTOMER or account.customer_id is None:
        raise ValidationFailed(_("Pix keys belong to customer accounts."), field="account")
    if account.state != Account.State.ACTIVE:
        raise Conflict(
            _("The account is %(state)s: its keys cannot change."),
            params={"state": account.get_state_display()},
            code="account_unavailable",
        )
    customer = account.customer
    if customer.state in (Customer.State.BLOCKED, Customer.State.CLOSED):
        raise Conflict(
            _("The customer is %(state)s."),
            params={"state": customer.get_state_display()},
            code="customer_unavailable",
        )
    return customer


def _check_document_key(customer: Customer, key_type: str, value: str) -> None:
    if not allowed_for_customer_kind(key_type, customer.kind):
        raise KeyNotAllowed(
            _("A natural person cannot have a CNPJ key.")
            if key_type == KeyType.CNPJ
            else _("A company cannot have a CPF key."),
            field="type",
            value=key_type,
        )
    if key_type in (KeyType.CPF, KeyType.CNPJ) and value != normalize_tax_id(customer.tax_id):
        raise KeyNotAllowed(
            _("A %(type)s key must be the customer's own %(type)s."),
            params={"type": key_type},
            field="key",
        )


def _ensure_slot(account: Account, customer: Customer) -> None:
    taken = PixKey.objects.filter(account=account, state__in=PixKey.SLOT_STATES).count()
    limit = max_keys_for(customer)
    if taken >= limit:
        if customer.kind == Customer.Kind.COMPANY:
            message = _(
                "Pix key limit reached: a company's account may hold at most %(limit)d keys, "
                "and this account already has %(taken)d. Delete a key before registering "
                "another."
            )
        else:
            message = _(
                "Pix key limit reached: a natural person's account may hold at most %(limit)d "
                "keys, and this account already has %(taken)d. Delete a key before "
                "registering another."
            )
        raise KeyLimitReached(
            message,
            params={"limit": limit, "taken": taken},
            field="account",
            value=account.pk,
        )


def _refuse_duplicate(customer: Customer, value: str) -> None:
    if not value:
        return
    mine = (
        PixKey.objects.filter(customer=customer, key=value, state__in=PixKey.SLOT_STATES)
        .select_related("account")
        .first()
    )
    if mine is not None:
        raise Conflict(
            _("This key is already yours (account %(account)s, %(state)s)."),
            params={"account": mine.account.number, "state": mine.get_state_display()},
            code="key_already_registered",
            field="key",
        )


def _expire_stale(queryset, now: datetime) -> int:
    count = 0
    stale = queryset.filter(
        state__in=(PixKey.State.PENDING_OWNERSHIP, PixKey.State.AWAITING_CLAIM),
        updated_at__lt=now - STALE_REGISTRATION_AFTER,
    )
    for pix_key in stale.select_for_update(skip_locked=True):
        apply_transition(
            pix_key, "cancel", by="system", reason="registration abandoned (not finished in 24h)"
        )
        count += 1
    return count


# --- Possession codes ------------------------------------------------------------------------


def _code_hash(challenge_salt: str, code: str) -> str:
    return keyed_hash(f"pix-possession:{challenge_salt}:{code}")


def _salt(pix_key: PixKey, purpose: str, created_at: datetime) -> str:
    return f"{pix_key.pk}:{purpose}:{created_at.isoformat()}"


def _issue_code(
    pix_key: PixKey, purpose: str, now: datetime, *, claim: PixClaim | None = None
) -> OwnershipChallenge:
    """A fresh 6-digit code for the key (earlier ones die), sent after commit."""
    OwnershipChallenge.objects.filter(
        pix_key=pix_key, purpose=purpose, verified_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)  # no history on challenges: a plain UPDATE is what we want
    code = f"{secrets.randbelow(1_000_000):06d}"
    challenge = OwnershipChallenge.objects.create(
        pix_key=pix_key,
        claim=claim,
        purpose=purpose,
        code_hash=_code_hash(_salt(pix_key, purpose, now), code),
        created_at=now,
        expires_at=now + settings.PIX_OWNERSHIP_CODE_TTL,
    )
    key_type, key = pix_key.key_type, pix_key.key
    # The holder reads the code in their language (apps.core.i18n), whatever the request's.
    language = user_language(
        User.objects.filter(customer__accounts__pk=pix_key.account_id).only("language").first()
    )
    transaction.on_commit(lambda: _deliver_code(key_type, key, code, purpose, language))
    logger.info(
        "pix possession code issued",
        extra={"key": mask_key(key_type, key), "purpose": purpose, "challenge": challenge.pk},
    )
    return challenge


def _deliver_code(key_type: str, key: str, code: str, purpose: str, language: str) -> None:
    values = {
        "bank": settings.PIX_PARTICIPANT_NAME,
        "code": code,
        "minutes": int(settings.PIX_OWNERSHIP_CODE_TTL.total_seconds() // 60),
    }
    with translation.override(language):
        if purpose == OwnershipChallenge.Purpose.REGISTER:
            text = gettext(
                "%(bank)s: your code to confirm this Pix key is %(code)s. It expires in "
                "%(minutes)d minutes. Never share it."
            )
        else:
            text = gettext(
                "%(bank)s: your code to keep your Pix key against a claim is %(code)s. It "
                "expires in %(minutes)d minutes. Never share it."
            )
        text %= values
        subject = gettext("%(bank)s: Pix key code") % values
    try:
        if key_type == KeyType.EMAIL:
            send_mail(subject, text, None, [key])
        else:
            sms_backend().send(to=key, body=text)
    except Exception:  # the customer can ask for a new code; never fail the commit
        logger.warning(
            "pix possession code not delivered",
            extra={"key": mask_key(key_type, key)},
            exc_info=True,
        )


def _verify_code(
    pix_key: PixKey, purpose: str, code: str, now: datetime, *, claim: PixClaim | None = None
) -> CodeRejected | None:
    """Check the code against the key's latest challenge; counts the attempt. Returns the
    refusal (not raised: the attempt must be kept) or None when accepted."""
    if not isinstance(code, str) or len(code) != 6 or not code.isdigit():
        return CodeRejected("The code has 6 digits.")
    challenges = OwnershipChallenge.objects.select_for_update().filter(
        pix_key=pix_key, purpose=purpose, verified_at__isnull=True
    )
    if claim is not None:
        challenges = challenges.filter(claim=claim)
    challenge = challenges.order_by("-created_at", "-pk").first()
    if challenge is None:
        return CodeRejected("No code was sent for this key: ask for one.", code="code_not_sent")
    if challenge.expires_at <= now:
        return CodeRejected("The code has expired: ask for a new one.", code="code_expired")
    limit = settings.PIX_OWNERSHIP_CODE_MAX_ATTEMPTS
    if challenge.attempts >= limit:
        return CodeRejected("Too many wrong codes: ask for a new one.", code="code_attempts")
    challenge.attempts += 1
    expected = _code_hash(_salt(pix_key, purpose, challenge.created_at), code)
    if not hmac.compare_digest(expected, challenge.code_hash):
        challenge.save(update_fields=["attempts"])
        left = limit - challenge.attempts
        if left <= 0:
            return CodeRejected("Wrong code, and no attempts left.", code="code_attempts")
        return CodeRejected(f"Wrong code: {left} attempt(s) left.")
    challenge.verified_at = now
    challenge.save(update_fields=["attempts", "verified_at"])
    return None


# --- Keys ------------------------------------------------------------------------------------


def _register_in_directory(
    pix_key: PixKey, *, transition: str, by, now: datetime
) -> dict_api.DictError | None:
    """createEntry; on success the key is ours (transition fired). A key held elsewhere
    comes back as the DICT's answer (for the caller to offer the claim); other refusals
    raise."""
    try:
        entry = dict_client().create_entry(
            key_type=pix_key.key_type,
            key=pix_key.key or None,
            account=dict_account_of(pix_key.account),
            owner=owner_of(pix_key.customer),
            request_id=pix_key.request_id,
            now=now,
        )
    except (
        dict_api.EntryKeyOwnedByDifferentPerson,
        dict_api.EntryKeyInCustodyOfDifferentParticipant,
    ) as held:
        return held
    pix_key.key = entry.key
    pix_key.registered_at = entry.created_at
    pix_key.ownership_since = entry.key_ownership_date
    apply_transition(pix_key, transition, by=by, reason="registered in the DICT")
    logger.info(
        "pix key registered",
        extra={"key": mask_key(pix_key.key_type, pix_key.key), "id": pix_key.pk},
    )
    return None


def _claim_type_for(held: dict_api.DictError) -> str:
    if isinstance(held, dict_api.EntryKeyOwnedByDifferentPerson):
        return dict_api.OWNERSHIP
    return dict_api.PORTABILITY


def _held_elsewhere(pix_key_type: str, claim_type: str) -> KeyHeldElsewhere:
    if claim_type == dict_api.OWNERSHIP:
        message = (
            "This key is registered in the DICT for another person. You proved you hold it: "
            "open an ownership claim (POST /api/v1/pix/claims with type OWNERSHIP)."
        )
    else:
        message = (
            "This key is registered in your name at another institution. Bring it here with "
            "a portability claim (POST /api/v1/pix/claims with type PORTABILITY)."
        )
    return KeyHeldElsewhere(message, claim_type=claim_type)


def key_register(
    *,
    account: Account,
    key_type: str,
    key: str | None = None,
    actor=None,
    now: datetime | None = None,
) -> PixKey:
    """Register a key for an account.

    CPF, CNPJ and EVP go to the DICT at once (an EVP is generated by the DICT); PHONE and
    EMAIL wait for the possession code sent to them (`key_confirm_ownership`). A CPF/CNPJ
    key held at another institution raises KeyHeldElsewhere (portability is the way)."""
    now = _now(now)
    check_key_type(key_type)
    customer = _check_account(account)
    if key_type == KeyType.EVP:
        if key:
            raise InvalidKey(_("Random keys (EVP) are generated by the DICT: send no key."))
        value = ""
    else:
        value = normalize_key(key_type, key or "")
    _check_document_key(customer, key_type, value)
    with transaction.atomic():
        locks.account_keys_lock(account.pk)
        _expire_stale(PixKey.objects.filter(account=account), now)
        _refuse_duplicate(customer, value)
        _ensure_slot(account, customer)
        needs_proof = key_type in KeyType.NEEDS_POSSESSION_PROOF
        pix_key = PixKey.objects.create(
            account=account,
            customer=customer,
            key_type=key_type,
            key=value,
            state=PixKey.State.PENDING_OWNERSHIP if needs_proof else PixKey.State.REGISTERING,
        )
        if needs_proof:
            _issue_code(pix_key, OwnershipChallenge.Purpose.REGISTER, now)
            return pix_key
        held = _register_in_directory(pix_key, transition="activate", by=actor, now=now)
        if held is not None:
            raise _held_elsewhere(key_type, _claim_type_for(held))
    return pix_key


def key_confirm_ownership(
    *, pix_key: PixKey, code: str, actor=None, now: datetime | None = None
) -> PixKey:
    """The code sent to a PHONE/EMAIL key: the key goes to the DICT and becomes active.

    If the DICT has it for someone else (or for the customer at another institution), the
    key waits in AWAITING_CLAIM with the claim to open, and KeyHeldElsewhere is raised
    after commit. A wrong code counts as one of the 5 attempts (kept, then raised); the
    last wrong one cancels the registration."""
    now = _now(now)
    error: DomainError | None = None
    with transaction.atomic():
        pix_key = locks.key_for_update(pix_key.pk, with_account=True)
        if pix_key.state != PixKey.State.PENDING_OWNERSHIP:
            raise Conflict(
                _("This key is not waiting for a code (it is %(state)s)."),
                params={"state": pix_key.get_state_display()},
                code="key_not_pending",
            )
        _check_account(pix_key.account)
        error = _verify_code(pix_key, OwnershipChallenge.Purpose.REGISTER, code, now)
        if error is None:
            pix_key.possession_verified_at = now
            held = _register_in_directory(
                pix_key, transition="confirm_ownership", by=actor, now=now
            )
            if held is not None:
                pix_key.claim_offer = _claim_type_for(held)
                apply_transition(
                    pix_key,
                    "offer_claim",
                    by=actor,
                    reason=f"held elsewhere in the DICT: {pix_key.claim_offer} claim offered",
                )
                error = _held_elsewhere(pix_key.key_type, pix_key.claim_offer)
        elif error.code == "code_attempts":
            apply_transition(pix_key, "cancel", by=actor, reason="too many wrong codes")
    if error is not None:
        raise error
    return pix_key


def key_resend_code(*, pix_key: PixKey, actor=None, now: datetime | None = None) -> PixKey:
    now = _now(now)
    with transaction.atomic():
        pix_key = locks.key_for_update(pix_key.pk)
        if pix_key.state != PixKey.State.PENDING_OWNERSHIP:
            raise Conflict(_("This key is not waiting for a code."), code="key_not_pending")
        last = pix_key.challenges.order_by("-created_at").first()
        if last is not None and now - last.created_at < RESEND_INTERVAL:
            raise Conflict(_("A code was just sent: wait a minute."), code="code_recently_sent")
        _issue_code(pix_key, OwnershipChallenge.Purpose.REGISTER, now)
        pix_key.save(update_fields=["updated_at"])
    return pix_key


def key_delete(
    *,
    pix_key: PixKey,
    actor=None,
    reason: str = "",
    dict_reason: str = dict_api.USER_REQUESTED,
    now: datetime | None = None,
) -> PixKey:
    """Take a key out of the DICT (or abandon one not registered yet)."""
    now = _now(now)
    with transaction.atomic():
        pix_key = locks.key_for_update(pix_key.pk)
        state = pix_key.state
        if state == PixKey.State.ACTIVE:
            try:
                dict_client().delete_entry(key=pix_key.key, reason=dict_reason, now=now)
            except dict_api.EntryNotFound:
                logger.warning(
                    "pix key was not in the DICT",
                    extra={"key": mask_key(pix_key.key_type, pix_key.key)},
                )
            apply_transition(pix_key, "delete_key", by=actor, reason=reason or "deleted")
        elif state in (
            PixKey.State.REGISTERING,
            PixKey.State.PENDING_OWNERSHIP,
            PixKey.State.AWAITING_CLAIM,
        ):
            apply_transition(pix_key, "cancel", by=actor, reason=reason or "abandoned")
        elif state == PixKey.State.LOCKED_BY_CLAIM:
            raise Conflict(
                _("Another institution claimed this key: answer the claim before deleting it."),
                code="key_locked_by_claim",
            )
        elif state == PixKey.State.CLAIMING:
            raise Conflict(
                _("Your claim for this key is in progress: cancel the claim instead."),
                code="key_claim_in_progress",
            )
        else:
            raise Conflict(
                _("This key is already %(state)s."),
                params={"state": pix_key.get_state_display()},
                code="key_not_live",
            )
    logger.info("pix key deleted", extra={"key": mask_key(pix_key.key_type, pix_key.key)})
    return pix_key


def keys_expire_stale(*, now: datetime | None = None) -> int:
    now = _now(now)
    with transaction.atomic():
        return _expire_stale(PixKey.objects.all(), now)


def key_lookup(
    *, key: str, requester: Customer, now: datetime | None = None
) -> dict_api.DictEntryRecord:
    """A payer looks a key up. Spends the payer's DICT anti-scan tokens (found: 1, not
    found: 20); raises RateLimited (429) when their bucket is empty, EntryNotFound (404)."""
    key_type, value = parse_any_key(key)
    entry = dict_client().get_entry(key=value, requester=requester_of(requester), now=now)
    logger.info("pix key looked up", extra={"key": mask_key(key_type, value)})
    return entry
