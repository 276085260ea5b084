"""Customers (people and companies) and, from the ledger work on, their payment accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.core.crypto import EncryptedTextField
from apps.core.fsm import FSMModel


class Customer(FSMModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("natural person")
        COMPANY = "company", _("company")

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACTIVE = "active", _("active")
        BLOCKED = "blocked", _("blocked")
        CLOSED = "closed", _("closed")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="customer"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    full_name = models.CharField(_("full name"), max_length=150)
    # CPF (11 digits) or CNPJ (14 characters, alphanumeric since 2026), encrypted at rest;
    # tax_id_hash is the keyed hash used for uniqueness and exact lookup.
    tax_id = EncryptedTextField(_("CPF/CNPJ"))
    tax_id_hash = models.CharField(max_length=64, unique=True, editable=False)
    kyc_level = models.PositiveSmallIntegerField(
        _("KYC level"), default=0, choices=[(i, str(i)) for i in range(4)]
    )
    state = FSMField(default=State.PENDING, choices=State.choices, protected=True)
    state_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kyc_level__gte=0, kyc_level__lte=3),
                name="customer_kyc_level_range",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @transition(field=state, source=State.PENDING, target=State.ACTIVE)
    def activate(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=[State.ACTIVE], target=State.BLOCKED)
    def block(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(field=state, source=[State.BLOCKED], target=State.ACTIVE)
    def unblock(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason

    @transition(
        field=state, source=[State.PENDING, State.ACTIVE, State.BLOCKED], target=State.CLOSED
    )
    def close(self, *, by=None, reason: str = "") -> None:
        self.state_reason = reason
