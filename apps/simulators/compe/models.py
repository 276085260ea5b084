"""The simulated COMPE: clearing items of the day, the remittance files it received from us
and the return files it writes for us (written only by apps.simulators.compe.simulator)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CompeItem(models.Model):
    """A boleto paid through clearing: by our customer (paying bank = ours) or by a payer at
    another bank; `returned` once a return file told the beneficiary's bank (us) about it."""

    barcode = models.CharField(verbose_name=_("barcode"), max_length=44)
    amount = models.BigIntegerField(verbose_name=_("amount"))
    fee = models.BigIntegerField(verbose_name=_("fee"), default=0)
    paying_bank = models.CharField(verbose_name=_("paying bank"), max_length=3)
    beneficiary_bank = models.CharField(verbose_name=_("beneficiary bank"), max_length=3)
    nosso_numero = models.CharField(verbose_name=_("nosso numero"), max_length=20, blank=True)
    paid_on = models.DateField(verbose_name=_("paid on"))
    reference = models.CharField(verbose_name=_("reference"), max_length=64, blank=True)
    returned = models.BooleanField(verbose_name=_("returned"), default=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("COMPE clearing item (simulated)")
        verbose_name_plural = _("COMPE clearing items (simulated)")
        indexes = [models.Index(fields=["paid_on"], name="sim_compe_item_day_idx")]

    def __str__(self) -> str:
        return f"{self.paying_bank}->{self.beneficiary_bank} {self.barcode}"


class CompeFile(models.Model):
    """A file exchanged with the simulated COMPE: a remittance received from us, or a return
    written for us (`delivered` once fetched)."""

    class Direction(models.TextChoices):
        REMITTANCE = "remittance", _("remittance (from the bank)")
        RETURN = "return", _("return (to the bank)")

    direction = models.CharField(
        verbose_name=_("direction"), max_length=10, choices=Direction.choices
    )
    name = models.CharField(verbose_name=_("name"), max_length=120)
    sequence = models.PositiveIntegerField(verbose_name=_("sequence"))
    content = models.TextField(verbose_name=_("content"))
    delivered = models.BooleanField(verbose_name=_("delivered"), default=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("COMPE file (simulated)")
        verbose_name_plural = _("COMPE files (simulated)")

    def __str__(self) -> str:
        return self.name


class CompePendingAnswer(models.Model):
    """A remittance title the next return file answers (02 accepted or 03 rejected)."""

    nosso_numero = models.CharField(verbose_name=_("nosso numero"), max_length=20)
    seu_numero = models.CharField(verbose_name=_("seu numero"), max_length=25, blank=True)
    movement = models.CharField(verbose_name=_("movement"), max_length=2)
    motive = models.CharField(verbose_name=_("motive"), max_length=2, blank=True)
    due_date = models.DateField(verbose_name=_("due date"), null=True, blank=True)
    amount = models.BigIntegerField(verbose_name=_("amount"), default=0)
    answered = models.BooleanField(verbose_name=_("answered"), default=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending COMPE answer")
        verbose_name_plural = _("pending COMPE answers")

    def __str__(self) -> str:
        return f"{self.movement} {self.nosso_numero}"
