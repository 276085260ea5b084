"""Clearing and settlement of card purchases as the issuer.

* `files_fetch` / `file_receive`: the network's clearing files (ATHENA-CLR 001, see
  codecs/layout.py) are stored once, by digest: the same file again is recognised and changes
  nothing.
* `file_process`: the whole file is parsed first; a malformed file is rejected whole, naming
  the line and the field, and nothing is posted. Then, one file at a time (an advisory
  lock), each detail record is applied in line order, in the file's one transaction:

  - a record (transaction code and ARN) applied before, in any file, is kept as a duplicate
    and moves nothing;
  - 05 presentment: matched to its authorization by the card (token, BIN and last four),
    the approval code (DE 38), the RRN (DE 37) and the STAN (DE 11) when the file has them.
    The authorization's hold is captured ("card_purchase" into card_settlement): a smaller
    amount captures that much and releases the rest; a larger one captures the hold and
    posts the extra as a second debit when it is within CARDS_CLEARING_OVERCAPTURE_PERCENT
    of the authorized amount (tips), and queues it beyond. The authorization becomes
    CAPTURED. A presentment without an authorization (offline, force post; or its hold
    expired, or a second presentment) is debited when the account can pay and queued
    otherwise. One of a 0200 (captured when authorized) moves nothing more;
  - 06 refund: the customer is credited ("card_refund", out of card_settlement);
  - 25/26 reversals: every entry the original record posted is reversed (and its open
    queue items closed);
  - whatever cannot be applied (unknown card, an account that cannot pay or receive, a
    reversal of a record we do not have, a presentment of a reversed authorization) goes
    to the operators' queue (`ClearingException`) and its money to the suspense account
    ("card_suspense"), so card_settlement always owes the network exactly the files' net.
* `exception_charge` / `exception_close`: an operator settles a queue item with the
  customer (debit, or credit for a refund) out of suspense, or closes it (a chargeback
  raised, a loss written off: the money stays in suspense for accounting).
* `clearing_settle(day=)`: the business day's net with the network against our reserves at
  BACEN, once per day: card_settlement gives up the processed files' net, reserves pay the
  network's figure, and a difference goes to suspense and to the queue.

Entries on customer accounts: "card_purchase" (debit), "card_refund" (credit), "reversal";
internal only: "card_suspense", "card_network_settlement".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts import services as accounts
from apps.accounts.errors import AccountUnavailable, InsufficientFunds, UnknownAccount
from apps.cards.adapters.clearing import clearing_client
from apps.cards.clearing import codecs as clr
from apps.cards.clearing.models import (
    ClearingException,
    ClearingFile,
    ClearingLine,
    ClearingSettlement,
)
from apps.cards.models import Authorization, Card
from apps.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from apps.core.fsm import apply_transition

logger = logging.getLogger(__name__)

Outcome = ClearingLine.Outcome
Reason = ClearingException.Reason

# The ledger's refusals that send a line to the queue instead of failing the file.
_REFUSED = (InsufficientFunds, AccountUnavailable, UnknownAccount)


def _digest(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8", "replace")).hexdigest()


def _settlement_id() -> int:
    return accounts.internal_account_id("card_settlement")


def _suspense_id() -> int:
    return accounts.internal_account_id("suspense")


# --- Receiving files -------------------------------------------------------------------------


def files_fetch() -> list[ClearingFile]:
    """Fetch the clearing files waiting at the network and process each."""
    return [
        file_receive(name=name, content=content)
        for name, content in clearing_client().fetch_files()
    ]


def file_receive(*, name: str, content: str) -> ClearingFile:
    """Store a file once and process it; the same file again is answered as it is."""
    with transaction.atomic():
        clearing_file, created = ClearingFile.objects.get_or_create(
            digest=_digest(content),
            defaults={
                "name": name[:120],
                "content": content,
                "state": ClearingFile.State.RECEIVED,
            },
        )
    if not created:
        return clearing_file
    return file_process(file_id=clearing_file.pk)


_STATE_FIELDS = [
    "state",
    "network",
    "business_day",
    "file_sequence",
    "line_count",
    "net",
    "totals",
    "processed_at",
    "error_line",
    "error_field",
    "error_message",
    "updated_at",
]


def _reject(clearing_file: ClearingFile, line: int, field: str, message: str) -> ClearingFile:
    clearing_file.state = ClearingFile.State.REJECTED
    clearing_file.error_line = line
    clearing_file.error_field = field[:80]
    clearing_file.error_message = message[:300]
    clearing_file.processed_at = timezone.now()
    clearing_file.save(update_fields=_STATE_FIELDS)
    logger.warning(
        "card clearing file rejected",
        extra={"file": clearing_file.pk, "line": line, "field": field},
    )
    return clearing_file


def file_process(*, file_id: int) -> ClearingFile:
    """Process a received file (see the module's doc); a processed or rejected one is
    answered as it is."""
    clearing_file = ClearingFile.objects.get(pk=file_id)
    if clearing_file.state != ClearingFile.State.RECEIVED:
        return clearing_file
    try:
        parsed = clr.parse_file(clearing_file.content)
    except clr.ClearingFileError as exc:
        return _reject(clearing_file, exc.line, exc.field, exc.message)
    applier = _Applier(clearing_file, parsed)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:  # one file at a time
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('card_clearing_files'))")
            locked = ClearingFile.objects.select_for_update().only("state").get(pk=file_id)
            if locked.state != ClearingFile.State.RECEIVED:
                return ClearingFile.objects.get(pk=file_id)
            totals = applier.run()
            clearing_file.state = ClearingFile.State.PROCESSED
            clearing_file.network = parsed.header.network[:8]
            clearing_file.business_day = parsed.header.business_day
            clearing_file.file_sequence = parsed.header.file_sequence
            clearing_file.line_count = parsed.line_count
            clearing_file.net = parsed.totals.net
            clearing_file.totals = totals
            clearing_file.processed_at = timezone.now()
            clearing_file.error_line, clearing_file.error_field = None, ""
            clearing_file.error_message = ""
            clearing_file.save(update_fields=_STATE_FIELDS)
    except DomainError as exc:
        # Something the ledger refused that no line rule foresaw: nothing was posted.
        return _reject(clearing_file, applier.current_line, "ledger", exc.message)
    return clearing_file


# --- Applying a file ---------------------------------------------------------------------------


class _Applier:
    """Applies a parsed file's records in line order (inside file_process's transaction)."""

    def __init__(self, clearing_file: ClearingFile, parsed: clr.ClearingFile) -> None:
        self.file = clearing_file
        self.parsed = parsed
        self.current_line = 0
        self.outcomes: Counter[str] = Counter()
        self.queued_amount = 0
        self.tolerance = settings.CARDS_CLEARING_OVERCAPTURE_PERCENT

    def run(self) -> dict:
        items = self.parsed.items
        tokens = {item.card_token for item in items}
        self.cards = {card.token: card for card in Card.objects.filter(token__in=tokens)}
        self.applied = set(
            ClearingLine.objects.filter(arn__in={item.arn for item in items})
            .exclude(outcome=Outcome.DUPLICATE)
            .values_list("transaction_code", "arn")
        )
        for item in items:
            self.current_line = item.line
            self._apply(item)
        totals = self.parsed.totals
        return {
            "details": totals.detail_count,
            "debits": totals.debit_total,
            "credits": totals.credit_total,
            "net": totals.net,
            "outcomes": dict(sorted(self.outcomes.items())),
            "queued_amount": self.queued_amount,
        }

    # -- helpers

    def _card(self, item: clr.ClearingItem) -> Card | None:
        card = self.cards.get(item.card_token)
        if card is None or card.bin != item.card_bin or card.last4 != item.card_last4:
            return None
        return card

    def _line(
        self,
        item: clr.ClearingItem,
        outcome: str,
        *,
        card: Card | None = None,
        authorization: Authorization | None = None,
        entries: list[int] | None = None,
        detail: str = "",
    ) -> ClearingLine:
        self.outcomes[outcome] += 1
        return ClearingLine.objects.create(
            file=self.file,
            line_number=item.line,
            transaction_code=item.transaction_code,
            arn=item.arn,
            original_arn=item.original_arn,
            card=card,
            authorization=authorization,
            masked_card=item.masked_card,
            auth_code=item.auth_code,
            rrn=item.rrn,
            amount=item.amount_cents,
            transaction_date=item.transaction_date,
            merchant_name=item.merchant_name[:40],
            mcc=item.mcc,
            outcome=outcome,
            entry_ids=entries or [],
            detail=detail[:200],
        )

    def _metadata(self, item: clr.ClearingItem) -> dict:
        # What the statement renders (apps.cards.ledger_lines): merchant and last four.
        return {
            "merchant": item.merchant_name,
            "mcc": item.mcc,
            "card_last4": item.card_last4,
            "arn": item.arn,
        }

    def _debit(self, account_id: int, amount: int, item: clr.ClearingItem) -> int | None:
        """The customer pays `amount` to the network; None when the account cannot."""
        try:
            with transaction.atomic():
                return accounts.post_entry(
                    kind="card_purchase",
                    legs=[
                        accounts.Leg(account_id, -amount),
                        accounts.Leg(_settlement_id(), amount),
                    ],
                    description=f"card {item.masked_card} {item.merchant_name} ARN {item.arn}",
                    reference_type="card_clearing",
                    reference_id=item.arn,
                    metadata=self._metadata(item),
                )
        except _REFUSED:
            return None

    def _credit(self, account_id: int, amount: int, item: clr.ClearingItem) -> int | None:
        try:
            with transaction.atomic():
                return accounts.post_entry(
                    kind="card_refund",
                    legs=[
                        accounts.Leg(_settlement_id(), -amount),
                        accounts.Leg(account_id, amount),
                    ],
                    description=f"card refund {item.masked_card} {item.merchant_name}",
                    reference_type="card_clearing",
                    reference_id=item.arn,
                    metadata=self._metadata(item),
                )
        except _REFUSED:
            return None

    def _queue(
        self,
        item: clr.ClearingItem,
        reason: str,
        amount: int,
        *,
        card: Card | None = None,
        authorization: Authorization | None = None,
        entries: list[int] | None = None,
        detail: str = "",
    ) -> ClearingLine:
        """`amount` waits in suspense: positive, the network took it from us for the
        customer; negative, the network paid it to us for the customer."""
        suspense = accounts.post_entry(
            kind="card_suspense",
            legs=[accounts.Leg(_suspense_id(), -amount), accounts.Leg(_settlement_id(), amount)],
            description=f"card clearing {item.arn} to the queue: {reason}",
            reference_type="card_clearing",
            reference_id=item.arn,
            metadata={**self._metadata(item), "reason": reason},
        )
        line = self._line(
            item,
            Outcome.QUEUED,
            card=card,
            authorization=authorization,
            entries=[*(entries or []), suspense],
            detail=detail or str(Reason(reason).label),
        )
        ClearingException.objects.create(
            line=line,
            reason=reason,
            amount=amount,
            account_id=card.account_id if card else None,
            detail=detail[:300],
            suspense_entry_id=suspense,
        )
        self.queued_amount += abs(amount)
        return line

    @staticmethod
    def _captured(authorization: Authorization) -> None:
        authorization.state = Authorization.State.CAPTURED
        authorization.save(update_fields=["state", "updated_at"])

    # -- the records

    def _apply(self, item: clr.ClearingItem) -> None:
        if (item.transaction_code, item.arn) in self.applied:
            self._line(item, Outcome.DUPLICATE, detail="applied from an earlier file")
            return
        self.applied.add((item.transaction_code, item.arn))
        card = self._card(item)
        code = item.transaction_code
        if code == clr.PRESENTMENT:
            self._presentment(item, card)
        elif code == clr.REFUND:
            self._refund(item, card)
        else:
            self._reversal(item, card)

    def _authorization(self, item: clr.ClearingItem, card: Card) -> Authorization | None:
        if not item.auth_code:
            return None
        found = Authorization.objects.select_for_update().filter(
            card=card, auth_code=item.auth_code, response_code="00", reversal_of__isnull=True
        )
        if item.rrn:
            found = found.filter(rrn=item.rrn)
        if item.stan:
            found = found.filter(stan=item.stan)
        return found.order_by("-created_at", "-pk").first()

    def _presentment(self, item: clr.ClearingItem, card: Card | None) -> None:
        if card is None:
            self._queue(item, Reason.UNKNOWN_CARD, item.amount_cents)
            return
        auth = self._authorization(item, card)
        State = Authorization.State
        if auth is None:
            self._force_post(item, card, None, "no authorization (offline or force post)")
        elif auth.state == State.APPROVED and auth.hold_id:
            self._capture(item, card, auth)
        elif auth.state == State.REVERSED:
            self._queue(
                item,
                Reason.AUTHORIZATION_REVERSED,
                item.amount_cents,
                card=card,
                authorization=auth,
            )
        elif auth.state == State.CAPTURED:
            earlier = (
                ClearingLine.objects.filter(authorization=auth, transaction_code=clr.PRESENTMENT)
                .exclude(outcome=Outcome.DUPLICATE)
                .exists()
            )
            if earlier:
                self._force_post(
                    item, card, auth, "another presentment of a captured authorization"
                )
            else:
                self._single_message(item, card, auth)
        else:  # expired (a late presentment), or approved without a hold
            self._force_post(item, card, auth, f"authorization {auth.state}: no hold left")

    def _force_post(
        self,
        item: clr.ClearingItem,
        card: Card,
        auth: Authorization | None,
        why: str,
        entries: list[int] | None = None,
    ) -> None:
        if auth is not None and auth.state != Authorization.State.CAPTURED:
            self._captured(auth)
        entry = self._debit(card.account_id, item.amount_cents, item)
        if entry is None:
            self._queue(
                item,
                Reason.UNPAID,
                item.amount_cents,
                card=card,
                authorization=auth,
                entries=entries,
                detail=why,
            )
            return
        self._line(
            item,
            Outcome.POSTED,
            card=card,
            authorization=auth,
            entries=[*(entries or []), entry],
            detail=why,
        )

    def _capture(self, item: clr.ClearingItem, card: Card, auth: Authorization) -> None:
        authorized, presented = auth.amount, item.amount_cents
        try:
            with transaction.atomic():
                hold = accounts.hold_capture(
                    hold_id=auth.hold_id,
                    amount_cents=min(presented, authorized),
                    counterpart_id=_settlement_id(),
                    kind="card_purchase",
                    description=f"card {card.masked_pan} {auth.merchant_name} ARN {item.arn}",
                    metadata=self._metadata(item),
                )
        except DomainError:
            # The hold was released meanwhile (expired by the accounts beat): no hold left.
            self._force_post(item, card, auth, "the hold was no longer active")
            return
        self._captured(auth)
        entries = [hold.capture_entry_id]
        extra = presented - authorized
        if extra <= 0:
            detail = f"partial: {-extra} released" if extra else ""
            self._line(
                item,
                Outcome.CAPTURED,
                card=card,
                authorization=auth,
                entries=entries,
                detail=detail,
            )
            return
        if extra * 100 > authorized * self.tolerance:
            self._queue(
                item,
                Reason.OVER_TOLERANCE,
                extra,
                card=card,
                authorization=auth,
                entries=entries,
                detail=f"{extra} over the {authorized} authorized (tolerance {self.tolerance}%)",
            )
            return
        entry = self._debit(card.account_id, extra, item)
        if entry is None:
            self._queue(
                item,
                Reason.EXTRA_UNPAID,
                extra,
                card=card,
                authorization=auth,
                entries=entries,
                detail=f"{extra} over the {authorized} authorized",
            )
            return
        self._line(
            item,
            Outcome.CAPTURED,
            card=card,
            authorization=auth,
            entries=[*entries, entry],
            detail=f"over-capture of {extra} within tolerance",
        )

    def _single_message(self, item: clr.ClearingItem, card: Card, auth: Authorization) -> None:
        """A presentment of an authorization captured when it was authorized (0200)."""
        from apps.accounts.models import Hold  # a read: the capture entry of the 0200's hold

        capture = (
            Hold.objects.filter(pk=auth.hold_id).values_list("capture_entry_id", flat=True).first()
        )
        entries = [capture] if capture else []
        difference = item.amount_cents - auth.amount
        if difference == 0:
            self._line(
                item,
                Outcome.ALREADY_CAPTURED,
                card=card,
                authorization=auth,
                entries=entries,
                detail="captured when authorized",
            )
            return
        self._queue(
            item,
            Reason.AMOUNT_MISMATCH,
            difference,
            card=card,
            authorization=auth,
            entries=entries,
            detail=f"presented {item.amount_cents}, captured {auth.amount} when authorized",
        )

    def _refund(self, item: clr.ClearingItem, card: Card | None) -> None:
        if card is None:
            self._queue(item, Reason.UNKNOWN_CARD, -item.amount_cents)
            return
        entry = self._credit(card.account_id, item.amount_cents, item)
        if entry is None:
            self._queue(item, Reason.REFUND_UNPAID, -item.amount_cents, card=card)
            return
        self._line(item, Outcome.REFUNDED, card=card, entries=[entry])

    def _reversal(self, item: clr.ClearingItem, card: Card | None) -> None:
        reversing_presentment = item.transaction_code == clr.PRESENTMENT_REVERSAL
        original_code = clr.PRESENTMENT if reversing_presentment else clr.REFUND
        # What the network moves: a 25 gives us the amount back, a 26 takes it.
        owed = -item.amount_cents if reversing_presentment else item.amount_cents
        original = (
            ClearingLine.objects.select_for_update()
            .filter(transaction_code=original_code, arn=item.original_arn)
            .exclude(outcome=Outcome.DUPLICATE)
            .first()
        )
        already = (
            ClearingLine.objects.filter(
                transaction_code=item.transaction_code, original_arn=item.original_arn
            )
            .exclude(outcome=Outcome.DUPLICATE)
            .exists()
        )
        if original is None or already or original.amount != item.amount_cents:
            why = (
                "no such record"
                if original is None
                else "reversed already"
                if already
                else f"the original was {original.amount}"
            )
            self._queue(
                item,
                Reason.REVERSAL_UNMATCHED,
                owed,
                card=card,
                detail=f"{item.original_arn}: {why}",
            )
            return
        try:
            with transaction.atomic():
                entries = self._reverse_line(original, item)
        except DomainError as exc:
            # A refund reversed after the customer spent it: the account cannot pay it back.
            self._queue(
                item,
                Reason.UNPAID if owed > 0 else Reason.REVERSAL_UNMATCHED,
                owed,
                card=card,
                authorization=original.authorization,
                detail=f"reversal of {item.original_arn}: {exc.message}",
            )
            return
        self._line(
            item,
            Outcome.REVERSED,
            card=card,
            authorization=original.authorization,
            entries=entries,
            detail=f"reverses line {original.line_number} of {original.file.name}",
        )

    def _reverse_line(self, original: ClearingLine, item: clr.ClearingItem) -> list[int]:
        reason = f"card network reversal ARN {item.arn}"
        entries = [
            accounts.entry_reverse(entry_id=entry_id, reason=reason)
            for entry_id in original.entry_ids
        ]
        for exception in ClearingException.objects.select_for_update().filter(line=original):
            if exception.state == ClearingException.State.OPEN:
                apply_transition(exception, "close", by="card network", reason=reason)
            elif exception.resolution_entry_id:
                entries.append(
                    accounts.entry_reverse(entry_id=exception.resolution_entry_id, reason=reason)
                )
        return entries


# --- The operators' queue ----------------------------------------------------------------------


def _locked_open_exception(exception_id: int) -> ClearingException:
    exception = ClearingException.objects.select_for_update().filter(pk=exception_id).first()
    if exception is None:
        raise NotFound(_("Clearing exception not found."))
    if exception.state != ClearingException.State.OPEN:
        raise Conflict(
            _("The exception is already %(state)s."),
            params={"state": exception.get_state_display()},
        )
    return exception


@transaction.atomic
def exception_charge(*, exception_id: int, actor, reason: str) -> ClearingException:
    """Settle a queue item with its customer out of suspense: a debit of what the network
    took (card_purchase), or a credit of what it paid (card_refund)."""
    if not reason.strip():
        raise ValidationFailed(_("A reason is required."), field="reason")
    exception = _locked_open_exception(exception_id)
    if exception.account_id is None:
        raise Conflict(_("No customer account to settle this exception with: close it instead."))
    amount = exception.amount
    line = exception.line
    metadata = {
        "merchant": line.merchant_name,
        "mcc": line.mcc,
        "card_last4": line.masked_card[-4:],
    }
    exception.resolution_entry_id = accounts.post_entry(
        kind="card_purchase" if amount > 0 else "card_refund",
        legs=[
            accounts.Leg(exception.account_id, -amount),
            accounts.Leg(_suspense_id(), amount),
        ],
        description=f"card clearing exception #{exception.pk}: {reason}",
        reference_type="card_clearing",
        reference_id=line.arn,
        created_by_id=getattr(actor, "pk", None),
        metadata=metadata,
    )
    exception.resolved_by = actor if getattr(actor, "pk", None) else None
    exception.resolved_at = timezone.now()
    return apply_transition(exception, "charge", by=actor, reason=reason)


@transaction.atomic
def exception_close(*, exception_id: int, actor, reason: str) -> ClearingException:
    """Close a queue item without touching the customer (a chargeback raised with the
    network, a loss written off): its money stays in suspense for accounting."""
    if not reason.strip():
        raise ValidationFailed(_("A reason is required."), field="reason")
    exception = _locked_open_exception(exception_id)
    exception.resolved_by = actor if getattr(actor, "pk", None) else None
    exception.resolved_at = timezone.now()
    return apply_transition(exception, "close", by=actor, reason=reason)


# --- Net settlement ----------------------------------------------------------------------------


@transaction.atomic
def clearing_settle(*, day: dt.date) -> ClearingSettlement | None:
    """Settle a business day's net with the network against the reserves account, once.

    card_settlement gives up the net of the day's processed files (what its lines credited
    it with); the reserves account pays the network's own figure (`net_position`), and a
    difference between the two goes to suspense and to the queue. None when the day was
    settled already or had nothing to settle."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('card_clearing_settle'))")
    if ClearingSettlement.objects.filter(business_day=day).exists():
        return None
    files = list(
        ClearingFile.objects.filter(business_day=day, state=ClearingFile.State.PROCESSED).only(
            "net"
        )
    )
    files_net = sum(f.net for f in files)
    network_net = clearing_client().net_position(day)
    if not files and network_net == 0:
        return None
    difference = network_net - files_net
    legs = [
        accounts.Leg(accounts.internal_account_id("reserves_bacen"), network_net),
        accounts.Leg(_settlement_id(), -files_net),
        accounts.Leg(_suspense_id(), -difference),
    ]
    legs = [leg for leg in legs if leg.amount]
    entry_id = None
    if legs:
        entry_id = accounts.post_entry(
            kind="card_network_settlement",
            legs=legs,
            description=f"card network net {day.isoformat()}",
            reference_type="card_network_settlement",
            reference_id=day.isoformat(),
            metadata={"day": day.isoformat(), "network_net": network_net, "files_net": files_net},
        )
    settlement = ClearingSettlement.objects.create(
        business_day=day,
        network_net=network_net,
        files_net=files_net,
        file_count=len(files),
        entry_id=entry_id,
    )
    if difference:
        ClearingException.objects.create(
            settlement=settlement,
            reason=Reason.SETTLEMENT_DIFFERENCE,
            amount=difference,
            detail=f"network {network_net}, files {files_net} on {day.isoformat()}",
            suspense_entry_id=entry_id,
        )
    return settlement


def clearing_settle_due(*, today: dt.date) -> list[ClearingSettlement]:
    """Settle every business day before `today` with processed files and no settlement."""
    days = (
        ClearingFile.objects.filter(
            state=ClearingFile.State.PROCESSED, business_day__lt=today, business_day__isnull=False
        )
        .exclude(business_day__in=ClearingSettlement.objects.values("business_day"))
        .values_list("business_day", flat=True)
        .distinct()
        .order_by("business_day")
    )
    settled = []
    for day in list(days):
        settlement = clearing_settle(day=day)
        if settlement is not None:
            settled.append(settlement)
    return settled
