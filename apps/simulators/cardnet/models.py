"""The simulated card network: what it saw authorized for our cards, the clearing records
acquirers presented, and the clearing files it wrote for us (written only by
apps.simulators.cardnet.simulator). Cards are named by BIN + last four and our token, as
in the files: the network's tables hold no PAN either."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CardnetAuthorization(models.Model):
    """An approval the network passed on to an acquirer (copied from our answer)."""

    class State(models.TextChoices):
        APPROVED = "approved", _("approved")
        PRESENTED = "presented", _("presented")
        REVERSED = "reversed", _("reversed")

    issuer_authorization_id = models.BigIntegerField(
        verbose_name=_("issuer authorization ID"), unique=True, null=True, blank=True
    )
    card_bin = models.CharField(verbose_name=_("card bin"), max_length=8)
    card_last4 = models.CharField(verbose_name=_("card last4"), max_length=4)
    card_token = models.CharField(verbose_name=_("card token"), max_length=32)
    mti = models.CharField(verbose_name=_("MTI"), max_length=4, default="0100")
    auth_code = models.CharField(verbose_name=_("auth code"), max_length=6)
    rrn = models.CharField(verbose_name=_("RRN"), max_length=12)
    stan = models.CharField(verbose_name=_("STAN"), max_length=6)
    amount = models.BigIntegerField(verbose_name=_("amount"))
    mcc = models.CharField(verbose_name=_("MCC"), max_length=4, blank=True)
    merchant_id = models.CharField(verbose_name=_("merchant ID"), max_length=15, blank=True)
    merchant_name = models.CharField(verbose_name=_("merchant name"), max_length=40, blank=True)
    merchant_country = models.CharField(
        verbose_name=_("merchant country"), max_length=3, default="076"
    )
    authorized_on = models.DateField(verbose_name=_("authorized on"))
    state = models.CharField(
        verbose_name=_("state"), max_length=10, choices=State.choices, default=State.APPROVED
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("card network authorization (simulated)")
        verbose_name_plural = _("card network authorizations (simulated)")

    def __str__(self) -> str:
        return f"{self.card_bin}******{self.card_last4} {self.auth_code} {self.amount}"


class CardnetRecord(models.Model):
    """A clearing record an acquirer presented (05 presentment, 06 refund, 25/26 reversals),
    waiting for the next file (`file` empty) or written in one."""

    transaction_code = models.CharField(verbose_name=_("transaction code"), max_length=2)
    arn = models.CharField(verbose_name=_("arn"), max_length=23, unique=True, null=True, blank=True)
    original_arn = models.CharField(verbose_name=_("original arn"), max_length=23, blank=True)
    authorization = models.ForeignKey(
        CardnetAuthorization,
        verbose_name=_("authorization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )
    card_bin = models.CharField(verbose_name=_("card bin"), max_length=8)
    card_last4 = models.CharField(verbose_name=_("card last4"), max_length=4)
    card_token = models.CharField(verbose_name=_("card token"), max_length=32)
    auth_code = models.CharField(verbose_name=_("auth code"), max_length=6, blank=True)
    rrn = models.CharField(verbose_name=_("RRN"), max_length=12, blank=True)
    stan = models.CharField(verbose_name=_("STAN"), max_length=6, blank=True)
    transaction_date = models.DateField(verbose_name=_("transaction date"))
    amount = models.BigIntegerField(verbose_name=_("amount"))
    mcc = models.CharField(verbose_name=_("MCC"), max_length=4, default="5999")
    merchant_id = models.CharField(verbose_name=_("merchant ID"), max_length=15, blank=True)
    merchant_name = models.CharField(verbose_name=_("merchant name"), max_length=40, blank=True)
    merchant_city = models.CharField(
        verbose_name=_("merchant city"), max_length=13, default="SAO PAULO"
    )
    merchant_country = models.CharField(
        verbose_name=_("merchant country"), max_length=3, default="076"
    )
    file = models.ForeignKey(
        "CardnetFile",
        verbose_name=_("file"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("card network clearing record (simulated)")
        verbose_name_plural = _("card network clearing records (simulated)")

    def __str__(self) -> str:
        return f"{self.transaction_code} {self.arn}"


class CardnetFile(models.Model):
    """A clearing file written for us (`delivered` once fetched)."""

    name = models.CharField(verbose_name=_("name"), max_length=120, unique=True)
    business_day = models.DateField(verbose_name=_("business day"))
    sequence = models.PositiveIntegerField(verbose_name=_("sequence"))
    content = models.TextField(verbose_name=_("content"))
    net = models.BigIntegerField(
        verbose_name=_("net"), default=0
    )  # what the issuer owes for it (negative: is owed)
    delivered = models.BooleanField(verbose_name=_("delivered"), default=False)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("card network clearing file (simulated)")
        verbose_name_plural = _("card network clearing files (simulated)")
        indexes = [models.Index(fields=["business_day"], name="sim_cardnet_file_day")]

    def __str__(self) -> str:
        return self.name
