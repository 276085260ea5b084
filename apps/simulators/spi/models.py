"""The table of the simulated SPI: every message that went through it, with its answer.
Born in apps.pix (migration 0002); keeps its `pix_spisimulatedmessage` table."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.crypto import EncryptedTextField


class SpiSimulatedMessage(models.Model):
    """A pacs.008 or pacs.004 that went through the (simulated) SPI, with the SPI's answer.

    `end_to_end_id` is the endToEndId ("E...") of a pacs.008 or the returnId ("D...") of a
    pacs.004; the SPI accepts each id once, so it is unique (rejected messages included).
    For a pacs.004, `original_end_to_end_id` names the Pix being returned."""

    class Direction(models.TextChoices):
        OUTBOUND = "OUTBOUND", _("sent by us")
        INBOUND = "INBOUND", _("delivered to us")

    class Kind(models.TextChoices):
        PACS008 = "pacs.008", _("credit transfer")
        PACS004 = "pacs.004", _("return")

    end_to_end_id = models.CharField(verbose_name=_("end-to-end ID"), max_length=32, unique=True)
    original_end_to_end_id = models.CharField(
        verbose_name=_("original end-to-end ID"), max_length=32, blank=True, db_index=True
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=8, choices=Kind.choices)
    direction = models.CharField(
        verbose_name=_("direction"), max_length=8, choices=Direction.choices
    )
    debtor_ispb = models.CharField(verbose_name=_("debtor ISPB"), max_length=8)
    creditor_ispb = models.CharField(verbose_name=_("creditor ISPB"), max_length=8)
    amount_cents = models.BigIntegerField(verbose_name=_("amount (centavos)"))
    xml = EncryptedTextField(
        verbose_name=_("XML")
    )  # names both parties' CPF/CNPJ: encrypted at rest
    status = models.CharField(verbose_name=_("status"), max_length=4)  # ACSC/ACCC (settled) or RJCT
    reason = models.CharField(verbose_name=_("reason"), max_length=4, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"))

    class Meta:
        db_table = "pix_spisimulatedmessage"  # created by apps.pix, kept through the move
        verbose_name = _("SPI message (simulator)")
        verbose_name_plural = _("SPI messages (simulator)")

    def __str__(self) -> str:
        return f"{self.kind} {self.end_to_end_id} {self.status} {self.reason}".rstrip()
