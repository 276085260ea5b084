"""The simulated CIP registry (Nova Plataforma de Cobranca): every bank's registered
boletos, written only by the simulator (apps.simulators.cip.simulator)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import EncryptedTextField, LookupEncryptedField


class CipBoleto(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PAID = "paid", _("paid (baixa operacional)")
        WRITTEN_OFF = "written_off", _("written off (baixa efetiva)")

    barcode = models.CharField(max_length=44, unique=True)
    bank_code = models.CharField(max_length=3)
    beneficiary_name = models.CharField(max_length=140)
    beneficiary_tax_id = EncryptedTextField()
    payer_name = models.CharField(max_length=140, blank=True)
    # DDA finds a payer's boletos by CPF/CNPJ: encrypted, found by equality.
    payer_tax_id = LookupEncryptedField(clear_max_length=14, blank=True, db_index=True)
    amount = models.BigIntegerField()
    due_date = models.DateField(null=True, blank=True)
    valid_days_after_due = models.PositiveIntegerField(default=0)
    value_terms = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    paid_amount = models.BigIntegerField(null=True, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    paid_by_bank = models.CharField(max_length=3, blank=True)
    closed_reason = models.CharField(max_length=200, blank=True)
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("CIP registered boleto (simulated)")
        verbose_name_plural = _("CIP registered boletos (simulated)")

    def __str__(self) -> str:
        return f"{self.bank_code} {self.barcode}"
