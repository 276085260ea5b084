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
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format

from apps.accounts.models import Account, Customer
from apps.core.crypto import keyed_hash
from apps.core.documents import normalize_tax_id
from apps.core.errors import Conflict, DomainError, ValidationFailed
from apps.core.fsm import apply_transition
from apps.pix import participants
from apps.pix.adapters import dict as dict_api
from apps.pix.adapters import dict_client, sms_backend
from apps.pix.keys import (
    InvalidKey,
    KeyType,
    allowed_for_customer_kind,
    check_key_type,
    mask_key,
    normalize_key,
    parse_any_key,
)
from apps.pix.models import OwnershipChallenge, PixClaim, PixKey

logger = logging.getLogger(__name__)

#: A registration nobody finishes (code never confirmed, claim never opened) gives its
#: slot back after this long.
STALE_REGISTRATION_AFTER = timedelta(hours=24)
#: At most one new code per key per minute.
RESEND_INTERVAL = timedelta(seconds=60)
#: Payment accounts of a payment institution are "TRAN" in the pacs.008 domain.
ACCOUNT_TYPE = "TRAN"

_CLAIM_STATE_OF = {
    dict_api.OPEN: PixClaim.State.OPEN,
    dict_api.WAITING_RESOLUTION: PixClaim.State.WAITING_RESOLUTION,
    dict_api.CONFIRMED: PixClaim.State.CONFIRMED,
    dict_api.CANCELLED: PixClaim.State.CANCELLED,
    dict_api.COMPLETED: PixClaim.State.COMPLETED,
}
_FORWARD = [
    (PixClaim.State.OPEN, "acknowledge"),
    (PixClaim.State.WAITING_RESOLUTION, "confirm"),
    (PixClaim.State.CONFIRMED, "complete"),
]


# --- Errors ----------------------------------------------------------------------------------


class KeyLimitReached(DomainError):
    code = "key_limit_reached"
    title = "Pix key limit reached"


class KeyNotAllowed(ValidationFailed):
    code = "key_not_allowed"
    title = "This key cannot be registered by this customer"


class KeyHeldElsewhere(Conflict):
    """The key is in the DICT for someone else or at another institution: a claim is the
    way to get it. `claim_type` says which."""

    title = "Key registered elsewhere: a claim can be opened"

    def __init__(self, message: str, *, claim_type: str) -> None:
        super().__init__(
            message,
            code=(
                "key_ownership_claim_available"
                if claim_type == dict_api.OWNERSHIP
                else "key_portability_available"
            ),
            field="key",
        )
        self.claim_type = claim_type


class CodeRejected(ValidationFailed):
    code = "ownership_code_invalid"
    title = "Possession code not accepted"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, field="code")


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


def _lock_account_keys(account_id: int) -> None:
    """Serialize key registrations of one account (the slot count), without touching the
    account row the ledger locks for every debit."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"pix-keys:{account_id}"]
        )


def _check_account(account: Account) -> Customer:
    if account.kind != Account.Kind.CUSTOMER or account.customer_id is None:
        raise ValidationFailed("Pix keys belong to customer accounts.", field="account")
    if account.state != Account.State.ACTIVE:
        raise Conflict(
            f"The account is {account.get_state_display()}: its keys cannot change.",
            code="account_unavailable",
        )
    customer = account.customer
    if customer.state in (Customer.State.BLOCKED, Customer.State.CLOSED):
        raise Conflict(
            f"The customer is {customer.get_state_display()}.", code="customer_unavailable"
        )
    return customer


def _check_document_key(customer: Customer, key_type: str, value: str) -> None:
    if not allowed_for_customer_kind(key_type, customer.kind):
        raise KeyNotAllowed(
            "A natural person cannot have a CNPJ key."
            if key_type == KeyType.CNPJ
            else "A company cannot have a CPF key.",
            field="type",
            value=key_type,
        )
    if key_type in (KeyType.CPF, KeyType.CNPJ) and value != normalize_tax_id(customer.tax_id):
        raise KeyNotAllowed(f"A {key_type} key must be the customer's own {key_type}.", field="key")


def _ensure_slot(account: Account, customer: Customer) -> None:
    taken = PixKey.objects.filter(account=account, state__in=PixKey.SLOT_STATES).count()
    limit = max_keys_for(customer)
    if taken >= limit:
        who = "a company's" if customer.kind == Customer.Kind.COMPANY else "a natural person's"
        raise KeyLimitReached(
            f"Pix key limit reached: {who} account may hold at most {limit} keys, and this "
            f"account already has {taken}. Delete a key before registering another.",
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
            f"This key is already yours (account {mine.account.number}, "
            f"{mine.get_state_display()}).",
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
    transaction.on_commit(lambda: _deliver_code(key_type, key, code, purpose))
    logger.info(
        "pix possession code issued",
        extra={"key": mask_key(key_type, key), "purpose": purpose, "challenge": challenge.pk},
    )
    return challenge


def _deliver_code(key_type: str, key: str, code: str, purpose: str) -> None:
    minutes = int(settings.PIX_OWNERSHIP_CODE_TTL.total_seconds() // 60)
    what = (
        "to confirm this Pix key"
        if purpose == OwnershipChallenge.Purpose.REGISTER
        else "to keep your Pix key against a claim"
    )
    text = (
        f"{settings.PIX_PARTICIPANT_NAME}: your code {what} is {code}. "
        f"It expires in {minutes} minutes. Never share it."
    )
    try:
        if key_type == KeyType.EMAIL:
            send_mail(f"{settings.PIX_PARTICIPANT_NAME}: Pix key code", text, None, [key])
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
            raise InvalidKey("Random keys (EVP) are generated by the DICT: send no key.")
        value = ""
    else:
        value = normalize_key(key_type, key or "")
    _check_document_key(customer, key_type, value)
    with transaction.atomic():
        _lock_account_keys(account.pk)
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
        pix_key = PixKey.objects.select_for_update().select_related("account").get(pk=pix_key.pk)
        if pix_key.state != PixKey.State.PENDING_OWNERSHIP:
            raise Conflict(
                f"This key is not waiting for a code (it is {pix_key.get_state_display()}).",
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
        pix_key = PixKey.objects.select_for_update().get(pk=pix_key.pk)
        if pix_key.state != PixKey.State.PENDING_OWNERSHIP:
            raise Conflict("This key is not waiting for a code.", code="key_not_pending")
        last = pix_key.challenges.order_by("-created_at").first()
        if last is not None and now - last.created_at < RESEND_INTERVAL:
            raise Conflict("A code was just sent: wait a minute.", code="code_recently_sent")
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
        pix_key = PixKey.objects.select_for_update().get(pk=pix_key.pk)
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
                "Another institution claimed this key: answer the claim before deleting it.",
                code="key_locked_by_claim",
            )
        elif state == PixKey.State.CLAIMING:
            raise Conflict(
                "Your claim for this key is in progress: cancel the claim instead.",
                code="key_claim_in_progress",
            )
        else:
            raise Conflict(
                f"This key is already {pix_key.get_state_display()}.", code="key_not_live"
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


# --- Claims ----------------------------------------------------------------------------------


@dataclass
class ClaimCancelOutcome:
    claim: PixClaim
    code_sent: bool = False


def _check_claim_type(claim_type: str, key_type: str) -> None:
    if claim_type not in (dict_api.OWNERSHIP, dict_api.PORTABILITY):
        raise ValidationFailed(
            "Claim type is OWNERSHIP or PORTABILITY.", field="type", value=claim_type
        )
    if claim_type == dict_api.OWNERSHIP and key_type not in KeyType.OWNERSHIP_CLAIMABLE:
        raise ValidationFailed(
            "Only phone and e-mail keys admit an ownership claim; CPF/CNPJ keys move by "
            "portability.",
            code="claim_type_not_allowed",
            field="type",
        )
    if claim_type == dict_api.PORTABILITY and key_type not in KeyType.PORTABLE:
        raise ValidationFailed(
            "Random keys (EVP) cannot be ported: register a new one here.",
            code="claim_type_not_allowed",
            field="type",
        )


def claim_open(
    *,
    account: Account,
    key: str,
    claim_type: str,
    actor=None,
    now: datetime | None = None,
) -> PixClaim:
    """We claim a key held elsewhere, for this account.

    PHONE/EMAIL: the customer must have proven possession first (registered the key and
    confirmed the code, which left it awaiting this claim). CPF/CNPJ: their own document,
    portability only."""
    now = _now(now)
    key_type, value = parse_any_key(key)
    _check_claim_type(claim_type, key_type)
    customer = _check_account(account)
    _check_document_key(customer, key_type, value)
    client = dict_client()
    with transaction.atomic():
        _lock_account_keys(account.pk)
        _expire_stale(PixKey.objects.filter(account=account), now)
        pix_key = (
            PixKey.objects.select_for_update()
            .filter(account=account, key=value, state=PixKey.State.AWAITING_CLAIM)
            .order_by("-pk")
            .first()
        )
        if key_type in KeyType.NEEDS_POSSESSION_PROOF and (
            pix_key is None or pix_key.possession_verified_at is None
        ):
            raise ValidationFailed(
                "Prove you hold this key first: register it (POST /api/v1/pix/keys) and "
                "confirm the code sent to it; the claim is offered then.",
                code="possession_proof_required",
                field="key",
            )
        if pix_key is None:
            _refuse_duplicate(customer, value)
            _ensure_slot(account, customer)
            pix_key = PixKey.objects.create(
                account=account, customer=customer, key_type=key_type, key=value
            )
        if (
            PixKey.objects.filter(key=value, state=PixKey.State.CLAIMING)
            .exclude(pk=pix_key.pk)
            .exists()
        ):
            raise Conflict("A claim for this key is already in progress.", code="claim_exists")
        record = client.create_claim(
            claim_type=claim_type,
            key_type=key_type,
            key=value,
            claimer_account=dict_account_of(account),
            claimer=owner_of(customer),
            now=now,
        )
        apply_transition(pix_key, "start_claim", by=actor, reason=f"{claim_type} claim opened")
        claim = PixClaim.objects.create(
            dict_claim_id=record.id,
            role=PixClaim.Role.CLAIMER,
            claim_type=claim_type,
            key_type=key_type,
            key=value,
            pix_key=pix_key,
            account=account,
            customer=customer,
            counterpart_ispb=record.donor_participant,
            resolution_period_end=record.resolution_period_end,
            completion_period_end=record.completion_period_end,
            dict_last_modified=record.last_modified,
        )
        logger.info(
            "pix claim opened",
            extra={"key": mask_key(key_type, value), "type": claim_type, "claim": claim.pk},
        )
        if record.donor_participant == participants.own_ispb():
            # Both sides here (an ownership claim between two of our customers): receive it
            # as the donor now rather than at the next poll.
            _sync_donor(client, record, now)
    return claim


def _mirror(claim: PixClaim, record: dict_api.DictClaimRecord, *, by) -> bool:
    """Bring our claim (and its key) to the DICT's status. True if anything changed."""
    claim.resolution_period_end = record.resolution_period_end
    claim.completion_period_end = record.completion_period_end
    claim.dict_last_modified = record.last_modified
    claim.confirm_reason = record.confirm_reason or claim.confirm_reason
    claim.cancel_reason = record.cancel_reason or claim.cancel_reason
    claim.cancelled_by = record.cancelled_by or claim.cancelled_by
    target = _CLAIM_STATE_OF[record.status]
    changed = False
    if claim.state != target and not claim.is_final:
        if target == PixClaim.State.CANCELLED:
            apply_transition(
                claim, "cancel", by=by, reason=f"{record.cancel_reason} by {record.cancelled_by}"
            )
        else:
            order = [state for state, _ in _FORWARD] + [PixClaim.State.COMPLETED]
            while claim.state != target and order.index(claim.state) < order.index(target):
                name = dict(_FORWARD)[claim.state]
                reason = record.confirm_reason if name == "confirm" else ""
                apply_transition(claim, name, by=by, reason=reason)
        changed = True
    else:
        claim.save()
    pix_key = PixKey.objects.select_for_update().get(pk=claim.pix_key_id)
    if claim.role == PixClaim.Role.DONOR and pix_key.state == PixKey.State.LOCKED_BY_CLAIM:
        if claim.state in (PixClaim.State.CONFIRMED, PixClaim.State.COMPLETED):
            apply_transition(
                pix_key, "give_up", by=by, reason=f"{claim.claim_type} claim confirmed"
            )
            changed = True
        elif claim.state == PixClaim.State.CANCELLED:
            apply_transition(pix_key, "unlock", by=by, reason="claim cancelled: key kept")
            changed = True
    if (
        claim.role == PixClaim.Role.CLAIMER
        and pix_key.state == PixKey.State.CLAIMING
        and claim.state == PixClaim.State.CANCELLED
    ):
        apply_transition(
            pix_key,
            "claim_failed",
            by=by,
            reason=f"claim cancelled ({record.cancel_reason} by {record.cancelled_by})",
        )
        changed = True
    return changed


def _notify_donor(claim: PixClaim) -> None:
    email = claim.customer.user.email
    deadline = date_format(timezone.localtime(claim.resolution_period_end), "DATETIME_FORMAT")
    key = mask_key(claim.key_type, claim.key)
    other = participants.name_of(claim.counterpart_ispb)
    if claim.claim_type == dict_api.PORTABILITY:
        body = (
            f"You asked {other} to bring your Pix key {key} there (portability). Confirm or "
            f"refuse it in the app by {deadline}; unanswered, the request is cancelled and "
            f"the key stays here."
        )
    else:
        body = (
            f"Someone at {other} claims your Pix key {key}, saying the phone number or e-mail "
            f"is now theirs. To keep it, prove you still hold it (we send a code to it) by "
            f"{deadline}. Unanswered, the key is released to the claimer."
        )
    subject = f"{settings.PIX_PARTICIPANT_NAME}: a claim on your Pix key {key}"

    def send() -> None:
        try:
            send_mail(subject, body, None, [email])
        except Exception:
            logger.warning("pix claim notice not delivered", exc_info=True)

    transaction.on_commit(send)


def _sync_donor(
    client, record: dict_api.DictClaimRecord, now: datetime
) -> tuple[int, dict_api.DictClaimRecord]:
    """A claim against one of our keys: receive it (lock the key, acknowledge, notify),
    follow it, and apply the outcome DICT's rules give at the end of the resolution
    period."""
    changed = 0
    claim = (
        PixClaim.objects.select_for_update()
        .filter(dict_claim_id=record.id, role=PixClaim.Role.DONOR)
        .first()
    )
    if claim is None:
        if record.status not in (dict_api.OPEN, dict_api.WAITING_RESOLUTION):
            return 0, record
        pix_key = (
            PixKey.objects.select_for_update()
            .filter(key=record.key, state=PixKey.State.ACTIVE)
            .first()
        )
        if pix_key is None:
            logger.warning(
                "claim against a key we do not hold",
                extra={"key": mask_key(record.key_type, record.key), "claim": str(record.id)},
            )
            return 0, record
        apply_transition(
            pix_key,
            "lock_for_claim",
            by="dict",
            reason=f"{record.claim_type} claim by {record.claimer_participant}",
        )
        claim = PixClaim.objects.create(
            dict_claim_id=record.id,
            role=PixClaim.Role.DONOR,
            claim_type=record.claim_type,
            key_type=record.key_type,
            key=record.key,
            pix_key=pix_key,
            account=pix_key.account,
            customer=pix_key.customer,
            counterpart_ispb=record.claimer_participant,
            resolution_period_end=record.resolution_period_end,
            completion_period_end=record.completion_period_end,
            dict_last_modified=record.last_modified,
            notified_at=now,
        )
        if record.status == dict_api.OPEN:
            record = client.acknowledge_claim(claim_id=record.id, now=now)
        _notify_donor(claim)
        changed += 1
    if _mirror(claim, record, by="dict"):
        changed += 1
    if claim.state == PixClaim.State.WAITING_RESOLUTION and now >= claim.resolution_period_end:
        if claim.claim_type == dict_api.OWNERSHIP:
            record = client.confirm_claim(
                claim_id=record.id, reason=dict_api.DEFAULT_OPERATION, now=now
            )
        else:
            record = client.cancel_claim(
                claim_id=record.id, reason=dict_api.DEFAULT_OPERATION, now=now
            )
        _mirror(claim, record, by="system:claim-deadline")
        changed += 1
    return changed, record


def _complete(
    client, claim: PixClaim, now: datetime, *, by
) -> tuple[PixClaim, dict_api.DictClaimRecord]:
    pix_key = PixKey.objects.select_for_update().get(pk=claim.pix_key_id)
    record, entry = client.complete_claim(
        claim_id=claim.dict_claim_id, request_id=pix_key.request_id, now=now
    )
    pix_key.key = entry.key
    pix_key.registered_at = entry.created_at
    pix_key.ownership_since = entry.key_ownership_date
    pix_key.claim_offer = ""
    apply_transition(pix_key, "claim_completed", by=by, reason=f"{claim.claim_type} completed")
    _mirror(claim, record, by=by)
    return claim, record


def _sync_claimer(
    client, record: dict_api.DictClaimRecord, now: datetime
) -> tuple[int, dict_api.DictClaimRecord]:
    claim = (
        PixClaim.objects.select_for_update()
        .filter(dict_claim_id=record.id, role=PixClaim.Role.CLAIMER)
        .first()
    )
    if claim is None:
        return 0, record
    changed = int(_mirror(claim, record, by="dict"))
    if claim.state == PixClaim.State.CONFIRMED and (
        claim.claim_type == dict_api.PORTABILITY
        or claim.completion_period_end is None
        or now >= claim.completion_period_end
    ):
        claim, record = _complete(client, claim, now, by="dict")
        changed += 1
    return changed, record


def claims_sync(*, now: datetime | None = None) -> int:
    """Poll the DICT for claims we are party to and act on them; returns changes made.

    Each claim is handled in its own transaction: one failure does not undo the others."""
    now = _now(now)
    client = dict_client()
    ours = participants.own_ispb()
    seen: set = set()
    changed = 0
    modified_after = None
    for _page in range(100):
        page = client.list_claims(
            statuses=dict_api.OPEN_STATUSES, modified_after=modified_after, now=now
        )
        for record in page.claims:
            if record.id in seen:
                continue
            seen.add(record.id)
            changed += _sync_record(client, record, ours, now)
        if not page.has_more or not page.claims:
            break
        modified_after = page.claims[-1].last_modified
    unfinished = (
        PixClaim.objects.exclude(state__in=PixClaim.FINAL_STATES)
        .exclude(dict_claim_id__in=seen)
        .values_list("dict_claim_id", flat=True)
        .distinct()
    )
    for claim_id in list(unfinished):
        try:
            record = client.get_claim(claim_id=claim_id, now=now)
        except dict_api.ClaimNotFound:
            logger.warning("claim vanished from the DICT", extra={"claim": str(claim_id)})
            continue
        changed += _sync_record(client, record, ours, now)
    return changed


def _sync_record(client, record: dict_api.DictClaimRecord, ours: str, now: datetime) -> int:
    changed = 0
    try:
        with transaction.atomic():
            if record.donor_participant == ours:
                n, record = _sync_donor(client, record, now)
                changed += n
            if record.claimer_participant == ours:
                n, record = _sync_claimer(client, record, now)
                changed += n
    except DomainError:
        logger.warning("claim sync failed", extra={"claim": str(record.id)}, exc_info=True)
    return changed


def _locked_claim(claim: PixClaim) -> PixClaim:
    return PixClaim.objects.select_for_update().select_related("pix_key").get(pk=claim.pk)


def _ensure_acknowledged(client, claim: PixClaim, now: datetime) -> None:
    if claim.role == PixClaim.Role.DONOR and claim.state == PixClaim.State.OPEN:
        record = client.acknowledge_claim(claim_id=claim.dict_claim_id, now=now)
        _mirror(claim, record, by="dict")


def claim_confirm(
    *, claim: PixClaim, actor=None, reason: str = "", now: datetime | None = None
) -> PixClaim:
    """Our customer agrees to give their key up to the claimer (role DONOR)."""
    now = _now(now)
    client = dict_client()
    with transaction.atomic():
        claim = _locked_claim(claim)
        if claim.role != PixClaim.Role.DONOR:
            raise Conflict(
                "Only the current holder confirms a claim: yours completes when the other "
                "institution's customer gives the key up or the period ends.",
                code="claim_not_donor",
            )
        _ensure_acknowledged(client, claim, now)
        if claim.state != PixClaim.State.WAITING_RESOLUTION:
            raise Conflict(f"This claim is {claim.get_state_display()}.", code="claim_not_waiting")
        record = client.confirm_claim(
            claim_id=claim.dict_claim_id, reason=dict_api.USER_REQUESTED, now=now
        )
        _mirror(claim, record, by=actor)
        logger.info("pix claim confirmed by the holder", extra={"claim": claim.pk})
    return claim


def claim_cancel(
    *,
    claim: PixClaim,
    actor=None,
    code: str | None = None,
    fraud: bool = False,
    reason: str = "",
    now: datetime | None = None,
) -> ClaimCancelOutcome:
    """Withdraw our claim (CLAIMER), refuse a portability (DONOR), or keep a key against an
    ownership claim (DONOR): the holder proves possession again, with a code sent to the
    key (first call without `code` sends it: `code_sent`). `fraud=True` (operators) cancels
    with reason FRAUD without a code."""
    now = _now(now)
    client = dict_client()
    error: DomainError | None = None
    outcome: ClaimCancelOutcome
    with transaction.atomic():
        claim = _locked_claim(claim)
        if claim.is_final:
            raise Conflict(f"This claim is {claim.get_state_display()}.", code="claim_final")
        dict_reason = dict_api.FRAUD if fraud else dict_api.USER_REQUESTED
        if claim.role == PixClaim.Role.CLAIMER:
            record = client.cancel_claim(claim_id=claim.dict_claim_id, reason=dict_reason, now=now)
            _mirror(claim, record, by=actor)
            return ClaimCancelOutcome(claim=claim)
        _ensure_acknowledged(client, claim, now)
        if claim.state != PixClaim.State.WAITING_RESOLUTION:
            raise Conflict(f"This claim is {claim.get_state_display()}.", code="claim_not_waiting")
        if claim.claim_type == dict_api.PORTABILITY or fraud:
            record = client.cancel_claim(claim_id=claim.dict_claim_id, reason=dict_reason, now=now)
            _mirror(claim, record, by=actor)
            return ClaimCancelOutcome(claim=claim)
        pix_key = PixKey.objects.select_for_update().get(pk=claim.pix_key_id)
        if not code:
            _issue_code(pix_key, OwnershipChallenge.Purpose.KEEP, now, claim=claim)
            return ClaimCancelOutcome(claim=claim, code_sent=True)
        error = _verify_code(pix_key, OwnershipChallenge.Purpose.KEEP, code, now, claim=claim)
        if error is None:
            # Possession proven by the holder: the claim was improper (DICT reason FRAUD,
            # the only one the donor of an ownership claim may cancel with).
            record = client.cancel_claim(
                claim_id=claim.dict_claim_id, reason=dict_api.FRAUD, now=now
            )
            _mirror(claim, record, by=actor)
        outcome = ClaimCancelOutcome(claim=claim)
    if error is not None:
        raise error
    return outcome


def claim_complete(*, claim: PixClaim, actor=None, now: datetime | None = None) -> PixClaim:
    """Finish a confirmed claim of ours: the DICT binds the key to our account."""
    now = _now(now)
    client = dict_client()
    with transaction.atomic():
        claim = _locked_claim(claim)
        if claim.role != PixClaim.Role.CLAIMER:
            raise Conflict("Only the claimer completes a claim.", code="claim_not_claimer")
        record = client.get_claim(claim_id=claim.dict_claim_id, now=now)
        _mirror(claim, record, by="dict")
        if claim.state != PixClaim.State.CONFIRMED:
            raise Conflict(
                f"This claim is {claim.get_state_display()}: only a confirmed claim completes.",
                code="claim_not_confirmed",
            )
        claim, _record = _complete(client, claim, now, by=actor)
    return claim
