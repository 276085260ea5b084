"""Pix keys and claims (ours), and the tables of the DICT simulator (prefixed `Dict`).

Ours:

* `PixKey`: a key of one of our customers' accounts, with its life cycle (FSM below).
* `OwnershipChallenge`: a code sent to a PHONE/EMAIL key to prove its possession.
* `PixClaim`: a claim (ownership or portability) as we see it: one we opened (role
  CLAIMER) or one another PSP opened against our key (role DONOR). Mirrors the DICT claim.

The simulator's (apps/pix/adapters/dict.py; stand for BACEN's national directory, never
written by anything else):

* `DictEntry`: the national directory (every PSP's keys, ours included).
* `DictClaim`: claims between PSPs, with their resolution and completion periods.
* `DictTokenBucket`: the anti-scan token buckets of getEntry, per end user and policy.

Key life cycle::

    registering ──activate──────────────► active ──delete──► deleted
        │                                  │  ▲
        │      pending_ownership ──confirm_ownership──┘  │ lock_for_claim / unlock
        │            │                     ▼  │
        ├──offer_claim┴──► awaiting_claim  locked_by_claim ──give_up──► transferred
        │                      │
        └────start_claim───────┴──► claiming ──claim_completed──► active
                                        └──────claim_failed──────► cancelled
    registering / pending_ownership / awaiting_claim ──cancel──► cancelled
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from apps.accounts.models import Account, Customer
from apps.core.crypto import EncryptedTextField, tax_id_lookup_hash
from apps.core.fsm import FSMModel
from apps.core.models import tracked_history


class KeyTypes(models.TextChoices):
    CPF = "CPF", "CPF"
    CNPJ = "CNPJ", "CNPJ"
    PHONE = "PHONE", _("phone")
    EMAIL = "EMAIL", _("e-mail")
    EVP = "EVP", _("random key (EVP)")


class ClaimTypes(models.TextChoices):
    OWNERSHIP = "OWNERSHIP", _("ownership claim")
    PORTABILITY = "PORTABILITY", _("portability")


class PixKey(FSMModel):
    class State(models.TextChoices):
        REGISTERING = "registering", _("registering")
        PENDING_OWNERSHIP = "pending_ownership", _("waiting for the possession code")
        AWAITING_CLAIM = "awaiting_claim", _("held elsewhere: a claim may be opened")
        CLAIMING = "claiming", _("claim in progress")
        ACTIVE = "active", _("active")
        LOCKED_BY_CLAIM = "locked_by_claim", _("claimed by another institution")
        DELETED = "deleted", _("deleted")
        TRANSFERRED = "transferred", _("transferred by a claim")
        CANCELLED = "cancelled", pgettext_lazy("pix key state", "cancelled")

    #: States that take one of the account's key slots (5 for a person, 20 for a company).
    SLOT_STATES = (
        State.REGISTERING,
        State.PENDING_OWNERSHIP,
        State.AWAITING_CLAIM,
        State.CLAIMING,
        State.ACTIVE,
        State.LOCKED_BY_CLAIM,
    )
    #: States in which the key is ours in the directory (or being registered): one row per
    #: key. Pending and awaiting-claim rows are not unique: several customers may try to
    #: prove possession of one phone; the directory admits one of them. Claiming rows are
    #: not either: an ownership claim between two of our customers has the holder's row
    #: (locked) and the claimer's at once; the DICT allows one claim per key.
    UNIQUE_STATES = (State.REGISTERING, State.ACTIVE, State.LOCKED_BY_CLAIM)

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="pix_keys")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="pix_keys")
    key_type = models.CharField(_("key type"), max_length=5, choices=KeyTypes.choices)
    # Keys are public identifiers in the DICT: stored in clear, masked in logs.
    key = models.CharField(_("key"), max_length=77, blank=True, db_index=True)
    request_id = models.UUIDField(default=uuid.uuid4, editable=False)
    claim_offer = models.CharField(max_length=11, choices=ClaimTypes.choices, blank=True)
    possession_verified_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    ownership_since = models.DateTimeField(null=True, blank=True)
    state = FSMField(default=State.REGISTERING, choices=State.choices, protected=True)
    state_reason = models.TextField(blank=True)
    history = tracked_history()

    class Meta:
        verbose_name = _("Pix key")
        verbose_name_plural = _("Pix keys")
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(state__in=["registering", "active", "locked_by_claim"])
                & ~models.Q(key=""),
                name="pix_key_live_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(key_type__in=["CPF", "CNPJ", "PHONE", "EMAIL", "EVP"]),
                name="pix_key_type_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "state"], name="pix_key_account_state_idx"),
            models.Index(fields=["customer", "state"], name="pix_key_customer_state_idx"),
        ]

    def __str__(self) -> str:
        from apps.pix.keys import mask_key

        return f"{self.key_type} {mask_key(self.key_type, self.key) or '(new)'}"

    @property
    def holds_slot(self) -> bool:
        return self.state in self.SLOT_STATES

    @transition(field=state, source=State.REGISTERING, target=State.ACTIVE)
    def activate(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=State.PENDING_OWNERSHIP, target=State.ACTIVE)
    def confirm_ownership(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(
        field=state,
        source=[State.REGISTERING, State.PENDING_OWNERSHIP],
        target=State.AWAITING_CLAIM,
    )
    def offer_claim(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(
        field=state, source=[State.REGISTERING, State.AWAITING_CLAIM], target=State.CLAIMING
    )
    def start_claim(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=State.CLAIMING, target=State.ACTIVE)
    def claim_completed(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=State.CLAIMING, target=State.CANCELLED)
    def claim_failed(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=State.ACTIVE, target=State.LOCKED_BY_CLAIM)
    def lock_for_claim(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=State.LOCKED_BY_CLAIM, target=State.ACTIVE)
    def unlock(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=State.LOCKED_BY_CLAIM, target=State.TRANSFERRED)
    def give_up(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=State.ACTIVE, target=State.DELETED)
    def delete_key(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(
        field=state,
        source=[State.REGISTERING, State.PENDING_OWNERSHIP, State.AWAITING_CLAIM],
        target=State.CANCELLED,
    )
    def cancel(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason


class PixClaim(FSMModel):
    """A DICT claim as we live it. States follow the DICT's claim status."""

    class Role(models.TextChoices):
        CLAIMER = "claimer", _("we claim a key held elsewhere")
        DONOR = "donor", _("our key is claimed elsewhere")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        WAITING_RESOLUTION = "waiting_resolution", _("waiting for resolution")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", pgettext_lazy("pix claim state", "cancelled")
        COMPLETED = "completed", _("completed")

    FINAL_STATES = (State.CANCELLED, State.COMPLETED)

    dict_claim_id = models.UUIDField(_("DICT claim id"))
    role = models.CharField(max_length=7, choices=Role.choices)
    claim_type = models.CharField(max_length=11, choices=ClaimTypes.choices)
    key_type = models.CharField(max_length=5, choices=KeyTypes.choices)
    key = models.CharField(max_length=77)
    pix_key = models.ForeignKey(PixKey, on_delete=models.PROTECT, related_name="claims")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="pix_claims")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="pix_claims")
    counterpart_ispb = models.CharField(
        _("other institution (ISPB)"),
        max_length=8,
        help_text=_("The donor when we claim; the claimer when our key is claimed."),
    )
    resolution_period_end = models.DateTimeField()
    completion_period_end = models.DateTimeField(null=True, blank=True)
    dict_last_modified = models.DateTimeField(null=True, blank=True)
    confirm_reason = models.CharField(max_length=20, blank=True)
    cancel_reason = models.CharField(max_length=20, blank=True)
    cancelled_by = models.CharField(max_length=7, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    state = FSMField(default=State.OPEN, choices=State.choices, protected=True)
    history = tracked_history()

    class Meta:
        verbose_name = _("Pix key claim")
        verbose_name_plural = _("Pix key claims")
        constraints = [
            models.UniqueConstraint(
                fields=["dict_claim_id", "role"], name="pix_claim_dict_id_role_uniq"
            )
        ]
        indexes = [
            models.Index(fields=["state", "resolution_period_end"], name="pix_claim_due_idx"),
            models.Index(fields=["customer", "state"], name="pix_claim_customer_state_idx"),
        ]

    def __str__(self) -> str:
        from apps.pix.keys import mask_key

        return f"{self.get_claim_type_display()} {mask_key(self.key_type, self.key)} ({self.role})"

    @property
    def is_final(self) -> bool:
        return self.state in self.FINAL_STATES

    @transition(field=state, source=State.OPEN, target=State.WAITING_RESOLUTION)
    def acknowledge(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.WAITING_RESOLUTION, target=State.CONFIRMED)
    def confirm(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(
        field=state,
        source=[State.OPEN, State.WAITING_RESOLUTION, State.CONFIRMED],
        target=State.CANCELLED,
    )
    def cancel(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.CONFIRMED, target=State.COMPLETED)
    def complete(self, *, by=None, reason: str = "") -> None:
        pass


class OwnershipChallenge(models.Model):
    """A 6-digit code sent to a PHONE/EMAIL key; only its keyed hash is stored."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("register the key")
        KEEP = "keep", _("keep the key against an ownership claim")

    pix_key = models.ForeignKey(PixKey, on_delete=models.CASCADE, related_name="challenges")
    claim = models.ForeignKey(
        PixClaim, null=True, blank=True, on_delete=models.CASCADE, related_name="challenges"
    )
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["pix_key", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} code for key {self.pix_key_id}"


# --- The DICT simulator's tables ----------------------------------------------------------


class DictEntry(models.Model):
    """A row of the (simulated) national directory: a key bound to an account and owner."""

    key = models.CharField(max_length=77, unique=True)
    key_type = models.CharField(max_length=5, choices=KeyTypes.choices)
    participant = models.CharField(max_length=8)
    branch = models.CharField(max_length=4)
    account_number = models.CharField(max_length=20)
    account_type = models.CharField(max_length=4)
    account_opened_at = models.DateTimeField()
    owner_type = models.CharField(max_length=14)  # NATURAL_PERSON / LEGAL_PERSON
    # The directory holds CPFs/CNPJs of every PSP's customers: encrypted like ours, with a
    # keyed hash to compare owners.
    owner_tax_id = EncryptedTextField()
    owner_tax_id_hash = models.CharField(max_length=64, db_index=True)
    owner_name = models.CharField(max_length=120)
    owner_trade_name = models.CharField(max_length=100, blank=True)
    request_id = models.UUIDField()
    cid = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_ownership_date = models.DateTimeField()

    class Meta:
        verbose_name = _("DICT entry (simulator)")
        verbose_name_plural = _("DICT entries (simulator)")
        indexes = [
            models.Index(
                fields=["participant", "branch", "account_number"], name="dict_entry_account_idx"
            )
        ]

    def __str__(self) -> str:
        from apps.pix.keys import mask_key

        return f"{self.key_type} {mask_key(self.key_type, self.key)} @ {self.participant}"


class DictClaim(models.Model):
    """A claim between PSPs in the (simulated) DICT."""

    OPEN_STATUSES = ("OPEN", "WAITING_RESOLUTION", "CONFIRMED")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim_type = models.CharField(max_length=11, choices=ClaimTypes.choices)
    key = models.CharField(max_length=77)
    key_type = models.CharField(max_length=5, choices=KeyTypes.choices)
    claimer_participant = models.CharField(max_length=8)
    claimer_branch = models.CharField(max_length=4)
    claimer_account_number = models.CharField(max_length=20)
    claimer_account_type = models.CharField(max_length=4)
    claimer_account_opened_at = models.DateTimeField()
    claimer_type = models.CharField(max_length=14)
    claimer_tax_id = EncryptedTextField()
    claimer_tax_id_hash = models.CharField(max_length=64)
    claimer_name = models.CharField(max_length=120)
    claimer_trade_name = models.CharField(max_length=100, blank=True)
    donor_participant = models.CharField(max_length=8)
    donor_key_ownership_date = models.DateTimeField()
    status = models.CharField(max_length=18, default="OPEN")
    created_at = models.DateTimeField()
    resolution_period_end = models.DateTimeField()
    completion_period_end = models.DateTimeField(null=True, blank=True)
    last_modified = models.DateTimeField()
    confirm_reason = models.CharField(max_length=20, blank=True)
    cancel_reason = models.CharField(max_length=20, blank=True)
    cancelled_by = models.CharField(max_length=7, blank=True)
    completion_request_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("DICT claim (simulator)")
        verbose_name_plural = _("DICT claims (simulator)")
        constraints = [
            # ClaimAlreadyExistsForKey: one claim in progress per key.
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status__in=["OPEN", "WAITING_RESOLUTION", "CONFIRMED"]),
                name="dict_claim_one_open_per_key",
            )
        ]
        indexes = [
            models.Index(
                fields=["donor_participant", "last_modified"], name="dict_claim_donor_idx"
            ),
            models.Index(
                fields=["claimer_participant", "last_modified"], name="dict_claim_claimer_idx"
            ),
            models.Index(fields=["status", "resolution_period_end"], name="dict_claim_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_type} {self.id} ({self.status})"


class DictTokenBucket(models.Model):
    """One anti-scan bucket of the (simulated) DICT: per participant, end user and policy.

    `tokens` is the level at `updated_at`; the refill since then is computed by the one
    UPDATE that spends (see DictSimulator._spend), so no job has to top buckets up."""

    participant = models.CharField(max_length=8)
    payer_hash = models.CharField(max_length=64)
    payer_category = models.CharField(max_length=2)  # PF / PJ
    policy = models.CharField(max_length=40)
    capacity = models.IntegerField()
    refill_per_minute = models.FloatField()
    tokens = models.FloatField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("DICT token bucket (simulator)")
        verbose_name_plural = _("DICT token buckets (simulator)")
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "payer_hash", "policy"], name="dict_bucket_uniq"
            ),
            models.CheckConstraint(condition=models.Q(tokens__gte=0), name="dict_bucket_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.payer_category} {self.payer_hash[:8]}"


class DictLookup(models.Model):
    """A found look-up of the (simulated) DICT that named the endToEndId of a payment to
    come (PI-EndToEndId): the payment order gives its payer the token back, once."""

    end_to_end_id = models.CharField(max_length=32, unique=True)
    participant = models.CharField(max_length=8)
    payer_hash = models.CharField(max_length=64)
    policy = models.CharField(max_length=40)
    created_at = models.DateTimeField(db_index=True)
    credited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("DICT look-up (simulator)")
        verbose_name_plural = _("DICT look-ups (simulator)")

    def __str__(self) -> str:
        return f"{self.end_to_end_id} ({self.policy})"


# --- The SPI simulator's table ------------------------------------------------------------


class SpiSimulatedMessage(models.Model):
    """A pacs.008 or pacs.004 that went through the (simulated) SPI, with the SPI's answer.

    `end_to_end_id` is the endToEndId ("E...") of a pacs.008 or the returnId ("D...") of a
    pacs.004; the SPI accepts each id once, so it is unique (rejected messages included).
    For a pacs.004, `original_end_to_end_id` names the Pix being returned."""

    class Direction(models.TextChoices):
        OUTBOUND = "OUTBOUND", _("sent by us")
        INBOUND = "INBOUND", _("delivered to us")

    class Kind(models.TextChoices):
        PACS008 = "pacs.008", _("credit transfer")
        PACS004 = "pacs.004", _("return")

    end_to_end_id = models.CharField(max_length=32, unique=True)
    original_end_to_end_id = models.CharField(max_length=32, blank=True, db_index=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    debtor_ispb = models.CharField(max_length=8)
    creditor_ispb = models.CharField(max_length=8)
    amount_cents = models.BigIntegerField()
    xml = models.TextField()
    status = models.CharField(max_length=4)  # ACSC/ACCC (settled) or RJCT
    reason = models.CharField(max_length=4, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("SPI message (simulator)")
        verbose_name_plural = _("SPI messages (simulator)")

    def __str__(self) -> str:
        return f"{self.kind} {self.end_to_end_id} {self.status} {self.reason}".rstrip()


# --- Pix transfers ----------------------------------------------------------------------


class PixTransfer(FSMModel):
    """One Pix, sent by one of our customers or received by one.

    Outbound to another PSP: created -> sent (payer debited to the reserves account, pacs.008
    handed to the SPI) -> settled (ACSC) or rejected (RJCT: the money goes back). Internal
    (payee at Athena) and inbound Pix settle in one step: created -> settled.
    """

    class Direction(models.TextChoices):
        OUT = "out", _("sent")
        IN = "in", _("received")

    class State(models.TextChoices):
        CREATED = "created", _("created")
        SCHEDULED = "scheduled", _("scheduled")
        SENT = "sent", _("sent to the SPI")
        SETTLED = "settled", _("settled")
        REJECTED = "rejected", _("rejected (money returned)")
        CANCELLED = "cancelled", pgettext_lazy("pix transfer state", "cancelled")
        FAILED = "failed", _("failed")

    class Initiation(models.TextChoices):
        # pacs.008 LclInstrm: how the payer gave the payee (SPI catalogue).
        MANU = "MANU", _("agency and account typed in")
        DICT = "DICT", _("Pix key")
        QRES = "QRES", _("static QR code")
        QRDN = "QRDN", _("dynamic QR code")
        INIC = "INIC", _("payment initiator")

    direction = models.CharField(max_length=3, choices=Direction.choices)
    # Null only while SCHEDULED: the id carries the minute the Pix is really sent.
    end_to_end_id = models.CharField(max_length=32, unique=True, null=True, blank=True)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="pix_transfers")
    amount = models.BigIntegerField(_("amount (centavos)"))
    internal = models.BooleanField(default=False)
    # The other side: the payee of an outbound Pix, the payer of an inbound one. The tax id
    # is kept in full (the SPI message carries it) but encrypted at rest.
    counterparty_name = models.CharField(max_length=140, blank=True)
    counterparty_tax_id = EncryptedTextField(blank=True)
    # Its keyed hash (kept by save()), for exact look-ups: the payer filter of GET /pix.
    counterparty_tax_id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    counterparty_ispb = models.CharField(max_length=8)
    counterparty_branch = models.CharField(max_length=4, blank=True)
    counterparty_account_number = models.CharField(max_length=20)
    counterparty_account_type = models.CharField(max_length=4, blank=True)
    counterparty_key = models.CharField(max_length=77, blank=True)
    description = models.CharField(max_length=140, blank=True)
    initiation = models.CharField(
        max_length=4, choices=Initiation.choices, default=Initiation.DICT, blank=True
    )
    # The receiver's reconciliation id (pacs.008 PmtId/TxId): the charge's txid for a Pix
    # paying a QR code; blank otherwise.
    tx_id = models.CharField(_("txid"), max_length=35, blank=True)
    charge = models.ForeignKey(
        "PixCharge", null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    scheduled_for = models.DateField(_("scheduled for"), null=True, blank=True)
    # An internal Pix (both sides at Athena) is one row, the payer's; the payee's account is
    # kept here so the payee sees it as received (API Pix /pix, refunds, notifications).
    payee_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pix_received_internally",
    )
    state = FSMField(default=State.CREATED, choices=State.choices, protected=True)
    debit_entry_id = models.BigIntegerField(null=True, blank=True)
    credit_entry_id = models.BigIntegerField(null=True, blank=True)
    return_entry_id = models.BigIntegerField(null=True, blank=True)
    reject_reason = models.CharField(max_length=200, blank=True)
    pacs008 = models.TextField(blank=True)
    pacs002 = models.TextField(blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    history = tracked_history(excluded_fields=["pacs008", "pacs002"])

    class Meta:
        verbose_name = _("Pix transfer")
        verbose_name_plural = _("Pix transfers")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="pix_transfer_positive"),
        ]
        indexes = [
            models.Index(fields=["account", "created_at"], name="pix_transfer_account_idx"),
            models.Index(fields=["state", "updated_at"], name="pix_transfer_state_idx"),
            models.Index(
                fields=["scheduled_for"],
                name="pix_transfer_scheduled_idx",
                condition=models.Q(state="scheduled"),
            ),
        ]

    def __str__(self) -> str:
        return f"Pix {self.direction} {self.end_to_end_id or self.pk} ({self.state})"

    def save(self, *args, **kwargs) -> None:
        digest = tax_id_lookup_hash(self.counterparty_tax_id) if self.counterparty_tax_id else ""
        if digest != self.counterparty_tax_id_hash:
            self.counterparty_tax_id_hash = digest
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "counterparty_tax_id_hash"}
        super().save(*args, **kwargs)

    @property
    def receiving_account_id(self) -> int | None:
        """The account credited: ours for an inbound Pix, the payee's for an internal one."""
        if self.direction == self.Direction.IN:
            return self.account_id
        return self.payee_account_id if self.internal else None

    @property
    def receiving_account(self) -> Account | None:
        if self.direction == self.Direction.IN:
            return self.account
        return self.payee_account if self.internal else None

    @transition(field=state, source=State.CREATED, target=State.SCHEDULED)
    def schedule(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=[State.CREATED, State.SCHEDULED], target=State.SENT)
    def send(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(
        field=state, source=[State.CREATED, State.SCHEDULED, State.SENT], target=State.SETTLED
    )
    def settle(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.settled_at = timezone.now()

    @transition(field=state, source=State.SENT, target=State.REJECTED)
    def reject(self, *, by=None, reason: str = "") -> None:
        self.reject_reason = reason[:200]

    @transition(field=state, source=State.SCHEDULED, target=State.CANCELLED)
    def cancel(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.SCHEDULED, target=State.FAILED)
    def fail(self, *, by=None, reason: str = "") -> None:
        """A scheduled Pix that could not go out on its day (funds, limits, payee gone)."""
        self.reject_reason = reason[:200]


class PixRefund(FSMModel):
    """A devolução (pacs.004) of a Pix one of our customers received, in whole or in part.

    EM_PROCESSAMENTO (customer debited to the reserves account, pacs.004 built) -> DEVOLVIDO
    (the SPI settled the return) or NAO_REALIZADO (RJCT: the money goes back to the
    customer). `refund_id` is the client's `id`, unique per Pix (endToEndId)."""

    class State(models.TextChoices):
        EM_PROCESSAMENTO = "EM_PROCESSAMENTO", _("in progress")
        DEVOLVIDO = "DEVOLVIDO", _("returned")
        NAO_REALIZADO = "NAO_REALIZADO", _("not carried out")

    transfer = models.ForeignKey(PixTransfer, on_delete=models.PROTECT, related_name="refunds")
    refund_id = models.CharField(_("refund id"), max_length=35)
    return_id = models.CharField(_("return id"), max_length=32, unique=True)
    amount = models.BigIntegerField(_("amount (centavos)"))
    reason_code = models.CharField(max_length=4, default="MD06")
    description = models.CharField(max_length=140, blank=True)
    state = FSMField(default=State.EM_PROCESSAMENTO, choices=State.choices, protected=True)
    debit_entry_id = models.BigIntegerField(null=True, blank=True)
    return_entry_id = models.BigIntegerField(null=True, blank=True)
    reject_reason = models.CharField(max_length=200, blank=True)
    pacs004 = models.TextField(blank=True)
    pacs002 = models.TextField(blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    history = tracked_history(excluded_fields=["pacs004", "pacs002"])

    class Meta:
        verbose_name = _("Pix refund")
        verbose_name_plural = _("Pix refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "refund_id"], name="pix_refund_transfer_id_uniq"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="pix_refund_positive"),
            models.CheckConstraint(
                condition=models.Q(refund_id__regex=r"^[a-zA-Z0-9]{1,35}$"),
                name="pix_refund_id_format",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "updated_at"], name="pix_refund_state_idx"),
        ]

    def __str__(self) -> str:
        return f"Pix refund {self.refund_id} of {self.transfer_id} ({self.state})"

    @transition(field=state, source=State.EM_PROCESSAMENTO, target=State.DEVOLVIDO)
    def complete(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.returned_at = timezone.now()

    @transition(field=state, source=State.EM_PROCESSAMENTO, target=State.NAO_REALIZADO)
    def fail(self, *, by=None, reason: str = "") -> None:
        self.reject_reason = reason[:200]


# --- Night limit chosen by the customer -------------------------------------------------


class PixLimitSettings(models.Model):
    """A natural person's Pix night window and night limit (Resolução BCB nº 142/2021).

    The night starts at 20:00 or 22:00 and ends at 06:00 (Brasilia). A lower limit applies at
    once; a higher one is recorded as pending and applies 24 h after the request, so a
    fraudster holding the phone cannot raise it and empty the account the same night."""

    class NightStart(models.IntegerChoices):
        AT_20 = 20, "20:00"
        AT_22 = 22, "22:00"

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="pix_limit_settings"
    )
    night_starts_at_hour = models.PositiveSmallIntegerField(
        _("night starts at"), choices=NightStart.choices, default=NightStart.AT_20
    )
    night_limit = models.BigIntegerField(_("night limit (centavos)"), default=100_000)
    pending_night_limit = models.BigIntegerField(null=True, blank=True)
    pending_effective_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = tracked_history()

    class Meta:
        verbose_name = _("Pix limit settings")
        verbose_name_plural = _("Pix limit settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(night_limit__gte=0), name="pix_night_limit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"Pix limits of account {self.account_id}"


# --- API Pix (BACEN) charges: locations, cob and cobv -------------------------------------


class PixLocation(models.Model):
    """A payload location (`loc`): the URL a dynamic BR Code points to.

    The payer's PSP fetches the charge's payload from it. `id` is the API's integer id; the
    URL (without scheme) is built from settings.PIX_LOCATION_HOST and `uuid`."""

    class ChargeType(models.TextChoices):
        COB = "cob", "cob"
        COBV = "cobv", "cobv"

    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="pix_locations")
    charge_type = models.CharField(_("tipoCob"), max_length=4, choices=ChargeType.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Pix payload location")
        verbose_name_plural = _("Pix payload locations")
        indexes = [
            models.Index(fields=["customer", "created_at"], name="pix_location_customer_idx")
        ]

    def __str__(self) -> str:
        return f"loc {self.pk} ({self.charge_type})"


class PixCharge(FSMModel):
    """A charge of BACEN's API Pix: `cob` (immediate) or `cobv` (with a due date).

    The structured parts of the standard are kept as given (JSON) where nothing queries
    them: `value_terms` holds cobv's multa/juros/abatimento/desconto and cob's retirada,
    `debtor` the devedor (encrypted: it carries a CPF/CNPJ; `debtor_tax_id_hash` serves
    the list's cpf/cnpj filter).

    ATIVA -> CONCLUIDA (paid) | REMOVIDA_PELO_USUARIO_RECEBEDOR (PATCH status) |
    REMOVIDA_PELO_PSP (expired or cancelled by us)."""

    class Kind(models.TextChoices):
        COB = "cob", _("immediate charge")
        COBV = "cobv", _("charge with due date")

    class Status(models.TextChoices):
        ATIVA = "ATIVA", _("active")
        CONCLUIDA = "CONCLUIDA", _("paid")
        REMOVIDA_PELO_USUARIO_RECEBEDOR = (
            "REMOVIDA_PELO_USUARIO_RECEBEDOR",
            _("removed by the receiver"),
        )
        REMOVIDA_PELO_PSP = "REMOVIDA_PELO_PSP", _("removed by the PSP")

    kind = models.CharField(max_length=4, choices=Kind.choices)
    txid = models.CharField(_("txid"), max_length=35)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="pix_charges")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="pix_charges")
    pix_key = models.ForeignKey(PixKey, on_delete=models.PROTECT, related_name="charges")
    key = models.CharField(_("chave"), max_length=77)
    status = FSMField(default=Status.ATIVA, choices=Status.choices, protected=True)
    revision = models.PositiveIntegerField(_("revisao"), default=0)
    expires_in_seconds = models.PositiveIntegerField(_("expiracao"), default=86400)
    due_date = models.DateField(_("dataDeVencimento"), null=True, blank=True)
    valid_days_after_due = models.PositiveIntegerField(
        _("validadeAposVencimento"), null=True, blank=True
    )
    amount = models.BigIntegerField(_("valor.original (centavos)"))
    amount_editable = models.BooleanField(_("valor.modalidadeAlteracao"), default=False)
    value_terms = models.JSONField(default=dict, blank=True)
    debtor = EncryptedTextField(blank=True)  # JSON of `devedor`
    debtor_tax_id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    payer_request = models.CharField(_("solicitacaoPagador"), max_length=140, blank=True)
    additional_info = models.JSONField(_("infoAdicionais"), default=list, blank=True)
    location = models.OneToOneField(
        PixLocation, null=True, blank=True, on_delete=models.SET_NULL, related_name="charge"
    )
    concluded_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.CharField(max_length=200, blank=True)
    history = tracked_history(excluded_fields=["debtor"])

    class Meta:
        verbose_name = _("Pix charge")
        verbose_name_plural = _("Pix charges")
        constraints = [
            # txid is unique per receiving user (Manual de Padrões para Iniciação do Pix).
            models.UniqueConstraint(fields=["customer", "txid"], name="pix_charge_txid_uniq"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="pix_charge_amount"),
            models.CheckConstraint(
                condition=models.Q(txid__regex=r"^[a-zA-Z0-9]{26,35}$"),
                name="pix_charge_txid_format",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="pix_charge_customer_idx"),
            models.Index(fields=["status", "kind"], name="pix_charge_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.txid} ({self.status})"

    @transition(field=status, source=Status.ATIVA, target=Status.CONCLUIDA)
    def conclude(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.concluded_at = timezone.now()

    @transition(field=status, source=Status.ATIVA, target=Status.REMOVIDA_PELO_USUARIO_RECEBEDOR)
    def remove_by_receiver(self, *, by=None, reason: str = "") -> None:
        self.removed_reason = reason[:200]

    @transition(field=status, source=Status.ATIVA, target=Status.REMOVIDA_PELO_PSP)
    def remove_by_psp(self, *, by=None, reason: str = "") -> None:
        self.removed_reason = reason[:200]


class PixWebhook(models.Model):
    """An integrator's webhook for a key (`PUT /webhook/{chave}`): Pix received on the key are
    POSTed to `url` + "/pix", signed with HMAC-SHA256 under `secret`."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="pix_webhooks")
    pix_key = models.OneToOneField(PixKey, on_delete=models.CASCADE, related_name="webhook")
    url = models.URLField(_("webhookUrl"), max_length=500)
    secret = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("Pix webhook")
        verbose_name_plural = _("Pix webhooks")

    def __str__(self) -> str:
        return f"webhook of {self.pix_key_id} -> {self.url}"


# --- MED (Mecanismo Especial de Devolução) and cautionary blocks -------------------------


class InfractionReport(FSMModel):
    """A MED infraction report about one Pix.

    role REPORTER: our customer sent the Pix and contests it (we report to the DICT; the
    receiving PSP analyses). role REPORTED: another PSP reports a Pix our customer received;
    our compliance officers analyse it and, when they agree, a MED refund returns what is
    left of the money (a `PixRefund` with reason FR01).

    OPEN -> ACKNOWLEDGED -> CLOSED (analysis_result AGREED | DISAGREED); OPEN/ACKNOWLEDGED
    -> CANCELLED (withdrawn by the reporter)."""

    class Role(models.TextChoices):
        REPORTER = "REPORTER", _("reported by us")
        REPORTED = "REPORTED", _("reported against us")

    class Situation(models.TextChoices):
        SCAM = "SCAM", _("scam")
        ACCOUNT_TAKEOVER = "ACCOUNT_TAKEOVER", _("account takeover")
        COERCION = "COERCION", _("coercion")
        FRAUDULENT_ACCESS = "FRAUDULENT_ACCESS", _("fraudulent access")
        OTHER = "OTHER", _("other")

    class State(models.TextChoices):
        OPEN = "OPEN", _("open")
        ACKNOWLEDGED = "ACKNOWLEDGED", _("under analysis")
        CLOSED = "CLOSED", _("closed")
        CANCELLED = "CANCELLED", pgettext_lazy("infraction report state", "cancelled")

    class Result(models.TextChoices):
        AGREED = "AGREED", _("agreed: fraud confirmed")
        DISAGREED = "DISAGREED", _("disagreed")

    dict_report_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    transfer = models.ForeignKey(
        PixTransfer, on_delete=models.PROTECT, related_name="infraction_reports"
    )
    role = models.CharField(max_length=8, choices=Role.choices)
    situation = models.CharField(max_length=17, choices=Situation.choices)
    details = models.TextField(_("details"), max_length=2000, blank=True)
    reporter_participant = models.CharField(max_length=8)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = FSMField(default=State.OPEN, choices=State.choices, protected=True)
    analysis_result = models.CharField(max_length=9, choices=Result.choices, blank=True)
    analysis_details = models.TextField(blank=True)
    analysed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    refund = models.ForeignKey(
        PixRefund, null=True, blank=True, on_delete=models.PROTECT, related_name="infractions"
    )
    history = tracked_history()

    class Meta:
        verbose_name = _("MED infraction report")
        verbose_name_plural = _("MED infraction reports")
        constraints = [
            # One open report per Pix and side: a second one would double-refund.
            models.UniqueConstraint(
                fields=["transfer", "role"],
                condition=models.Q(state__in=["OPEN", "ACKNOWLEDGED"]),
                name="infraction_one_open_per_transfer",
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="infraction_queue_idx")]

    def __str__(self) -> str:
        return f"MED {self.role} {self.transfer_id} ({self.state})"

    @transition(field=state, source=State.OPEN, target=State.ACKNOWLEDGED)
    def acknowledge(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=[State.OPEN, State.ACKNOWLEDGED], target=State.CLOSED)
    def close(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.closed_at = timezone.now()

    @transition(field=state, source=[State.OPEN, State.ACKNOWLEDGED], target=State.CANCELLED)
    def cancel(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.closed_at = timezone.now()


class CautionaryBlock(FSMModel):
    """A cautionary block (bloqueio cautelar) of a received Pix: up to 72 h, as a ledger hold.

    ACTIVE -> RELEASED (analysis cleared it, or 72 h passed: state EXPIRED) | USED (the held
    money went back to the payer by a MED refund)."""

    MAX_DURATION_HOURS = 72

    class State(models.TextChoices):
        ACTIVE = "ACTIVE", _("active")
        RELEASED = "RELEASED", _("released")
        EXPIRED = "EXPIRED", _("expired (72 h)")
        USED = "USED", _("used for a MED refund")

    transfer = models.ForeignKey(
        PixTransfer, on_delete=models.PROTECT, related_name="cautionary_blocks"
    )
    hold = models.OneToOneField(
        "accounts.Hold", on_delete=models.PROTECT, related_name="cautionary_block"
    )
    amount = models.BigIntegerField(_("amount (centavos)"))
    reason = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    infraction = models.ForeignKey(
        InfractionReport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cautionary_blocks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = FSMField(default=State.ACTIVE, choices=State.choices, protected=True)
    history = tracked_history()

    class Meta:
        verbose_name = _("cautionary block")
        verbose_name_plural = _("cautionary blocks")
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="cautionary_positive"),
        ]

    def __str__(self) -> str:
        return f"block of {self.transfer_id}: {self.amount} ({self.state})"

    @transition(field=state, source=State.ACTIVE, target=State.RELEASED)
    def release(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.ACTIVE, target=State.EXPIRED)
    def expire(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.ACTIVE, target=State.USED)
    def use(self, *, by=None, reason: str = "") -> None:
        pass
