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

    barcode = models.CharField(verbose_name=_("barcode"), max_length=44, unique=True)
    bank_code = models.CharField(verbose_name=_("bank code"), max_length=3)
    beneficiary_name = models.CharField(verbose_name=_("beneficiary name"), max_length=140)
    beneficiary_tax_id = EncryptedTextField(verbose_name=_("beneficiary tax ID"))
    payer_name = models.CharField(verbose_name=_("payer name"), max_length=140, blank=True)
    # DDA finds a payer's boletos by CPF/CNPJ: encrypted, found by equality.
    payer_tax_id = LookupEncryptedField(
        verbose_name=_("payer tax ID"), clear_max_length=14, blank=True, db_index=True
    )
    amount = models.BigIntegerField(verbose_name=_("amount"))
    due_date = models.DateField(verbose_name=_("due date"), null=True, blank=True)
    valid_days_after_due = models.PositiveIntegerField(
        verbose_name=_("valid days after due"), default=0
    )
    value_terms = models.JSONField(verbose_name=_("value terms"), default=dict, blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    paid_amount = models.BigIntegerField(verbose_name=_("paid amount"), null=True, blank=True)
    paid_on = models.DateField(verbose_name=_("paid on"), null=True, blank=True)
    paid_by_bank = models.CharField(verbose_name=_("paid by bank"), max_length=3, blank=True)
    closed_reason = models.CharField(verbose_name=_("closed reason"), max_length=200, blank=True)
    registered_at = models.DateTimeField(verbose_name=_("registered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("CIP registered boleto (simulated)")
        verbose_name_plural = _("CIP registered boletos (simulated)")

    def __str__(self) -> str:
        return f"{self.bank_code} {self.barcode}"
