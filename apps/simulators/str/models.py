"""The simulated STR: the reserves accounts it settles against, the messages it handled, the
queue of messages it delivers to us, and the accounts of the other banks behind it (written
only by apps.simulators.str.simulator)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import EncryptedTextField, LookupEncryptedField


class StrReserves(models.Model):
    """A participant's reserves account at BACEN, as the STR sees it (centavos)."""

    ispb = models.CharField(verbose_name=_("ISPB"), max_length=8, unique=True)
    balance = models.BigIntegerField(verbose_name=_("balance"), default=0)

    class Meta:
        verbose_name = _("STR reserves account (simulated)")
        verbose_name_plural = _("STR reserves accounts (simulated)")

    def __str__(self) -> str:
        return self.ispb


class StrSettlement(models.Model):
    """A message the STR processed: its NumCtrlSTR is STR + date + this row's id. A sender's
    NumCtrlIF is unique per sender, so a resend answers the stored outcome."""

    code = models.CharField(verbose_name=_("code"), max_length=12)
    sender_ispb = models.CharField(verbose_name=_("sender ISPB"), max_length=8)
    receiver_ispb = models.CharField(verbose_name=_("receiver ISPB"), max_length=8)
    control_number = models.CharField(verbose_name=_("control number"), max_length=20)
    str_control_number = models.CharField(
        verbose_name=_("STR control number"), max_length=20, blank=True, db_index=True
    )
    original_str_control_number = models.CharField(
        verbose_name=_("original STR control number"), max_length=20, blank=True
    )
    amount = models.BigIntegerField(verbose_name=_("amount"))
    status = models.CharField(verbose_name=_("status"), max_length=2, blank=True)  # SitLancSTR
    error_code = models.CharField(verbose_name=_("error code"), max_length=12, blank=True)
    answer = models.TextField(
        verbose_name=_("answer"), blank=True
    )  # the R1 or error answer we returned (no documents)
    settled_on = models.DateField(verbose_name=_("settled on"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("STR settlement (simulated)")
        verbose_name_plural = _("STR settlements (simulated)")
        constraints = [
            models.UniqueConstraint(
                fields=["sender_ispb", "control_number"], name="sim_str_ctrl_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.str_control_number or self.control_number}"


class StrDelivery(models.Model):
    """A message the STR queued for us (STR0008R2, STR0010R2): encrypted, it names people."""

    code = models.CharField(verbose_name=_("code"), max_length=12)
    xml = EncryptedTextField(verbose_name=_("XML"))
    acknowledged = models.BooleanField(verbose_name=_("acknowledged"), default=False)
    deliver_after = models.DateTimeField(verbose_name=_("deliver after"), null=True, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("STR delivery to us (simulated)")
        verbose_name_plural = _("STR deliveries to us (simulated)")
        indexes = [
            models.Index(
                fields=["id"], name="sim_str_pending", condition=models.Q(acknowledged=False)
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} #{self.pk}"


class StrBankAccount(models.Model):
    """An account at another bank: a TED to one not listed here is returned (reason 2)."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed (returns with reason 1)")
        FRAUD = "fraud", _("flagged for fraud (returns with reason 9)")

    ispb = models.CharField(verbose_name=_("ISPB"), max_length=8)
    branch = models.CharField(verbose_name=_("branch"), max_length=4)
    number = models.CharField(
        verbose_name=_("number"), max_length=13, help_text=_("digits, no leading zeros")
    )
    holder_name = models.CharField(verbose_name=_("holder name"), max_length=80)
    holder_tax_id = LookupEncryptedField(verbose_name=_("holder tax ID"), clear_max_length=14)
    state = models.CharField(
        verbose_name=_("state"), max_length=6, choices=State.choices, default=State.OPEN
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account at another bank (simulated)")
        verbose_name_plural = _("accounts at other banks (simulated)")
        constraints = [
            models.UniqueConstraint(
                fields=["ispb", "branch", "number"], name="sim_str_account_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ispb} {self.branch}/{self.number}"
