"""The tables of the simulated DICT, BACEN's national directory (written by nothing but the
simulator, apps.simulators.dict):

* `DictEntry`: the directory (every PSP's keys, ours included).
* `DictClaim`: claims between PSPs, with their resolution and completion periods.
* `DictTokenBucket`: the anti-scan token buckets of getEntry, per end user and policy.
* `DictLookup`: found look-ups that named a payment's endToEndId (a token comes back).

They were born in apps.pix (migrations 0001 and 0009) and keep their `pix_*` tables.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import EncryptedTextField, LookupEncryptedField
from apps.pix.codecs.keys import mask_key
from apps.pix.models import ClaimTypes, KeyTypes


class DictEntry(models.Model):
    """A row of the (simulated) national directory: a key bound to an account and owner."""

    # Keys (CPF/CNPJ, e-mails, phones) encrypted, found by equality (apps.core.crypto).
    key = LookupEncryptedField(verbose_name=_("key"), unique=True)
    key_type = models.CharField(verbose_name=_("key type"), max_length=5, choices=KeyTypes.choices)
    participant = models.CharField(verbose_name=_("participant"), max_length=8)
    branch = models.CharField(verbose_name=_("branch"), max_length=4)
    account_number = models.CharField(verbose_name=_("account number"), max_length=20)
    account_type = models.CharField(verbose_name=_("account type"), max_length=4)
    account_opened_at = models.DateTimeField(verbose_name=_("account opened at"))
    owner_type = models.CharField(
        verbose_name=_("owner type"), max_length=14
    )  # NATURAL_PERSON / LEGAL_PERSON
    # The directory holds CPFs/CNPJs of every PSP's customers: encrypted like ours, with a
    # keyed hash to compare owners.
    owner_tax_id = EncryptedTextField(verbose_name=_("owner tax ID"))
    owner_tax_id_hash = models.CharField(
        verbose_name=_("owner tax ID hash"), max_length=64, db_index=True
    )
    owner_name = models.CharField(verbose_name=_("owner name"), max_length=120)
    owner_trade_name = models.CharField(
        verbose_name=_("owner trade name"), max_length=100, blank=True
    )
    request_id = models.UUIDField(verbose_name=_("request ID"))
    cid = models.CharField(verbose_name=_("cid"), max_length=64)
    created_at = models.DateTimeField(verbose_name=_("created at"))
    key_ownership_date = models.DateTimeField(verbose_name=_("key ownership date"))

    class Meta:
        db_table = "pix_dictentry"  # created by apps.pix, kept through the move
        verbose_name = _("DICT entry (simulator)")
        verbose_name_plural = _("DICT entries (simulator)")
        indexes = [
            models.Index(
                fields=["participant", "branch", "account_number"], name="dict_entry_account_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_type} {mask_key(self.key_type, self.key)} @ {self.participant}"


class DictClaim(models.Model):
    """A claim between PSPs in the (simulated) DICT."""

    OPEN_STATUSES = ("OPEN", "WAITING_RESOLUTION", "CONFIRMED")

    id = models.UUIDField(
        verbose_name=_("ID"), primary_key=True, default=uuid.uuid4, editable=False
    )
    claim_type = models.CharField(
        verbose_name=_("claim type"), max_length=11, choices=ClaimTypes.choices
    )
    key = LookupEncryptedField(verbose_name=_("key"))
    key_type = models.CharField(verbose_name=_("key type"), max_length=5, choices=KeyTypes.choices)
    claimer_participant = models.CharField(verbose_name=_("claimer participant"), max_length=8)
    claimer_branch = models.CharField(verbose_name=_("claimer branch"), max_length=4)
    claimer_account_number = models.CharField(
        verbose_name=_("claimer account number"), max_length=20
    )
    claimer_account_type = models.CharField(verbose_name=_("claimer account type"), max_length=4)
    claimer_account_opened_at = models.DateTimeField(verbose_name=_("claimer account opened at"))
    claimer_type = models.CharField(verbose_name=_("claimer type"), max_length=14)
    claimer_tax_id = EncryptedTextField(verbose_name=_("claimer tax ID"))
    claimer_tax_id_hash = models.CharField(verbose_name=_("claimer tax ID hash"), max_length=64)
    claimer_name = models.CharField(verbose_name=_("claimer name"), max_length=120)
    claimer_trade_name = models.CharField(
        verbose_name=_("claimer trade name"), max_length=100, blank=True
    )
    donor_participant = models.CharField(verbose_name=_("donor participant"), max_length=8)
    donor_key_ownership_date = models.DateTimeField(verbose_name=_("donor key ownership date"))
    status = models.CharField(verbose_name=_("status"), max_length=18, default="OPEN")
    created_at = models.DateTimeField(verbose_name=_("created at"))
    resolution_period_end = models.DateTimeField(verbose_name=_("resolution period end"))
    completion_period_end = models.DateTimeField(
        verbose_name=_("completion period end"), null=True, blank=True
    )
    last_modified = models.DateTimeField(verbose_name=_("last modified"))
    confirm_reason = models.CharField(verbose_name=_("confirm reason"), max_length=20, blank=True)
    cancel_reason = models.CharField(verbose_name=_("cancel reason"), max_length=20, blank=True)
    cancelled_by = models.CharField(verbose_name=_("cancelled by"), max_length=7, blank=True)
    completion_request_id = models.UUIDField(
        verbose_name=_("completion request ID"), null=True, blank=True
    )

    class Meta:
        db_table = "pix_dictclaim"  # created by apps.pix, kept through the move
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

    participant = models.CharField(verbose_name=_("participant"), max_length=8)
    payer_hash = models.CharField(verbose_name=_("payer hash"), max_length=64)
    payer_category = models.CharField(verbose_name=_("payer category"), max_length=2)  # PF / PJ
    policy = models.CharField(verbose_name=_("policy"), max_length=40)
    capacity = models.IntegerField(verbose_name=_("capacity"))
    refill_per_minute = models.FloatField(verbose_name=_("refill per minute"))
    tokens = models.FloatField(verbose_name=_("tokens"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        db_table = "pix_dicttokenbucket"  # created by apps.pix, kept through the move
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

    end_to_end_id = models.CharField(verbose_name=_("end-to-end ID"), max_length=32, unique=True)
    participant = models.CharField(verbose_name=_("participant"), max_length=8)
    payer_hash = models.CharField(verbose_name=_("payer hash"), max_length=64)
    policy = models.CharField(verbose_name=_("policy"), max_length=40)
    created_at = models.DateTimeField(verbose_name=_("created at"), db_index=True)
    credited_at = models.DateTimeField(verbose_name=_("credited at"), null=True, blank=True)

    class Meta:
        db_table = "pix_dictlookup"  # created by apps.pix, kept through the move
        verbose_name = _("DICT look-up (simulator)")
        verbose_name_plural = _("DICT look-ups (simulator)")

    def __str__(self) -> str:
        return f"{self.end_to_end_id} ({self.policy})"
