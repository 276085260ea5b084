"""Sanctions and PEP lists, the internal watchlist, and the screening record.

A list is imported as a whole new `ListVersion`; exactly one version per source is active
(partial unique index), and the flip happens in the importing transaction, so a reader sees
either the old list or the new one, never half of one. Old versions are kept: hits of past
screenings point at their entries (records kept at least 10 years, Circular 3.978/2020).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import tracked_history


class Source(models.TextChoices):
    OFAC = "ofac", "OFAC SDN"
    UN = "un", _("UN Security Council consolidated list")
    PEP = "pep", _("PEP (Portal da Transparência)")
    INTERNAL = "internal", _("Internal watchlist")


class ListVersion(models.Model):
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    version = models.CharField(
        _("version"), max_length=64, blank=True, help_text=_("As the publisher names it.")
    )
    published_on = models.DateField(_("published on"), null=True, blank=True)
    checksum = models.CharField(_("checksum (SHA-256)"), max_length=64)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    entry_count = models.PositiveIntegerField(_("entries"), default=0)
    changed_count = models.PositiveIntegerField(
        _("entries added or renamed"), default=0, help_text=_("Against the previous version.")
    )
    is_active = models.BooleanField(_("active"), default=False)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    # Set, in the same transaction as the hits it recorded, when customers were rescreened
    # against this version's changes: a re-delivered task does nothing twice.
    rescreened_at = models.DateTimeField(_("customers rescreened at"), null=True, blank=True)

    class Meta:
        verbose_name = _("list version")
        verbose_name_plural = _("list versions")
        ordering = ["source", "-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(is_active=True),
                name="compliance_one_active_version_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.version or self.checksum[:12]}"


class ListEntry(models.Model):
    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("individual")
        ENTITY = "entity", _("entity")
        VESSEL = "vessel", _("vessel")
        AIRCRAFT = "aircraft", _("aircraft")

    version = models.ForeignKey(
        ListVersion, verbose_name=_("version"), on_delete=models.PROTECT, related_name="entries"
    )
    entry_id = models.CharField(
        _("list's own id"),
        max_length=200,
        help_text=_("OFAC ent_num, UN DATAID, PEP masked CPF and name."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    primary_name = models.CharField(_("name"), max_length=500)
    birth_dates = ArrayField(
        models.CharField(max_length=40), default=list, blank=True, verbose_name=_("birth dates")
    )
    birth_years = ArrayField(
        models.PositiveSmallIntegerField(), verbose_name=_("birth years"), default=list, blank=True
    )
    countries = ArrayField(
        models.CharField(max_length=120),
        default=list,
        blank=True,
        verbose_name=_("nationalities / countries"),
    )
    programs = ArrayField(
        models.CharField(max_length=120), default=list, blank=True, verbose_name=_("programs")
    )
    identifiers = ArrayField(
        models.CharField(max_length=120), verbose_name=_("identifiers"), default=list, blank=True
    )
    remarks = models.TextField(_("remarks"), blank=True)
    # Hash of the sorted normalised names: "changed" between versions means added or renamed.
    names_fingerprint = models.CharField(verbose_name=_("names fingerprint"), max_length=64)
    is_changed = models.BooleanField(
        _("added or renamed"), default=False, help_text=_("Against the previous version.")
    )

    class Meta:
        verbose_name = _("list entry")
        verbose_name_plural = _("list entries")
        constraints = [
            models.UniqueConstraint(fields=["version", "entry_id"], name="compliance_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.version.source}:{self.entry_id} {self.primary_name}"


class EntryName(models.Model):
    entry = models.ForeignKey(
        ListEntry, verbose_name=_("entry"), on_delete=models.CASCADE, related_name="names"
    )
    name = models.CharField(_("name"), max_length=500)
    normalized = models.CharField(_("normalised"), max_length=500)
    is_alias = models.BooleanField(_("alias"), default=False)
    quality = models.CharField(_("quality"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("entry name")
        verbose_name_plural = _("entry names")

    def __str__(self) -> str:
        return self.name


class WatchlistEntry(models.Model):
    """Names compliance wants to hear about, whatever the public lists say."""

    name = models.CharField(_("name"), max_length=300)
    aliases = models.TextField(_("aliases"), blank=True, help_text=_("One per line."))
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=ListEntry.Kind.choices,
        default=ListEntry.Kind.INDIVIDUAL,
    )
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    country = models.CharField(_("nationality / country"), max_length=120, blank=True)
    reason = models.TextField(_("reason"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)
    # Officers add, edit and deactivate entries in the admin: who changed a name or switched
    # an entry off, and when, is evidence for any screening that did or did not hit.
    history = tracked_history()

    class Meta:
        verbose_name = _("watchlist entry")
        verbose_name_plural = _("watchlist")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def all_names(self) -> list[str]:
        return [self.name, *(line.strip() for line in self.aliases.splitlines() if line.strip())]


class ScreeningResult(models.Model):
    """One screening, kept for audit: who or what, when, against which list versions."""

    class Subject(models.TextChoices):
        CUSTOMER = "customer", _("customer")
        COUNTERPARTY = "counterparty", _("counterparty")
        ADHOC = "adhoc", _("ad hoc query")

    subject_type = models.CharField(_("subject"), max_length=12, choices=Subject.choices)
    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="screenings",
    )
    screened_name = models.CharField(_("screened name"), max_length=500)
    tax_id_masked = models.CharField(_("CPF/CNPJ (masked)"), max_length=20, blank=True)
    birth_date = models.DateField(verbose_name=_("birth date"), null=True, blank=True)
    country = models.CharField(verbose_name=_("country"), max_length=120, blank=True)
    context = models.CharField(
        _("context"), max_length=60, blank=True, help_text=_("onboarding, kyc, pix, ted...")
    )
    list_versions = models.ManyToManyField(
        ListVersion, verbose_name=_("list versions"), blank=True, related_name="screenings"
    )
    threshold = models.PositiveSmallIntegerField(_("threshold"))
    hit_count = models.PositiveIntegerField(_("hits"), default=0)
    created_at = models.DateTimeField(_("screened at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("screening result")
        verbose_name_plural = _("screening results")
        ordering = ["-created_at"]
        permissions = [("screen_names", _("Can screen names against the lists (API)"))]

    def __str__(self) -> str:
        return f"{self.screened_name} ({self.hit_count})"


class ScreeningHit(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLEARED = "cleared", _("cleared (false positive)")
        CONFIRMED = "confirmed", _("confirmed")

    result = models.ForeignKey(
        ScreeningResult, verbose_name=_("result"), on_delete=models.PROTECT, related_name="hits"
    )
    source = models.CharField(_("list"), max_length=10, choices=Source.choices)
    list_entry = models.ForeignKey(
        ListEntry,
        verbose_name=_("list entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hits",
    )
    watchlist_entry = models.ForeignKey(
        WatchlistEntry,
        verbose_name=_("watchlist entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hits",
    )
    entry_id = models.CharField(_("list's own id"), max_length=200)
    listed_name = models.CharField(_("listed name"), max_length=500)
    matched_name = models.CharField(_("matched name"), max_length=500)
    score = models.PositiveSmallIntegerField(_("score"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    # Officers clear or confirm hits from the admin: each decision is a version, with who.
    history = tracked_history()

    class Meta:
        verbose_name = _("screening hit")
        verbose_name_plural = _("screening hits")
        ordering = ["-score", "pk"]

    def __str__(self) -> str:
        return f"{self.source}:{self.entry_id} {self.listed_name} ({self.score})"
