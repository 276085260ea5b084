"""The fraud engine's tables.

* `FraudRule`: one rule staff tune in the admin (kind, enabled, weight, parameters checked
  per kind by `rules.validate_params`), with history. Defaults are seeded by the migration
  and again after every migrate (a flushed test database gets them back), never
  overwriting what staff changed.
* `CardKnownAttribute`: a device or a country seen on a card, from a purchase the engine
  approved without doubt or one the customer confirmed ("it was me").
* `FraudDecisionRecord`: the authorizations as the fraud console shows them (a proxy).
* `FraudReview`: an approved purchase whose score reached the review threshold: an item in
  the compliance queue until the customer confirms it or an officer closes it.

The decision itself (score and reasons) is on `Authorization` (fraud_score, fraud_reasons).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.cards.fraud import rules
from apps.cards.models import Authorization
from apps.core.models import TimeStampedModel, tracked_history

__all__ = ["CardKnownAttribute", "FraudDecisionRecord", "FraudReview", "FraudRule"]


class FraudRule(TimeStampedModel):
    class Kind(models.TextChoices):
        VELOCITY = rules.VELOCITY, rules.KIND_LABELS[rules.VELOCITY]
        AMOUNT_HISTORY = rules.AMOUNT_HISTORY, rules.KIND_LABELS[rules.AMOUNT_HISTORY]
        MCC_RISK = rules.MCC_RISK, rules.KIND_LABELS[rules.MCC_RISK]
        CNP_NEW_DEVICE = rules.CNP_NEW_DEVICE, rules.KIND_LABELS[rules.CNP_NEW_DEVICE]
        CNP_NEW_COUNTRY = rules.CNP_NEW_COUNTRY, rules.KIND_LABELS[rules.CNP_NEW_COUNTRY]
        IMPOSSIBLE_TRAVEL = rules.IMPOSSIBLE_TRAVEL, rules.KIND_LABELS[rules.IMPOSSIBLE_TRAVEL]
        ANOMALY_MODEL = rules.ANOMALY_MODEL, rules.KIND_LABELS[rules.ANOMALY_MODEL]

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    weight = models.FloatField(
        _("weight"),
        default=0.5,
        help_text=_("0..1: how much a hit of this rule adds to the score (noisy OR)."),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    history = tracked_history()

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("card fraud rule")
        verbose_name_plural = _("card fraud rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=1), name="card_fraud_rule_weight"
            )
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        super().clean()
        if self.weight is not None and not (0 <= self.weight <= 1):
            raise ValidationError({"weight": _("The weight must be between 0 and 1.")})
        try:
            self.params = rules.validate_params(self.kind, self.params)
        except ValidationError as exc:
            raise ValidationError({"params": exc.messages}) from exc

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "kind": self.kind,
            "enabled": self.enabled,
            "weight": self.weight,
            "params": self.params,
        }


class CardKnownAttribute(models.Model):
    class Kind(models.TextChoices):
        DEVICE = "device", _("device")
        COUNTRY = "country", _("country")

    class Source(models.TextChoices):
        SEEN = "seen", _("approved purchase")
        CONFIRMED = "confirmed", _("confirmed by the customer")

    card = models.ForeignKey(
        "cards.Card", verbose_name=_("card"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=8, choices=Kind.choices)
    value = models.CharField(verbose_name=_("value"), max_length=64)
    source = models.CharField(verbose_name=_("source"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("known device or country of a card")
        verbose_name_plural = _("known devices and countries of cards")
        constraints = [
            models.UniqueConstraint(fields=["card", "kind", "value"], name="card_known_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class FraudReview(TimeStampedModel):
    class State(models.TextChoices):
        OPEN = "open", _("open")
        CONFIRMED = "confirmed", _("confirmed by the customer")
        LEGITIMATE = "legitimate", _("closed: legitimate")
        FRAUD = "fraud", _("closed: fraud")

    authorization = models.OneToOneField(
        "cards.Authorization",
        verbose_name=_("authorization"),
        on_delete=models.PROTECT,
        related_name="fraud_review",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True
    )
    due_at = models.DateTimeField(_("review due"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("closed by"),
    )
    history = tracked_history()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("card fraud review")
        verbose_name_plural = _("card fraud reviews")

    def __str__(self) -> str:
        return f"#{self.pk} {self.authorization}"


class FraudDecisionRecord(Authorization):
    """The engine's decisions: authorizations with their score and reasons (admin only)."""

    class Meta:
        proxy = True
        ordering = ["-created_at", "-pk"]
        verbose_name = _("card fraud decision")
        verbose_name_plural = _("card fraud decisions")
