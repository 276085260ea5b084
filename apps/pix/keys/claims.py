"""Portability and ownership claims of Pix keys (DICT claims), both directions.

We claim a key held elsewhere (claim_open: we are the claimer) or another PSP claims one of
ours (claims_sync: we are the donor). The DICT's record is the truth: claims_sync mirrors it
every minute (beat) and moves our PixClaim and PixKey forward; the donor confirms
(claim_confirm) or cancels (claim_cancel), and the claimer completes (claim_complete)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Account
from apps.core.errors import Conflict, DomainError, ValidationFailed
from apps.core.fsm import apply_transition
from apps.core.i18n import in_language_of
from apps.pix import locks, participants
from apps.pix.adapters import dict as dict_api
from apps.pix.adapters import dict_client
from apps.pix.codecs.keys import (
    KeyType,
    mask_key,
    parse_any_key,
)
from apps.pix.keys.services import (
    _check_account,
    _check_document_key,
    _ensure_slot,
    _expire_stale,
    _issue_code,
    _now,
    _refuse_duplicate,
    _verify_code,
    dict_account_of,
    owner_of,
)
from apps.pix.models import OwnershipChallenge, PixClaim, PixKey

logger = logging.getLogger(__name__)


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


@dataclass
class ClaimCancelOutcome:
    claim: PixClaim
    code_sent: bool = False


def _check_claim_type(claim_type: str, key_type: str) -> None:
    if claim_type not in (dict_api.OWNERSHIP, dict_api.PORTABILITY):
        raise ValidationFailed(
            _("Claim type is OWNERSHIP or PORTABILITY."), field="type", value=claim_type
        )
    if claim_type == dict_api.OWNERSHIP and key_type not in KeyType.OWNERSHIP_CLAIMABLE:
        raise ValidationFailed(
            _(
                "Only phone and e-mail keys admit an ownership claim; CPF/CNPJ keys move by "
                "portability."
            ),
            code="claim_type_not_allowed",
            field="type",
        )
    if claim_type == dict_api.PORTABILITY and key_type not in KeyType.PORTABLE:
        raise ValidationFailed(
            _("Random keys (EVP) cannot be ported: register a new one here."),
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
        locks.account_keys_lock(account.pk)
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
                _(
                    "Prove you hold this key first: register it (POST /api/v1/pix/keys) and "
                    "confirm the code sent to it; the claim is offered then."
                ),
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
            raise Conflict(_("A claim for this key is already in progress."), code="claim_exists")
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
    pix_key = locks.key_for_update(claim.pix_key_id)
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
    user = claim.customer.user
    email = user.email
    key = mask_key(claim.key_type, claim.key)
    # In the holder's language (apps.core.i18n), with the deadline in Brasilia time.
    with in_language_of(user):
        values = {
            "bank": settings.PIX_PARTICIPANT_NAME,
            "other": participants.name_of(claim.counterpart_ispb),
            "key": key,
            "deadline": date_format(
                timezone.localtime(claim.resolution_period_end), "DATETIME_FORMAT"
            ),
        }
        if claim.claim_type == dict_api.PORTABILITY:
            body = gettext(
                "You asked %(other)s to bring your Pix key %(key)s there (portability). "
                "Confirm or refuse it in the app by %(deadline)s; unanswered, the request is "
                "cancelled and the key stays here."
            )
        else:
            body = gettext(
                "Someone at %(other)s claims your Pix key %(key)s, saying the phone number or "
                "e-mail is now theirs. To keep it, prove you still hold it (we send a code to "
                "it) by %(deadline)s. Unanswered, the key is released to the claimer."
            )
        body %= values
        subject = gettext("%(bank)s: a claim on your Pix key %(key)s") % values

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
    pix_key = locks.key_for_update(claim.pix_key_id)
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
        claim = locks.claim_for_update(claim.pk)
        if claim.role != PixClaim.Role.DONOR:
            raise Conflict(
                _(
                    "Only the current holder confirms a claim: yours completes when the other "
                    "institution's customer gives the key up or the period ends."
                ),
                code="claim_not_donor",
            )
        _ensure_acknowledged(client, claim, now)
        if claim.state != PixClaim.State.WAITING_RESOLUTION:
            raise Conflict(
                _("This claim is %(state)s."),
                params={"state": claim.get_state_display()},
                code="claim_not_waiting",
            )
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
        claim = locks.claim_for_update(claim.pk)
        if claim.is_final:
            raise Conflict(
                _("This claim is %(state)s."),
                params={"state": claim.get_state_display()},
                code="claim_final",
            )
        dict_reason = dict_api.FRAUD if fraud else dict_api.USER_REQUESTED
        if claim.role == PixClaim.Role.CLAIMER:
            record = client.cancel_claim(claim_id=claim.dict_claim_id, reason=dict_reason, now=now)
            _mirror(claim, record, by=actor)
            return ClaimCancelOutcome(claim=claim)
        _ensure_acknowledged(client, claim, now)
        if claim.state != PixClaim.State.WAITING_RESOLUTION:
            raise Conflict(
                _("This claim is %(state)s."),
                params={"state": claim.get_state_display()},
                code="claim_not_waiting",
            )
        if claim.claim_type == dict_api.PORTABILITY or fraud:
            record = client.cancel_claim(claim_id=claim.dict_claim_id, reason=dict_reason, now=now)
            _mirror(claim, record, by=actor)
            return ClaimCancelOutcome(claim=claim)
        pix_key = locks.key_for_update(claim.pix_key_id)
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
        claim = locks.claim_for_update(claim.pk)
        if claim.role != PixClaim.Role.CLAIMER:
            raise Conflict(_("Only the claimer completes a claim."), code="claim_not_claimer")
        record = client.get_claim(claim_id=claim.dict_claim_id, now=now)
        _mirror(claim, record, by="dict")
        if claim.state != PixClaim.State.CONFIRMED:
            raise Conflict(
                _("This claim is %(state)s: only a confirmed claim completes."),
                params={"state": claim.get_state_display()},
                code="claim_not_confirmed",
            )
        claim, _record = _complete(client, claim, now, by=actor)
    return claim
