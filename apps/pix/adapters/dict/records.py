"""What the DICT speaks in: its constants (claim statuses and reasons, infraction report
values, anti-scan policies), the records its answers become, and the few rules of the API
DICT 1.8.0 that both sides need (the CID of an entry, a payer's view of an owner's name)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apps.core.documents import mask_tax_id
from apps.pix import participants
from apps.pix.codecs.keys import KeyType

NATURAL_PERSON = "NATURAL_PERSON"
LEGAL_PERSON = "LEGAL_PERSON"

# Claim status and reasons, as the DICT writes them.
OPEN = "OPEN"
WAITING_RESOLUTION = "WAITING_RESOLUTION"
CONFIRMED = "CONFIRMED"
CANCELLED = "CANCELLED"
COMPLETED = "COMPLETED"
OPEN_STATUSES = (OPEN, WAITING_RESOLUTION, CONFIRMED)
OWNERSHIP = "OWNERSHIP"
PORTABILITY = "PORTABILITY"
USER_REQUESTED = "USER_REQUESTED"
ACCOUNT_CLOSURE = "ACCOUNT_CLOSURE"
FRAUD = "FRAUD"
DEFAULT_OPERATION = "DEFAULT_OPERATION"
RECONCILIATION = "RECONCILIATION"
BRANCH_TRANSFER = "BRANCH_TRANSFER"
DONOR = "DONOR"
CLAIMER = "CLAIMER"

# Infraction reports (MED), as the DICT writes them.
FRAUD_INFRACTION = "FRAUD"
INFRACTION_TYPES = ("FRAUD", "REFUND_REQUEST", "REFUND_CANCELLED")
DEBITED_PARTICIPANT = "DEBITED_PARTICIPANT"
CREDITED_PARTICIPANT = "CREDITED_PARTICIPANT"
TRANSACTION_SPI = "SPI"
TRANSACTION_INTERNAL = "INTERNAL"
AGREED = "AGREED"
DISAGREED = "DISAGREED"
INFRACTION_OPEN_STATUSES = ("OPEN", "ACKNOWLEDGED")
INFRACTION_CLOSED = "CLOSED"
INFRACTION_CANCELLED = "CANCELLED"
INFRACTION_ACKNOWLEDGED = "ACKNOWLEDGED"
INFRACTION_REPORT_WINDOW = timedelta(days=80)  # Regulamento Pix: MED up to 80 days
INFRACTION_DETAILS_MAX = 2000

POLICY_ANTISCAN = "ENTRIES_READ_USER_ANTISCAN"  # EMAIL, PHONE
POLICY_ANTISCAN_V2 = "ENTRIES_READ_USER_ANTISCAN_V2"  # CPF, CNPJ, EVP

_NAME_PARTICLES = {"da", "das", "de", "do", "dos", "e", "di", "du", "del", "van", "von"}


# --- Records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DictAccount:
    participant: str
    branch: str
    account_number: str
    account_type: str  # CACC, TRAN, SLRY, SVGS (pacs.008 domain)
    opened_at: datetime


@dataclass(frozen=True)
class DictOwner:
    type: str  # NATURAL_PERSON / LEGAL_PERSON
    tax_id: str
    name: str
    trade_name: str = ""

    @property
    def masked_name(self) -> str:
        return mask_owner_name(self.type, self.name)

    @property
    def masked_tax_id(self) -> str:
        return mask_tax_id(self.tax_id)


@dataclass(frozen=True)
class DictEntryRecord:
    """A directory entry as getEntry/createEntry return it. The full owner data is what
    the DICT gives the payer's PSP (the SPI message needs it); show customers only the
    masked views."""

    key: str
    key_type: str
    account: DictAccount
    owner: DictOwner
    created_at: datetime
    key_ownership_date: datetime
    open_claim_created_at: datetime | None = None

    @property
    def participant(self) -> str:
        return self.account.participant

    @property
    def bank_name(self) -> str:
        return participants.name_of(self.account.participant)

    @property
    def masked_owner_name(self) -> str:
        return self.owner.masked_name

    @property
    def masked_tax_id(self) -> str:
        return self.owner.masked_tax_id


@dataclass(frozen=True)
class DictClaimRecord:
    id: uuid.UUID
    claim_type: str
    key: str
    key_type: str
    claimer_account: DictAccount
    claimer: DictOwner
    donor_participant: str
    status: str
    resolution_period_end: datetime
    completion_period_end: datetime | None
    last_modified: datetime
    confirm_reason: str = ""
    cancel_reason: str = ""
    cancelled_by: str = ""

    @property
    def claimer_participant(self) -> str:
        return self.claimer_account.participant


@dataclass(frozen=True)
class DictRequester:
    """The end user on whose behalf a look-up is made (PI-PayerId) and their PSP."""

    payer_id: str  # CPF (11) or CNPJ (14), in clear, as the DICT requires
    category: str  # "PF" or "PJ"
    participant: str


@dataclass
class ClaimPage:
    claims: list[DictClaimRecord] = field(default_factory=list)
    has_more: bool = False


@dataclass(frozen=True)
class DictInfractionData:
    """InfractionData: what the DICT cannot know of an INTERNAL transaction (one that never
    crossed the SPI), given by the reporter. `tax_id` and the account are the infracting
    (credited) user's."""

    tax_id: str
    debited_participant: str
    credited_participant: str
    reported_by: str
    transaction_date: datetime
    account_number: str
    branch: str = ""
    key: str = ""


@dataclass(frozen=True)
class DictInfractionReportRecord:
    """An infraction report (ExtendedInfractionReport) as the DICT returns it.

    `situation` is the MED 2.0 fraud situation (SCAM, ACCOUNT_TAKEOVER, ...): API DICT
    1.8.0 has no element for it, so only the simulator carries it; from the HTTP client it
    is empty."""

    id: uuid.UUID
    transaction_id: str
    infraction_type: str
    reported_by: str
    status: str
    debited_participant: str
    credited_participant: str
    created_at: datetime
    last_modified: datetime
    details: str = ""
    transaction_type: str = TRANSACTION_SPI
    analysis_result: str = ""
    analysis_details: str = ""
    situation: str = ""

    @property
    def reporter_participant(self) -> str:
        if self.reported_by == CREDITED_PARTICIPANT:
            return self.credited_participant
        return self.debited_participant


# --- Helpers ---------------------------------------------------------------------------------


def mask_owner_name(owner_type: str, name: str) -> str:
    """As payers see it: a person's first name and initials ("João S. S."); a company's
    legal name in full."""
    name = " ".join((name or "").split())
    if owner_type == LEGAL_PERSON or not name:
        return name
    first, *rest = name.split(" ")
    initials = [f"{word[0].upper()}." for word in rest if word.lower() not in _NAME_PARTICLES]
    return " ".join([first, *initials])


def compute_cid(
    *,
    request_id: uuid.UUID | bytes,
    key_type: str,
    key: str,
    owner: DictOwner,
    account: DictAccount,
) -> str:
    """The entry's content identifier (API DICT, "Cálculo de CID")."""
    attributes = "&".join(
        [
            key_type,
            key,
            owner.tax_id,
            owner.name,
            owner.trade_name or "",
            account.participant,
            account.branch,
            account.account_number,
            account.account_type,
        ]
    )
    secret = request_id.bytes if isinstance(request_id, uuid.UUID) else request_id
    return hmac.new(secret, attributes.encode("utf-8"), hashlib.sha256).hexdigest()


def policy_for(key_type: str) -> str:
    if key_type in (KeyType.EMAIL, KeyType.PHONE):
        return POLICY_ANTISCAN
    return POLICY_ANTISCAN_V2
