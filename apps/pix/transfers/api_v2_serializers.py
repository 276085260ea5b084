"""Serializers of BACEN's API Pix for received Pix, refunds and webhooks (schemas Pix,
Devolucao, DevolucaoSolicitada, PixConsultados, ParametrosConsultaPix, WebhookSolicitado,
WebhookCompleto, WebhooksConsultados).

`PixSerializer` is also the body of the webhook callback ({"pix": [...]}, see
apps/pix/transfers/notifications.py): one representation of a received Pix everywhere. Optional
fields the specification's examples leave out when empty (txid, chave, infoPagador,
devolucoes, descricao, motivo, horario.liquidacao) are left out here too.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api_fields import AmountField
from apps.core.errors import _violations as flatten_violations
from apps.pix.charges.api_formats import rfc3339
from apps.pix.charges.errors import with_violations
from apps.pix.models import PixRefund, PixTransfer, PixWebhook
from apps.pix.transfers.selectors import PixSearch, nature_of

VALOR_PATTERN = r"^\d{1,10}\.\d{2}$"
PAGE = "paginacao.paginaAtual"
PER_PAGE = "paginacao.itensPorPagina"


@extend_schema_field({"type": "string", "pattern": VALOR_PATTERN, "example": "7.89"})
class ValorField(AmountField):
    """BACEN's `valor`: \\d{1,10}\\.\\d{2} (at most R$ 9.999.999.999,99), centavos inside."""

    def to_internal_value(self, data) -> int:
        cents = super().to_internal_value(data)
        if cents >= 10**12:
            self.fail("invalid", reason=_("valor must have at most 10 digits before the point"))
        return cents


@extend_schema_field({"type": "string", "format": "date-time"})
class Rfc3339Field(serializers.Field):
    def to_representation(self, value: dt.datetime) -> str | None:
        return rfc3339(value)


# Enums inline (not components): "status" and "natureza" enums of other APIs would collide.
@extend_schema_field(
    {
        "type": "string",
        "enum": ["ORIGINAL", "RETIRADA", "MED_OPERACIONAL", "MED_FRAUDE", "MED_PIX_AUTOMATICO"],
    }
)
class NaturezaField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": ["EM_PROCESSAMENTO", "DEVOLVIDO", "NAO_REALIZADO"]})
class StatusDevolucaoField(serializers.CharField):
    pass


# --- Output -------------------------------------------------------------------------------


class HorarioDevolucaoSerializer(serializers.Serializer):
    solicitacao = Rfc3339Field()
    liquidacao = Rfc3339Field(required=False)


class DevolucaoSerializer(serializers.Serializer):
    """A refund (Devolucao)."""

    id = serializers.CharField(source="refund_id")
    rtrId = serializers.CharField(source="return_id")
    valor = ValorField(source="amount")
    natureza = NaturezaField()
    descricao = serializers.CharField(required=False)
    horario = HorarioDevolucaoSerializer()
    status = StatusDevolucaoField()
    motivo = serializers.CharField(required=False)

    def to_representation(self, refund: PixRefund) -> dict:
        data: dict[str, Any] = {
            "id": refund.refund_id,
            "rtrId": refund.return_id,
            "valor": ValorField().to_representation(refund.amount),
            "natureza": nature_of(refund),
            "horario": {"solicitacao": rfc3339(refund.created_at)},
            "status": refund.state,
        }
        if refund.description:
            data["descricao"] = refund.description
        if refund.returned_at is not None:
            data["horario"]["liquidacao"] = rfc3339(refund.returned_at)
        if refund.state == PixRefund.State.NAO_REALIZADO and refund.reject_reason:
            data["motivo"] = refund.reject_reason[:140]
        return data


class PixSerializer(serializers.Serializer):
    """A received Pix (Pix)."""

    endToEndId = serializers.CharField()
    txid = serializers.CharField(required=False)
    valor = ValorField()
    chave = serializers.CharField(required=False)
    horario = Rfc3339Field()
    infoPagador = serializers.CharField(required=False)
    devolucoes = DevolucaoSerializer(many=True, required=False)

    def to_representation(self, transfer: PixTransfer) -> dict:
        data: dict[str, Any] = {
            "endToEndId": transfer.end_to_end_id,
            "valor": ValorField().to_representation(transfer.amount),
            "horario": rfc3339(transfer.settled_at or transfer.created_at),
        }
        if transfer.tx_id:
            data["txid"] = transfer.tx_id
        if transfer.counterparty_key:
            data["chave"] = transfer.counterparty_key
        if transfer.description:
            data["infoPagador"] = transfer.description
        refunds = sorted(transfer.refunds.all(), key=lambda r: (r.created_at, r.pk))
        if refunds:
            data["devolucoes"] = [DevolucaoSerializer().to_representation(r) for r in refunds]
        return data


def pix_document(transfer: PixTransfer) -> dict:
    """The Pix schema of a received Pix (API answers and webhook bodies)."""
    return PixSerializer().to_representation(transfer)


class PaginacaoSerializer(serializers.Serializer):
    paginaAtual = serializers.IntegerField(min_value=0)
    itensPorPagina = serializers.IntegerField(min_value=1)
    quantidadeDePaginas = serializers.IntegerField(min_value=1)
    quantidadeTotalDeItens = serializers.IntegerField(min_value=0)


class ParametrosConsultaPixSerializer(serializers.Serializer):
    inicio = serializers.CharField()
    fim = serializers.CharField()
    txid = serializers.CharField(required=False)
    txIdPresente = serializers.BooleanField(required=False)
    devolucaoPresente = serializers.BooleanField(required=False)
    cpf = serializers.CharField(required=False)
    cnpj = serializers.CharField(required=False)
    paginacao = PaginacaoSerializer()


class PixConsultadosSerializer(serializers.Serializer):
    parametros = ParametrosConsultaPixSerializer()
    pix = PixSerializer(many=True)


class WebhookCompletoSerializer(serializers.Serializer):
    """WebhookCompleto (without the published schema's stray required `cnpj`)."""

    webhookUrl = serializers.URLField()
    chave = serializers.CharField()
    criacao = Rfc3339Field()

    def to_representation(self, webhook: PixWebhook) -> dict:
        return {
            "webhookUrl": webhook.url,
            "chave": webhook.pix_key.key,
            "criacao": rfc3339(webhook.created_at),
        }


class WebhookConfiguradoSerializer(WebhookCompletoSerializer):
    """WebhookCompleto plus the HMAC secret, shown only in the PUT's answer."""

    hmacSecret = serializers.CharField(
        help_text=(
            "Athena extension: the key of the X-Athena-Signature HMAC-SHA256 of every "
            "notification (docs/pix-webhooks.md). Shown only here; each PUT makes a new one."
        )
    )


class ParametrosConsultaWebhooksSerializer(serializers.Serializer):
    inicio = serializers.CharField(required=False)
    fim = serializers.CharField(required=False)
    paginacao = PaginacaoSerializer()


class WebhooksConsultadosSerializer(serializers.Serializer):
    parametros = ParametrosConsultaWebhooksSerializer()
    webhooks = WebhookCompletoSerializer(many=True)


# --- Input --------------------------------------------------------------------------------


def _checked(serializer: serializers.Serializer, error_cls) -> dict:
    if not serializer.is_valid():
        raise with_violations(error_cls, flatten_violations(serializer.errors))
    return serializer.validated_data


class _DottedNamesSerializer(serializers.Serializer):
    """Query parameters named with a dot (paginacao.paginaAtual) are fields of their own, so
    violations name them as the client wrote them."""

    def get_fields(self):
        fields = super().get_fields()
        # An explicit source: a dotted name would otherwise be read as a nested path.
        fields[PAGE] = serializers.IntegerField(
            source="page", min_value=0, max_value=10**6, required=False, default=0
        )
        fields[PER_PAGE] = serializers.IntegerField(
            source="per_page", min_value=1, max_value=1000, required=False, default=100
        )
        return fields


def query_dict(params) -> dict[str, str]:
    """A plain dict of the query string (its last value per name): with DRF's QueryDict
    handling, an absent boolean would read as False."""
    return {name: params.getlist(name)[-1] for name in params}


class PixQueryInput(_DottedNamesSerializer):
    """ParametrosConsultaPix."""

    inicio = serializers.DateTimeField()
    fim = serializers.DateTimeField()
    txid = serializers.RegexField(r"^[a-zA-Z0-9]{1,35}$", required=False)
    txIdPresente = serializers.BooleanField(required=False)
    devolucaoPresente = serializers.BooleanField(required=False)
    cpf = serializers.RegexField(r"^\d{11}$", required=False)
    cnpj = serializers.RegexField(r"^[0-9A-Z]{14}$", required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["fim"] < attrs["inicio"]:
            raise serializers.ValidationError({"fim": _("fim must not be before inicio.")})
        if attrs.get("cpf") and attrs.get("cnpj"):
            raise serializers.ValidationError({"cnpj": _("Give cpf or cnpj, not both.")})
        return attrs

    @classmethod
    def search(cls, params, error_cls) -> PixSearch:
        values = _checked(cls(data=query_dict(params)), error_cls)
        return PixSearch(
            start=values["inicio"],
            end=values["fim"],
            txid=values.get("txid"),
            txid_present=values.get("txIdPresente"),
            refund_present=values.get("devolucaoPresente"),
            payer_tax_id=values.get("cpf") or values.get("cnpj"),
            page=values["page"],
            per_page=values["per_page"],
        )


def pix_parameters(search: PixSearch, params: dict, paginacao: dict) -> dict:
    """`parametros` of PixConsultados: the filters the client gave, as given, plus paging."""
    answer: dict[str, Any] = {"inicio": rfc3339(search.start), "fim": rfc3339(search.end)}
    if search.txid is not None:
        answer["txid"] = search.txid
    if search.txid_present is not None:
        answer["txIdPresente"] = search.txid_present
    if search.refund_present is not None:
        answer["devolucaoPresente"] = search.refund_present
    for name in ("cpf", "cnpj"):
        if params.get(name):
            answer[name] = params[name]
    answer["paginacao"] = paginacao
    return answer


class WebhookQueryInput(_DottedNamesSerializer):
    """ParametrosConsultaWebhooks."""

    inicio = serializers.DateTimeField(required=False)
    fim = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("inicio"), attrs.get("fim")
        if start is not None and end is not None and end < start:
            raise serializers.ValidationError({"fim": _("fim must not be before inicio.")})
        return attrs

    @classmethod
    def checked(cls, params, error_cls) -> dict:
        return _checked(cls(data=query_dict(params)), error_cls)


class TextField(serializers.CharField):
    """A JSON string only: BACEN's schema says string, so 42 is not "42"."""

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def no_control_characters(value: str) -> None:
    """The text goes into the pacs.004 (XML), which cannot carry control characters."""
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise serializers.ValidationError(_("Control characters are not allowed."))


class DevolucaoSolicitadaInput(serializers.Serializer):
    """DevolucaoSolicitada: the body of PUT /pix/{e2eid}/devolucao/{id}."""

    valor = ValorField()
    natureza = serializers.ChoiceField(choices=["ORIGINAL", "RETIRADA"], default="ORIGINAL")
    descricao = TextField(
        max_length=140,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        validators=[no_control_characters],
    )

    @classmethod
    def checked(cls, data: Any, error_cls) -> dict:
        return _checked(cls(data=data), error_cls)


class WebhookSolicitadoInput(serializers.Serializer):
    """WebhookSolicitado: the body of PUT /webhook/{chave} (the URL's policy is the
    service's: apps.core.webhooks.check_webhook_url)."""

    webhookUrl = TextField(max_length=500, trim_whitespace=False)

    @classmethod
    def checked(cls, data: Any, error_cls) -> dict:
        return _checked(cls(data=data), error_cls)
