"""Cards we issue on payment accounts, and the authorizations asked of us as the issuer.

* `Card`: a virtual or physical prepaid/debit card. The PAN is stored only encrypted
  (`pan_encrypted`), found by its keyed hash (`pan_hash`, HMAC) and named everywhere else by
  `token` or by BIN + last four. The CVV2 is derived on demand from a key and never stored;
  the PIN is kept as a slow hash (PBKDF2, Django's hasher). FSM: requested -> active ->
  blocked <-> active -> cancelled; lost and stolen end the card (a replacement is issued).
  Controls per card: per-purchase and daily amounts, blocked MCC groups, online,
  contactless, abroad.
* `Authorization`: one request an acquirer made (0100/0200 and their reversals), with the
  decision, the response code, the hold it placed, and the fraud engine's score and reasons.
  A replay (same card, DE 11, DE 37 and terminal) is answered from here, without a second
  hold.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.accounts.models import Account, Customer
from apps.core.crypto import EncryptedTextField
from apps.core.fsm import FSMModel
from apps.core.models import TimeStampedModel, tracked_history


class Card(FSMModel):
    class Kind(models.TextChoices):
        VIRTUAL = "virtual", _("virtual")
        PHYSICAL = "physical", _("physical")

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        ACTIVE = "active", _("active")
        BLOCKED = "blocked", _("blocked")
        CANCELLED = "cancelled", _("cancelled")
        LOST = "lost", _("lost")
        STOLEN = "stolen", _("stolen")

    public_id = models.UUIDField(
        verbose_name=_("public ID"), default=uuid.uuid4, unique=True, editable=False
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="cards"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="cards"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    holder_name = models.CharField(_("name on the card"), max_length=26)
    # The PAN: encrypted at rest, found by its keyed hash, shown as BIN + last four.
    pan_encrypted = EncryptedTextField(verbose_name=_("PAN encrypted"))
    pan_hash = models.CharField(
        verbose_name=_("PAN hash"), max_length=64, unique=True, editable=False
    )
    token = models.CharField(_("token"), max_length=32, unique=True, editable=False)
    bin = models.CharField(_("BIN"), max_length=8)
    last4 = models.CharField(_("last four"), max_length=4)
    expiry = models.CharField(_("expiry (YYMM)"), max_length=4)
    pin_hash = models.CharField(
        verbose_name=_("pin hash"), max_length=200, blank=True, editable=False
    )
    pin_attempts = models.PositiveSmallIntegerField(verbose_name=_("pin attempts"), default=0)
    state = FSMField(
        verbose_name=_("state"), default=State.REQUESTED, choices=State.choices, protected=True
    )
    state_reason = models.CharField(verbose_name=_("state reason"), max_length=200, blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    # Controls (None: no limit of the card's own; the account's money gate still applies).
    per_purchase_limit = models.BigIntegerField(_("per-purchase limit"), null=True, blank=True)
    daily_limit = models.BigIntegerField(_("daily limit"), null=True, blank=True)
    blocked_mcc_groups = models.JSONField(_("blocked MCC groups"), default=list, blank=True)
    online_enabled = models.BooleanField(_("online purchases"), default=True)
    contactless_enabled = models.BooleanField(_("contactless"), default=True)
    abroad_enabled = models.BooleanField(_("purchases abroad"), default=False)
    activated_at = models.DateTimeField(verbose_name=_("activated at"), null=True, blank=True)
    history = tracked_history(excluded_fields=["pin_hash", "pan_encrypted", "pan_hash"])

    LIVE_STATES = (State.REQUESTED, State.ACTIVE, State.BLOCKED)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        constraints = [
            models.CheckConstraint(
                condition=Q(per_purchase_limit__isnull=True) | Q(per_purchase_limit__gt=0),
                name="card_per_purchase_positive",
            ),
            models.CheckConstraint(
                condition=Q(daily_limit__isnull=True) | Q(daily_limit__gt=0),
                name="card_daily_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.masked_pan} ({self.get_kind_display()})"

    @property
    def masked_pan(self) -> str:
        """At most BIN + last four, never more (PCI DSS)."""
        return f"{self.bin[:6]}******{self.last4}"

    @transition(field=state, source=State.REQUESTED, target=State.ACTIVE)
    def activate(self, *, by=None, reason: str = "") -> None: ...

    @transition(field=state, source=State.ACTIVE, target=State.BLOCKED)
    def block(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason[:200]

    @transition(field=state, source=State.BLOCKED, target=State.ACTIVE)
    def unblock(self, *, by=None, reason: str = "") -> None:
        self.state_reason = ""

    @transition(
        field=state, source=[State.REQUESTED, State.ACTIVE, State.BLOCKED], target=State.CANCELLED
    )
    def cancel(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason[:200]

    @transition(field=state, source=[State.ACTIVE, State.BLOCKED], target=State.LOST)
    def report_lost(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason[:200]

    @transition(field=state, source=[State.ACTIVE, State.BLOCKED], target=State.STOLEN)
    def report_stolen(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason[:200]


class Authorization(TimeStampedModel):
    """One authorization request and our answer (see the module's doc)."""

    class State(models.TextChoices):
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("declined")
        REVERSED = "reversed", _("reversed")
        CAPTURED = "captured", _("captured")
        EXPIRED = "expired", _("expired")

    class Channel(models.TextChoices):
        ISO8583 = "iso8583", "ISO 8583"
        HTTP = "http", "HTTP"

    # No index of its own: card_auth_once and card_auth_recent both lead with the card (one
    # index less to write on every authorization).
    card = models.ForeignKey(
        Card,
        verbose_name=_("card"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="authorizations",
        db_index=False,
    )
    channel = models.CharField(verbose_name=_("channel"), max_length=8, choices=Channel.choices)
    mti = models.CharField(_("MTI"), max_length=4)
    stan = models.CharField(_("STAN (DE 11)"), max_length=6)
    rrn = models.CharField(_("RRN (DE 37)"), max_length=12)
    terminal_id = models.CharField(_("terminal (DE 41)"), max_length=16, blank=True)
    merchant_id = models.CharField(_("merchant (DE 42)"), max_length=15, blank=True)
    merchant_name = models.CharField(_("merchant (DE 43)"), max_length=40, blank=True)
    mcc = models.CharField(_("MCC (DE 18)"), max_length=4, blank=True)
    amount = models.BigIntegerField(verbose_name=_("amount"), help_text=_("centavos"))
    currency = models.CharField(verbose_name=_("currency"), max_length=3, default="986")
    country = models.CharField(_("merchant country"), max_length=3, default="076")
    entry_mode = models.CharField(_("POS entry mode (DE 22)"), max_length=3, blank=True)
    card_present = models.BooleanField(verbose_name=_("card present"), default=True)
    contactless = models.BooleanField(verbose_name=_("contactless"), default=False)
    device_id = models.CharField(verbose_name=_("device ID"), max_length=64, blank=True)
    response_code = models.CharField(_("response code (DE 39)"), max_length=2)
    auth_code = models.CharField(_("approval code (DE 38)"), max_length=6, blank=True)
    state = models.CharField(verbose_name=_("state"), max_length=10, choices=State.choices)
    hold_id = models.BigIntegerField(verbose_name=_("hold ID"), null=True, blank=True)
    fraud_score = models.FloatField(verbose_name=_("fraud score"), null=True, blank=True)
    fraud_reasons = models.JSONField(verbose_name=_("fraud reasons"), default=list, blank=True)
    customer_confirmed = models.BooleanField(_("confirmed by the customer"), default=False)
    # Indexed only where set (card_auth_reversals): almost every row has none.
    reversal_of = models.ForeignKey(
        "self",
        verbose_name=_("reversal of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
        db_index=False,
    )
    # What the acquirer sent, PAN masked (BIN + last four): the operators' evidence.
    message = models.JSONField(verbose_name=_("message"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("card authorization")
        verbose_name_plural = _("card authorizations")
        constraints = [
            # A replay of the same request (card, DE 11, DE 37, terminal) is the same row.
            models.UniqueConstraint(
                fields=["card", "mti", "stan", "rrn", "terminal_id"],
                name="card_auth_once",
            )
        ]
        indexes = [
            models.Index(fields=["card", "-created_at"], name="card_auth_recent"),
            models.Index(
                fields=["reversal_of"],
                name="card_auth_reversals",
                condition=Q(reversal_of__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mti} {self.rrn} {self.response_code}"


from apps.cards.clearing.models import *  # noqa: E402, F403
from apps.cards.fraud.models import *  # noqa: E402, F403
