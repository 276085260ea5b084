"""The claims of the simulated DICT (tag "Reivindicação" of API DICT 1.8.0): opening,
acknowledging, confirming, cancelling and completing, with who may do what and when, and
`tick`, what the other (simulated) PSPs do on time. Mixed into `DictSimulator`."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from apps.core.documents import normalize_tax_id
from apps.pix.adapters.dict import (
    ACCOUNT_CLOSURE,
    CANCELLED,
    CLAIMER,
    COMPLETED,
    CONFIRMED,
    DEFAULT_OPERATION,
    DONOR,
    FRAUD,
    OPEN,
    OPEN_STATUSES,
    OWNERSHIP,
    PORTABILITY,
    RECONCILIATION,
    USER_REQUESTED,
    WAITING_RESOLUTION,
    BadRequest,
    ClaimAlreadyExistsForKey,
    ClaimCompletionPeriodNotEnded,
    ClaimInvalid,
    ClaimKeyNotFound,
    ClaimNotFound,
    ClaimOperationInvalid,
    ClaimPage,
    ClaimResolutionPeriodNotEnded,
    ClaimResultingEntryAlreadyExists,
    ClaimTypeInconsistent,
    DictAccount,
    DictClaimRecord,
    DictEntryRecord,
    DictForbidden,
    DictOwner,
    EntryLimitExceeded,
    compute_cid,
)
from apps.pix.codecs.keys import KeyType
from apps.simulators.dict.models import DictClaim, DictEntry
from apps.simulators.dict.rules import key_limit, now_or, owner_hash


class DictClaimsMixin:
    """Claims between PSPs; needs `participant`, `_check_owner`, `_entry_record` and
    `_claim_record` of `DictSimulator`."""

    @transaction.atomic
    def create_claim(
        self,
        *,
        claim_type: str,
        key_type: str,
        key: str,
        claimer_account: DictAccount,
        claimer: DictOwner,
        now: datetime | None = None,
    ) -> DictClaimRecord:
        now = now_or(now)
        self.tick(now)
        if claimer_account.participant != self.participant:
            raise DictForbidden("A claim is opened by the claimer's participant.")
        if claim_type == OWNERSHIP and key_type not in KeyType.OWNERSHIP_CLAIMABLE:
            raise ClaimInvalid("Only PHONE and EMAIL keys admit an ownership claim.")
        if claim_type == PORTABILITY and key_type not in KeyType.PORTABLE:
            raise ClaimInvalid("EVP keys cannot be ported.")
        if claim_type not in (OWNERSHIP, PORTABILITY):
            raise ClaimInvalid("Claim type is OWNERSHIP or PORTABILITY.")
        self._check_owner(claimer)
        entry = DictEntry.objects.select_for_update().filter(key=key).first()
        if entry is None or entry.key_type != key_type:
            raise ClaimKeyNotFound("No entry for this key: register it instead.")
        if DictClaim.objects.filter(key=key, status__in=OPEN_STATUSES).exists():
            raise ClaimAlreadyExistsForKey("A claim for this key is already in progress.")
        same_owner = entry.owner_tax_id_hash == owner_hash(claimer.tax_id)
        if claim_type == OWNERSHIP and same_owner:
            raise ClaimTypeInconsistent("The key is already yours: ask for portability.")
        if claim_type == PORTABILITY and not same_owner:
            raise ClaimTypeInconsistent(
                "The key belongs to another person: open an ownership claim."
            )
        if same_owner and entry.participant == self.participant:
            raise ClaimResultingEntryAlreadyExists("The key is already registered here.")
        resolution_end = now + settings.PIX_CLAIM_RESOLUTION_PERIOD
        completion_end = (
            now + settings.PIX_OWNERSHIP_CLAIM_COMPLETION_PERIOD
            if claim_type == OWNERSHIP
            else None
        )
        try:
            with transaction.atomic():
                claim = DictClaim.objects.create(
                    claim_type=claim_type,
                    key=key,
                    key_type=key_type,
                    claimer_participant=claimer_account.participant,
                    claimer_branch=claimer_account.branch,
                    claimer_account_number=claimer_account.account_number,
                    claimer_account_type=claimer_account.account_type,
                    claimer_account_opened_at=claimer_account.opened_at,
                    claimer_type=claimer.type,
                    claimer_tax_id=normalize_tax_id(claimer.tax_id),
                    claimer_tax_id_hash=owner_hash(claimer.tax_id),
                    claimer_name=claimer.name,
                    claimer_trade_name=claimer.trade_name or "",
                    donor_participant=entry.participant,
                    donor_key_ownership_date=entry.key_ownership_date,
                    status=OPEN,
                    created_at=now,
                    resolution_period_end=resolution_end,
                    completion_period_end=completion_end,
                    last_modified=now,
                )
        except IntegrityError as exc:
            raise ClaimAlreadyExistsForKey("A claim for this key is already in progress.") from exc
        return self._claim_record(claim)

    def _claim_for_update(self, claim_id: uuid.UUID):
        claim = DictClaim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None:
            raise ClaimNotFound("Claim not found.")
        if self.participant not in (claim.donor_participant, claim.claimer_participant):
            raise DictForbidden("Participant is not a party to this claim.")
        return claim

    def _acknowledge_claim(
        self, *, claim_id: uuid.UUID, now: datetime | None = None
    ) -> DictClaimRecord:
        now = now_or(now)
        claim = self._claim_for_update(claim_id)
        if claim.donor_participant != self.participant:
            raise DictForbidden("Only the donor acknowledges a claim.")
        if claim.status == WAITING_RESOLUTION:
            return self._claim_record(claim)  # idempotent
        if claim.status != OPEN:
            raise ClaimOperationInvalid(f"The claim is {claim.status}.")
        claim.status = WAITING_RESOLUTION
        claim.last_modified = now
        claim.save(update_fields=["status", "last_modified"])
        return self._claim_record(claim)

    def _confirm_claim(
        self, *, claim_id: uuid.UUID, reason: str, now: datetime | None = None
    ) -> DictClaimRecord:
        now = now_or(now)
        claim = self._claim_for_update(claim_id)
        if claim.donor_participant != self.participant:
            raise DictForbidden("Only the donor confirms a claim.")
        if claim.status == CONFIRMED and claim.confirm_reason == reason:
            return self._claim_record(claim)  # idempotent
        if claim.status != WAITING_RESOLUTION:
            raise ClaimOperationInvalid(f"The claim is {claim.status}.")
        allowed = (
            (USER_REQUESTED, DEFAULT_OPERATION)
            if claim.claim_type == OWNERSHIP
            else (USER_REQUESTED, ACCOUNT_CLOSURE)
        )
        if reason not in allowed:
            raise BadRequest(f"InvalidReason: the donor confirms with {' or '.join(allowed)}.")
        if reason == DEFAULT_OPERATION and now < claim.resolution_period_end:
            raise ClaimResolutionPeriodNotEnded("The resolution period has not ended.")
        if claim.claim_type == OWNERSHIP and reason == USER_REQUESTED:
            claim.completion_period_end = now  # the claimer may complete at once
        DictEntry.objects.filter(key=claim.key, participant=claim.donor_participant).delete()
        claim.status = CONFIRMED
        claim.confirm_reason = reason
        claim.last_modified = now
        claim.save(
            update_fields=["status", "confirm_reason", "last_modified", "completion_period_end"]
        )
        return self._claim_record(claim)

    # (claim type, role) -> reasons that role may cancel with (cancelClaim's table).
    _CANCEL_REASONS = {
        (OWNERSHIP, DONOR): (FRAUD,),
        (OWNERSHIP, CLAIMER): (USER_REQUESTED, ACCOUNT_CLOSURE, FRAUD, DEFAULT_OPERATION),
        (PORTABILITY, DONOR): (USER_REQUESTED, FRAUD, DEFAULT_OPERATION),
        (PORTABILITY, CLAIMER): (USER_REQUESTED, ACCOUNT_CLOSURE, FRAUD, RECONCILIATION),
    }

    def _cancel_claim(
        self, *, claim_id: uuid.UUID, reason: str, now: datetime | None = None
    ) -> DictClaimRecord:
        now = now_or(now)
        claim = self._claim_for_update(claim_id)
        sides = [
            side
            for side, participant in (
                (DONOR, claim.donor_participant),
                (CLAIMER, claim.claimer_participant),
            )
            if participant == self.participant
        ]
        if claim.status == CANCELLED and claim.cancel_reason == reason:
            return self._claim_record(claim)  # idempotent
        if claim.status not in (WAITING_RESOLUTION, CONFIRMED):
            raise ClaimOperationInvalid(f"The claim is {claim.status}.")
        fits = [side for side in sides if reason in self._CANCEL_REASONS[(claim.claim_type, side)]]
        if not fits:
            allowed = self._CANCEL_REASONS[(claim.claim_type, sides[0])]
            raise BadRequest(f"InvalidReason: cancel with {', '.join(allowed)}.")
        # Both sides at one PSP (an ownership claim between two of its customers): FRAUD is
        # the holder keeping the key; any other reason is the claimer's.
        role = fits[0] if len(fits) == 1 else (DONOR if reason == FRAUD else CLAIMER)
        if reason == DEFAULT_OPERATION:
            deadline = (
                claim.resolution_period_end
                if claim.claim_type == PORTABILITY
                else claim.completion_period_end
            )
            if deadline and now < deadline:
                raise ClaimResolutionPeriodNotEnded("The period has not ended.")
        claim.status = CANCELLED
        claim.cancel_reason = reason
        claim.cancelled_by = role
        claim.last_modified = now
        claim.save(update_fields=["status", "cancel_reason", "cancelled_by", "last_modified"])
        return self._claim_record(claim)

    def _complete_claim(
        self, *, claim_id: uuid.UUID, request_id: uuid.UUID, now: datetime | None = None
    ) -> tuple[DictClaimRecord, DictEntryRecord]:
        now = now_or(now)
        claim = self._claim_for_update(claim_id)
        if claim.claimer_participant != self.participant:
            raise DictForbidden("Only the claimer completes a claim.")
        if claim.status == COMPLETED and claim.completion_request_id == request_id:
            entry = DictEntry.objects.get(key=claim.key)
            return self._claim_record(claim), self._entry_record(entry)
        if claim.status != CONFIRMED:
            raise ClaimOperationInvalid(f"The claim is {claim.status}.")
        if (
            claim.claim_type == OWNERSHIP
            and claim.completion_period_end
            and now < claim.completion_period_end
        ):
            raise ClaimCompletionPeriodNotEnded("The completion period has not ended.")
        account = DictAccount(
            participant=claim.claimer_participant,
            branch=claim.claimer_branch,
            account_number=claim.claimer_account_number,
            account_type=claim.claimer_account_type,
            opened_at=claim.claimer_account_opened_at,
        )
        owner = DictOwner(
            type=claim.claimer_type,
            tax_id=claim.claimer_tax_id,
            name=claim.claimer_name,
            trade_name=claim.claimer_trade_name,
        )
        if DictEntry.objects.filter(key=claim.key).exists():
            raise ClaimResultingEntryAlreadyExists("An entry for this key exists.")
        held = DictEntry.objects.filter(
            participant=account.participant,
            branch=account.branch,
            account_number=account.account_number,
        ).count()
        if held >= key_limit(owner.type):
            raise EntryLimitExceeded("The claimer's account has no free key slot.")
        ownership_date = claim.donor_key_ownership_date if claim.claim_type == PORTABILITY else now
        entry = DictEntry.objects.create(
            key=claim.key,
            key_type=claim.key_type,
            participant=account.participant,
            branch=account.branch,
            account_number=account.account_number,
            account_type=account.account_type,
            account_opened_at=account.opened_at,
            owner_type=owner.type,
            owner_tax_id=normalize_tax_id(owner.tax_id),
            owner_tax_id_hash=claim.claimer_tax_id_hash,
            owner_name=owner.name,
            owner_trade_name=owner.trade_name,
            request_id=request_id,
            cid=compute_cid(
                request_id=request_id,
                key_type=claim.key_type,
                key=claim.key,
                owner=owner,
                account=account,
            ),
            created_at=now,
            key_ownership_date=ownership_date,
        )
        claim.status = COMPLETED
        claim.completion_request_id = request_id
        claim.last_modified = now
        claim.save(update_fields=["status", "completion_request_id", "last_modified"])
        return self._claim_record(claim), self._entry_record(entry)

    # The public operations let the other PSPs act first (`tick`): they are always on time.

    @transaction.atomic
    def acknowledge_claim(
        self, *, claim_id: uuid.UUID, now: datetime | None = None
    ) -> DictClaimRecord:
        self.tick(now)
        return self._acknowledge_claim(claim_id=claim_id, now=now)

    @transaction.atomic
    def confirm_claim(
        self, *, claim_id: uuid.UUID, reason: str, now: datetime | None = None
    ) -> DictClaimRecord:
        self.tick(now)
        return self._confirm_claim(claim_id=claim_id, reason=reason, now=now)

    @transaction.atomic
    def cancel_claim(
        self, *, claim_id: uuid.UUID, reason: str, now: datetime | None = None
    ) -> DictClaimRecord:
        self.tick(now)
        return self._cancel_claim(claim_id=claim_id, reason=reason, now=now)

    @transaction.atomic
    def complete_claim(
        self, *, claim_id: uuid.UUID, request_id: uuid.UUID, now: datetime | None = None
    ) -> tuple[DictClaimRecord, DictEntryRecord]:
        self.tick(now)
        return self._complete_claim(claim_id=claim_id, request_id=request_id, now=now)

    def get_claim(self, *, claim_id: uuid.UUID, now: datetime | None = None) -> DictClaimRecord:
        self.tick(now_or(now))
        claim = DictClaim.objects.filter(pk=claim_id).first()
        if claim is None:
            raise ClaimNotFound("Claim not found.")
        if self.participant not in (claim.donor_participant, claim.claimer_participant):
            raise DictForbidden("Participant is not a party to this claim.")
        return self._claim_record(claim)

    def list_claims(
        self,
        *,
        is_donor: bool | None = None,
        is_claimer: bool | None = None,
        statuses: Iterable[str] = (),
        modified_after: datetime | None = None,
        limit: int = 200,
        now: datetime | None = None,
    ) -> ClaimPage:
        """listClaims: ordered by LastModified; IsDonor and IsClaimer together are an OR."""
        self.tick(now_or(now))
        limit = max(1, min(int(limit), 200))
        as_donor = Q(donor_participant=self.participant)
        as_claimer = Q(claimer_participant=self.participant)
        if is_donor and not is_claimer:
            scope = as_donor
        elif is_claimer and not is_donor:
            scope = as_claimer
        else:
            scope = as_donor | as_claimer
        rows = DictClaim.objects.filter(scope)
        statuses = list(statuses)
        if statuses:
            rows = rows.filter(status__in=statuses)
        if modified_after is not None:
            rows = rows.filter(last_modified__gte=modified_after)
        page = list(rows.order_by("last_modified", "id")[: limit + 1])
        return ClaimPage(
            claims=[self._claim_record(c) for c in page[:limit]], has_more=len(page) > limit
        )

    # --- the other PSPs ---------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> int:
        """Do, on time, what the other (simulated) PSPs must do with their claims:
        acknowledge claims against their keys, resolve them at the deadline (ownership:
        confirm; portability: cancel) and complete the claims they opened once allowed.
        Our own participant's duties are left to our services. Returns actions taken."""
        now = now_or(now)
        ours = settings.ATHENA_ISPB
        due = (
            Q(status=OPEN) & ~Q(donor_participant=ours)
            | Q(status=WAITING_RESOLUTION, resolution_period_end__lte=now)
            & ~Q(donor_participant=ours)
            | Q(status=CONFIRMED) & ~Q(claimer_participant=ours)
        )
        done = 0
        for claim_id in (
            DictClaim.objects.filter(due).order_by("created_at").values_list("pk", flat=True)
        ):
            with transaction.atomic():
                claim = DictClaim.objects.select_for_update().get(pk=claim_id)
                donor = type(self)(claim.donor_participant)
                if claim.status == OPEN and claim.donor_participant != ours:
                    donor._acknowledge_claim(claim_id=claim.pk, now=now)
                    done += 1
                    claim.refresh_from_db()
                if (
                    claim.status == WAITING_RESOLUTION
                    and claim.donor_participant != ours
                    and now >= claim.resolution_period_end
                ):
                    if claim.claim_type == OWNERSHIP:
                        donor._confirm_claim(claim_id=claim.pk, reason=DEFAULT_OPERATION, now=now)
                    else:
                        donor._cancel_claim(claim_id=claim.pk, reason=DEFAULT_OPERATION, now=now)
                    done += 1
                    claim.refresh_from_db()
                if (
                    claim.status == CONFIRMED
                    and claim.claimer_participant != ours
                    and (
                        claim.claim_type == PORTABILITY
                        or claim.completion_period_end is None
                        or now >= claim.completion_period_end
                    )
                ):
                    type(self)(claim.claimer_participant)._complete_claim(
                        claim_id=claim.pk, request_id=uuid.uuid4(), now=now
                    )
                    done += 1
        return done

    def open_claim_as_other_psp(
        self,
        *,
        key: str,
        claim_type: str,
        claimer: DictOwner,
        claimer_account: DictAccount | None = None,
        now: datetime | None = None,
    ) -> DictClaimRecord:
        """Another PSP (this simulator's participant) claims a key: the way tests and demos
        make a claim arrive against one of our keys."""
        entry = DictEntry.objects.filter(key=key).first()
        if entry is None:
            raise ClaimKeyNotFound("No entry for this key.")
        account = claimer_account or DictAccount(
            participant=self.participant,
            branch="0001",
            account_number=str(int(hashlib.sha256(key.encode()).hexdigest()[:10], 16))[:10],
            account_type="CACC",
            opened_at=now_or(now) - timedelta(days=365),
        )
        return self.create_claim(
            claim_type=claim_type,
            key_type=entry.key_type,
            key=key,
            claimer_account=account,
            claimer=claimer,
            now=now,
        )
