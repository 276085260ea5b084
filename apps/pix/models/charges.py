"""API Pix (BACEN) charges: payload locations, cob and cobv, and the webhooks registered per key."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from apps.accounts.models import Account, Customer
from apps.core.crypto import EncryptedTextField, LookupEncryptedField
from apps.core.fsm import FSMModel
from apps.core.models import tracked_history
from apps.pix.models.keys import PixKey


class PixLocation(models.Model):
    """A payload location (`loc`): the URL a dynamic BR Code points to.

    The payer's PSP fetches the charge's payload from it. `id` is the API's integer id; the
    URL (without scheme) is built from settings.PIX_LOCATION_HOST and `uuid`."""

    class ChargeType(models.TextChoices):
        COB = "cob", "cob"
        COBV = "cobv", "cobv"

    id = models.BigAutoField(verbose_name=_("ID"), primary_key=True)
    uuid = models.UUIDField(verbose_name=_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="pix_locations"
    )
    charge_type = models.CharField(_("tipoCob"), max_length=4, choices=ChargeType.choices)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Pix payload location")
        verbose_name_plural = _("Pix payload locations")
        indexes = [
            models.Index(fields=["customer", "created_at"], name="pix_location_customer_idx")
        ]

    def __str__(self) -> str:
        return f"loc {self.pk} ({self.charge_type})"


class PixCharge(FSMModel):
    """A charge of BACEN's API Pix: `cob` (immediate) or `cobv` (with a due date).

    The structured parts of the standard are kept as given (JSON) where nothing queries
    them: `value_terms` holds cobv's multa/juros/abatimento/desconto and cob's retirada,
    `debtor` the devedor (encrypted: it carries a CPF/CNPJ; `debtor_tax_id_hash` serves
    the list's cpf/cnpj filter).

    ATIVA -> CONCLUIDA (paid) | REMOVIDA_PELO_USUARIO_RECEBEDOR (PATCH status) |
    REMOVIDA_PELO_PSP (expired or cancelled by us)."""

    class Kind(models.TextChoices):
        COB = "cob", _("immediate charge")
        COBV = "cobv", _("charge with due date")

    class Status(models.TextChoices):
        ATIVA = "ATIVA", _("active")
        CONCLUIDA = "CONCLUIDA", _("paid")
        REMOVIDA_PELO_USUARIO_RECEBEDOR = (
            "REMOVIDA_PELO_USUARIO_RECEBEDOR",
            _("removed by the receiver"),
        )
        REMOVIDA_PELO_PSP = "REMOVIDA_PELO_PSP", _("removed by the PSP")

    kind = models.CharField(verbose_name=_("kind"), max_length=4, choices=Kind.choices)
    txid = models.CharField(_("txid"), max_length=35)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="pix_charges"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="pix_charges"
    )
    pix_key = models.ForeignKey(
        PixKey, verbose_name=_("Pix key"), on_delete=models.PROTECT, related_name="charges"
    )
    key = LookupEncryptedField(_("chave"))  # often a CPF/CNPJ: encrypted
    status = FSMField(
        verbose_name=_("status"), default=Status.ATIVA, choices=Status.choices, protected=True
    )
    revision = models.PositiveIntegerField(_("revisao"), default=0)
    expires_in_seconds = models.PositiveIntegerField(_("expiracao"), default=86400)
    due_date = models.DateField(_("dataDeVencimento"), null=True, blank=True)
    valid_days_after_due = models.PositiveIntegerField(
        _("validadeAposVencimento"), null=True, blank=True
    )
    amount = models.BigIntegerField(_("valor.original (centavos)"))
    amount_editable = models.BooleanField(_("valor.modalidadeAlteracao"), default=False)
    value_terms = models.JSONField(verbose_name=_("value terms"), default=dict, blank=True)
    debtor = EncryptedTextField(verbose_name=_("debtor"), blank=True)  # JSON of `devedor`
    debtor_tax_id_hash = models.CharField(
        verbose_name=_("debtor tax ID hash"), max_length=64, blank=True, db_index=True
    )
    payer_request = models.CharField(_("solicitacaoPagador"), max_length=140, blank=True)
    additional_info = models.JSONField(_("infoAdicionais"), default=list, blank=True)
    location = models.OneToOneField(
        PixLocation,
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="charge",
    )
    concluded_at = models.DateTimeField(verbose_name=_("concluded at"), null=True, blank=True)
    removed_reason = models.CharField(verbose_name=_("removed reason"), max_length=200, blank=True)
    history = tracked_history(excluded_fields=["debtor"])

    class Meta:
        verbose_name = _("Pix charge")
        verbose_name_plural = _("Pix charges")
        constraints = [
            # txid is unique per receiving user (Manual de Padrões para Iniciação do Pix).
            models.UniqueConstraint(fields=["customer", "txid"], name="pix_charge_txid_uniq"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="pix_charge_amount"),
            models.CheckConstraint(
                condition=models.Q(txid__regex=r"^[a-zA-Z0-9]{26,35}$"),
                name="pix_charge_txid_format",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="pix_charge_customer_idx"),
            models.Index(fields=["status", "kind"], name="pix_charge_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.txid} ({self.status})"

    @transition(field=status, source=Status.ATIVA, target=Status.CONCLUIDA)
    def conclude(self, *, by=None, reason: str = "") -> None:
        from django.utils import timezone

        self.concluded_at = timezone.now()

    @transition(field=status, source=Status.ATIVA, target=Status.REMOVIDA_PELO_USUARIO_RECEBEDOR)
    def remove_by_receiver(self, *, by=None, reason: str = "") -> None:
        self.removed_reason = reason[:200]

    @transition(field=status, source=Status.ATIVA, target=Status.REMOVIDA_PELO_PSP)
    def remove_by_psp(self, *, by=None, reason: str = "") -> None:
        self.removed_reason = reason[:200]


class PixWebhook(models.Model):
    """An integrator's webhook for a key (`PUT /webhook/{chave}`): Pix received on the key are
    POSTed to `url` + "/pix", signed with HMAC-SHA256 under `secret`."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="pix_webhooks"
    )
    pix_key = models.OneToOneField(
        PixKey, verbose_name=_("Pix key"), on_delete=models.CASCADE, related_name="webhook"
    )
    url = models.URLField(_("webhookUrl"), max_length=500)
    secret = EncryptedTextField(verbose_name=_("secret"))
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("Pix webhook")
        verbose_name_plural = _("Pix webhooks")

    def __str__(self) -> str:
        return f"webhook of {self.pix_key_id} -> {self.url}"
