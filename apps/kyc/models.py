"""KYC upgrade requests (an FSM) and the identity documents that support them.

Document content is stored in the database as a Fernet token of the file's bytes
(apps.core.crypto, keyed by FIELD_ENCRYPTION_KEY): it is private by construction (no URL
ever points at it), it commits and rolls back with its row, and it is backed up, retained
and erased with the request under the same rules. Files are capped at 5 MB, so the row
stays reasonable. `sha256` is of the plaintext, for spotting one document reused by
several customers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.core.fsm import FSMModel
from apps.core.models import TimeStampedModel, tracked_history


class KycRequest(FSMModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        CHECKING = "checking", _("automatic checks")
        IN_REVIEW = "in_review", _("in review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        NEEDS_INFO = "needs_info", _("needs more information")

    OPEN_STATES = (
        State.DRAFT,
        State.SUBMITTED,
        State.CHECKING,
        State.IN_REVIEW,
        State.NEEDS_INFO,
    )

    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="kyc_requests",
    )
    target_level = models.PositiveSmallIntegerField(
        _("target level"), choices=[(1, "1"), (2, "2"), (3, "3")]
    )
    # The level the customer had when asking: the checks cover every level above it.
    from_level = models.PositiveSmallIntegerField(verbose_name=_("from level"), default=0)
    state = FSMField(
        verbose_name=_("state"), default=State.DRAFT, choices=State.choices, protected=True
    )

    declared_name = models.CharField(_("full name as on the document"), max_length=150)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    monthly_income_cents = models.BigIntegerField(
        _("declared monthly income"), null=True, blank=True
    )
    address_line = models.CharField(_("address"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state_code = models.CharField(_("state (UF)"), max_length=2, blank=True)
    postal_code = models.CharField(_("CEP"), max_length=9, blank=True)

    # {"checks": {name: {"outcome": pass|fail|uncertain, "detail": ...}},
    #  "face": {"distance", "threshold", ...}, "decision": "auto_approved" | "review"}
    check_results = models.JSONField(verbose_name=_("check results"), default=dict, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kyc_reviews",
    )
    submitted_at = models.DateTimeField(verbose_name=_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    history = tracked_history()

    class Meta:
        verbose_name = _("KYC request")
        verbose_name_plural = _("KYC requests")
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(target_level__gte=1, target_level__lte=3),
                name="kyc_request_target_level_range",
            ),
            # One open upgrade per customer at a time.
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(
                    state__in=["draft", "submitted", "checking", "in_review", "needs_info"]
                ),
                name="kyc_request_one_open_per_customer",
            ),
        ]
        permissions = [("review_kycrequest", "Can decide KYC requests")]

    def __str__(self) -> str:
        return f"KYC #{self.pk} -> {self.target_level} ({self.state})"

    @transition(field=state, source=[State.DRAFT, State.NEEDS_INFO], target=State.SUBMITTED)
    def submit(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.SUBMITTED, target=State.CHECKING)
    def start_checks(self, *, by=None, reason: str = "") -> None:
        pass

    @transition(field=state, source=State.CHECKING, target=State.IN_REVIEW)
    def send_to_review(self, *, by=None, reason: str = "") -> None:
        # `reasons` is what the customer reads: an officer's words only. What the automatic
        # checks found stays in the back office (the transition log and the checks table):
        # the customer reads the state, never which check failed (a screening hit must not
        # be disclosed to them).
        self.reasons = ""

    @transition(field=state, source=[State.CHECKING, State.IN_REVIEW], target=State.APPROVED)
    def approve(self, *, by=None, reason: str = "") -> None:
        self.reasons = reason

    @transition(field=state, source=State.IN_REVIEW, target=State.REJECTED)
    def reject(self, *, by=None, reason: str = "") -> None:
        self.reasons = reason

    @transition(field=state, source=State.IN_REVIEW, target=State.NEEDS_INFO)
    def ask_info(self, *, by=None, reason: str = "") -> None:
        self.reasons = reason

    @transition(field=state, source=State.REJECTED, target=State.IN_REVIEW)
    def reopen(self, *, by=None, reason: str = "") -> None:
        """LGPD art. 20: a person reviewing the rejection reversed it; analysed again."""
        self.reasons = reason
        self.decided_at = None


class KycDocument(TimeStampedModel):
    class Kind(models.TextChoices):
        RG_FRONT = "rg_front", _("RG (front)")
        RG_BACK = "rg_back", _("RG (back)")
        CNH = "cnh", _("CNH (driver's licence)")
        SELFIE = "selfie", _("selfie")
        PROOF_OF_ADDRESS = "proof_of_address", _("proof of address")
        PROOF_OF_INCOME = "proof_of_income", _("proof of income")

    request = models.ForeignKey(
        KycRequest, verbose_name=_("request"), on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=20, choices=Kind.choices)
    # Fernet token (bytes) of the file; never decrypted outside apps.kyc.selectors.
    content_encrypted = models.BinaryField(verbose_name=_("content encrypted"), editable=False)
    content_type = models.CharField(verbose_name=_("content type"), max_length=50)
    size = models.PositiveIntegerField(verbose_name=_("size"))
    sha256 = models.CharField(verbose_name=_("SHA-256"), max_length=64, db_index=True)
    original_name = models.CharField(verbose_name=_("original name"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(verbose_name=_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("KYC document")
        verbose_name_plural = _("KYC documents")
        ordering = ("uploaded_at", "pk")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"
