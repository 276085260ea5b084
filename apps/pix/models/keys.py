"""Pix keys and claims (ours): PixKey, OwnershipChallenge, PixClaim.

Ours:

* `PixKey`: a key of one of our customers' accounts, with its life cycle (FSM below).
* `OwnershipChallenge`: a code sent to a PHONE/EMAIL key to prove its possession.
* `PixClaim`: a claim (ownership or portability) as we see it: one we opened (role
  CLAIMER) or one another PSP opened against our key (role DONOR). Mirrors the DICT claim.

The DICT and SPI simulators' tables (DictEntry, DictClaim, DictTokenBucket, DictLookup,
SpiSimulatedMessage) moved to apps.simulators, keeping their `pix_*` tables.

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

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from apps.accounts.models import Account, Customer
from apps.core.crypto import LookupEncryptedField
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

    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="pix_keys"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="pix_keys"
    )
    key_type = models.CharField(_("key type"), max_length=5, choices=KeyTypes.choices)
    # A key is often a document (CPF/CNPJ), an e-mail or a phone: stored encrypted, found
    # by equality (the token is deterministic; see apps.core.crypto), masked in logs.
    key = LookupEncryptedField(_("key"), blank=True, db_index=True)
    request_id = models.UUIDField(verbose_name=_("request ID"), default=uuid.uuid4, editable=False)
    claim_offer = models.CharField(
        verbose_name=_("claim offer"), max_length=11, choices=ClaimTypes.choices, blank=True
    )
    possession_verified_at = models.DateTimeField(
        verbose_name=_("possession verified at"), null=True, blank=True
    )
    registered_at = models.DateTimeField(verbose_name=_("registered at"), null=True, blank=True)
    ownership_since = models.DateTimeField(verbose_name=_("ownership since"), null=True, blank=True)
    state = FSMField(
        verbose_name=_("state"), default=State.REGISTERING, choices=State.choices, protected=True
    )
    state_reason = models.TextField(verbose_name=_("state reason"), blank=True)
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
        from apps.pix.codecs.keys import mask_key

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
    role = models.CharField(verbose_name=_("role"), max_length=7, choices=Role.choices)
    claim_type = models.CharField(
        verbose_name=_("claim type"), max_length=11, choices=ClaimTypes.choices
    )
    key_type = models.CharField(verbose_name=_("key type"), max_length=5, choices=KeyTypes.choices)
    key = LookupEncryptedField(verbose_name=_("key"))
    pix_key = models.ForeignKey(
        PixKey, verbose_name=_("Pix key"), on_delete=models.PROTECT, related_name="claims"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="pix_claims"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="pix_claims"
    )
    counterpart_ispb = models.CharField(
        _("other institution (ISPB)"),
        max_length=8,
        help_text=_("The donor when we claim; the claimer when our key is claimed."),
    )
    resolution_period_end = models.DateTimeField(verbose_name=_("resolution period end"))
    completion_period_end = models.DateTimeField(
        verbose_name=_("completion period end"), null=True, blank=True
    )
    dict_last_modified = models.DateTimeField(
        verbose_name=_("DICT last modified"), null=True, blank=True
    )
    confirm_reason = models.CharField(verbose_name=_("confirm reason"), max_length=20, blank=True)
    cancel_reason = models.CharField(verbose_name=_("cancel reason"), max_length=20, blank=True)
    cancelled_by = models.CharField(verbose_name=_("cancelled by"), max_length=7, blank=True)
    notified_at = models.DateTimeField(verbose_name=_("notified at"), null=True, blank=True)
    state = FSMField(
        verbose_name=_("state"), default=State.OPEN, choices=State.choices, protected=True
    )
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
        from apps.pix.codecs.keys import mask_key

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

    pix_key = models.ForeignKey(
        PixKey, verbose_name=_("Pix key"), on_delete=models.CASCADE, related_name="challenges"
    )
    claim = models.ForeignKey(
        PixClaim,
        verbose_name=_("claim"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="challenges",
    )
    purpose = models.CharField(verbose_name=_("purpose"), max_length=8, choices=Purpose.choices)
    code_hash = models.CharField(verbose_name=_("code hash"), max_length=64)
    created_at = models.DateTimeField(verbose_name=_("created at"))
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    attempts = models.PositiveSmallIntegerField(verbose_name=_("attempts"), default=0)
    verified_at = models.DateTimeField(verbose_name=_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ownership challenge")
        verbose_name_plural = _("ownership challenges")
        indexes = [models.Index(fields=["pix_key", "purpose", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} code for key {self.pix_key_id}"
