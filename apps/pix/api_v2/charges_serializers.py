"""Serializers of the API Pix charges (cob, cobv, loc): BACEN's schemas, field by field.

Input serializers check the schema (types, patterns, lengths, modalities); the services
check what ties fields together and what needs the database. Output serializers describe
BACEN's answers for /api/schema/ and render the dicts built by the `*_representation`
functions below (fields absent from the dict are left out, as the standard's optional
fields are).

Patterns of the published OpenAPI file are anchored here (the file leaves them unanchored
and writes the CPF's as /^\\d{11}$/): that is their intent.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.documents import tax_id_kind
from apps.core.money import AmountError, cents_to_str, parse_amount
from apps.pix.charges import payloads as charge_payloads
from apps.pix.charges import services as charges
from apps.pix.charges.api_formats import Page, rfc3339
from apps.pix.charges.selectors import MAX_BIGINT, linked_charge
from apps.pix.models import PixCharge, PixLocation, PixTransfer
from apps.pix.transfers.api_v2_serializers import pix_document

AMOUNT_PATTERN = r"^\d{1,10}\.\d{2}$"
INT32_MAX = 2**31 - 1
STATUSES = [choice for choice, _label in PixCharge.Status.choices]
STATUS_HELP = "Status of the charge's record: " + ", ".join(STATUSES) + "."
REMOVAL = ["REMOVIDA_PELO_USUARIO_RECEBEDOR"]
CHARGE_TYPES = ["cob", "cobv"]


# --- Fields ------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": AMOUNT_PATTERN, "example": "123.45"})
class BacenAmountField(serializers.Field):
    """An amount as the API Pix writes it (\\d{1,10}\\.\\d{2}); centavos (int) inside."""

    default_error_messages = {"invalid": "{reason}"}

    def __init__(self, *, allow_zero: bool = True, **kwargs):
        self.allow_zero = allow_zero
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> int:
        if isinstance(data, str) and len(data.strip().partition(".")[0]) > 10:
            self.fail("invalid", reason=_("amount has more than 10 digits before the point"))
        try:
            return parse_amount(data, strict=True, allow_zero=self.allow_zero)
        except AmountError as exc:
            self.fail("invalid", reason=str(exc))

    def to_representation(self, value: int) -> str:
        return cents_to_str(value)


def _value_perc(**kwargs) -> serializers.RegexField:
    return serializers.RegexField(
        AMOUNT_PATTERN,
        max_length=13,
        error_messages={"invalid": _("must have the form 123.45 (two decimal places)")},
        help_text="Value (centavos) or percentage, per the modality: \\d{1,10}\\.\\d{2}.",
        **kwargs,
    )


class _DocumentMixin:
    def validate_cpf(self, value: str) -> str:
        if tax_id_kind(value) != "person":
            raise serializers.ValidationError(_("not a valid CPF"))
        return value

    def validate_cnpj(self, value: str) -> str:
        if tax_id_kind(value) != "company":
            raise serializers.ValidationError(_("not a valid CNPJ"))
        return value


def _cpf_field(**kwargs) -> serializers.RegexField:
    return serializers.RegexField(r"^\d{11}$", max_length=11, help_text="CPF: 11 digits.", **kwargs)


def _cnpj_field(**kwargs) -> serializers.RegexField:
    return serializers.RegexField(
        r"^[0-9A-Z]{14}$",
        max_length=14,
        help_text="CNPJ: 14 characters (alphanumeric since 2026).",
        **kwargs,
    )


# --- Input -------------------------------------------------------------------------------


class CobDevedorSerializer(_DocumentMixin, serializers.Serializer):
    """PessoaFisica or PessoaJuridica: nome with a cpf or a cnpj, never both."""

    nome = serializers.CharField(max_length=200)
    cpf = _cpf_field(required=False)
    cnpj = _cnpj_field(required=False)

    def validate(self, attrs):
        if bool(attrs.get("cpf")) == bool(attrs.get("cnpj")):
            raise serializers.ValidationError(_("give either cpf or cnpj, not both nor neither"))
        return attrs


class CobVDevedorSerializer(CobDevedorSerializer):
    email = serializers.CharField(max_length=200, required=False)
    logradouro = serializers.CharField(max_length=200, required=False)
    cidade = serializers.CharField(max_length=200, required=False)
    uf = serializers.CharField(max_length=2, required=False)
    cep = serializers.CharField(max_length=8, required=False)


class CobInfoAdicionalSerializer(serializers.Serializer):
    nome = serializers.CharField(max_length=50)
    valor = serializers.CharField(max_length=200)


class CobLocRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_BIGINT)


class CobCalendarioInSerializer(serializers.Serializer):
    expiracao = serializers.IntegerField(
        min_value=1,
        max_value=INT32_MAX,
        required=False,
        help_text="Seconds from criacao; 86400 when omitted.",
    )


class CobVCalendarioInSerializer(serializers.Serializer):
    dataDeVencimento = serializers.DateField(input_formats=["iso-8601"])
    validadeAposVencimento = serializers.IntegerField(
        min_value=0,
        max_value=charges.MAX_VALID_DAYS_AFTER_DUE,
        required=False,
        help_text="Calendar days after the due date; 30 when omitted.",
    )


class CobVCalendarioRevisadoSerializer(CobVCalendarioInSerializer):
    dataDeVencimento = serializers.DateField(input_formats=["iso-8601"], required=False)


class CobValorInSerializer(serializers.Serializer):
    original = BacenAmountField()
    modalidadeAlteracao = serializers.IntegerField(min_value=0, max_value=1, required=False)
    retirada = serializers.DictField(required=False, help_text="Not offered (Pix Saque/Troco).")

    def validate_retirada(self, value):
        raise serializers.ValidationError(_("Pix Saque and Pix Troco are not offered."))


class CobValorRevisadoSerializer(CobValorInSerializer):
    original = BacenAmountField(required=False)


class CobVMultaSerializer(serializers.Serializer):
    modalidade = serializers.IntegerField(min_value=1, max_value=2, help_text="1 value, 2 %.")
    valorPerc = _value_perc()


class CobVJurosSerializer(serializers.Serializer):
    modalidade = serializers.IntegerField(
        min_value=1,
        max_value=8,
        help_text=(
            "1 value/day, 2 %/day, 3 %/month, 4 %/year (calendar days); 5-8 the same in "
            "business days."
        ),
    )
    valorPerc = _value_perc()


class CobVAbatimentoSerializer(CobVMultaSerializer):
    pass


class CobVDescontoDataFixaSerializer(serializers.Serializer):
    data = serializers.DateField(input_formats=["iso-8601"])
    valorPerc = _value_perc()


class CobVDescontoSerializer(serializers.Serializer):
    modalidade = serializers.IntegerField(
        min_value=1,
        max_value=6,
        help_text=(
            "1 value / 2 % until the dates given (descontoDataFixa); 3 value / 5 % per "
            "calendar day of anticipation; 4 value / 6 % per business day (valorPerc)."
        ),
    )
    descontoDataFixa = CobVDescontoDataFixaSerializer(many=True, required=False, max_length=3)
    valorPerc = _value_perc(required=False)

    def validate(self, attrs):
        tiers = attrs.get("descontoDataFixa")
        if attrs["modalidade"] in (1, 2):
            if not tiers:
                raise serializers.ValidationError(
                    {"descontoDataFixa": _("modalidade 1 and 2 need 1 to 3 dated discounts")}
                )
            if "valorPerc" in attrs:
                raise serializers.ValidationError(
                    {"valorPerc": _("modalidade 1 and 2 take descontoDataFixa, not valorPerc")}
                )
            dates = [tier["data"] for tier in tiers]
            if len(set(dates)) != len(dates):
                raise serializers.ValidationError(
                    {"descontoDataFixa": _("two discounts with the same date")}
                )
        else:
            if "valorPerc" not in attrs:
                raise serializers.ValidationError(
                    {"valorPerc": _("modalidade 3 to 6 need valorPerc")}
                )
            if tiers is not None:
                raise serializers.ValidationError(
                    {"descontoDataFixa": _("modalidade 3 to 6 take valorPerc only")}
                )
        return attrs


class CobVValorInSerializer(serializers.Serializer):
    original = BacenAmountField()
    multa = CobVMultaSerializer(required=False)
    juros = CobVJurosSerializer(required=False)
    abatimento = CobVAbatimentoSerializer(required=False)
    desconto = CobVDescontoSerializer(required=False)


class CobVValorRevisadoSerializer(CobVValorInSerializer):
    original = BacenAmountField(required=False)


class _ChargeBase(serializers.Serializer):
    chave = serializers.CharField(max_length=77)
    solicitacaoPagador = serializers.CharField(max_length=140, required=False, allow_blank=True)
    infoAdicionais = CobInfoAdicionalSerializer(many=True, required=False, max_length=50)
    loc = CobLocRefSerializer(required=False)


class CobSolicitadaSerializer(_ChargeBase):
    """CobSolicitada: PUT /cob/{txid} and POST /cob."""

    calendario = CobCalendarioInSerializer(required=False)
    devedor = CobDevedorSerializer(required=False)
    valor = CobValorInSerializer()


class CobRevisadaSerializer(CobSolicitadaSerializer):
    """CobRevisada: PATCH /cob/{txid}; every field optional."""

    chave = serializers.CharField(max_length=77, required=False)
    valor = CobValorRevisadoSerializer(required=False)
    status = serializers.ChoiceField(choices=REMOVAL, required=False)


class CobVSolicitadaSerializer(_ChargeBase):
    """CobVSolicitada: PUT /cobv/{txid}."""

    calendario = CobVCalendarioInSerializer()
    devedor = CobVDevedorSerializer()
    valor = CobVValorInSerializer()


class CobVRevisadaSerializer(CobVSolicitadaSerializer):
    """CobVRevisada: PATCH /cobv/{txid}; every field optional."""

    chave = serializers.CharField(max_length=77, required=False)
    calendario = CobVCalendarioRevisadoSerializer(required=False)
    devedor = CobVDevedorSerializer(required=False)
    valor = CobVValorRevisadoSerializer(required=False)
    # Not an enum in the schema: one `status` choice set per component keeps the schema's
    # enum names unambiguous; charge_update refuses any other value (CobVOperacaoInvalida).
    status = serializers.CharField(
        required=False, max_length=40, help_text="Only REMOVIDA_PELO_USUARIO_RECEBEDOR."
    )


class PayloadLocationSolicitadaSerializer(serializers.Serializer):
    tipoCob = serializers.ChoiceField(choices=CHARGE_TYPES)


def _json_terms(valor: dict) -> dict:
    """cobv's valor terms in BACEN's JSON shape (dates as text), for `value_terms`."""
    terms: dict[str, Any] = {}
    for name in ("multa", "juros", "abatimento"):
        if name in valor:
            terms[name] = {
                "modalidade": valor[name]["modalidade"],
                "valorPerc": valor[name]["valorPerc"],
            }
    if "desconto" in valor:
        raw = valor["desconto"]
        discount: dict[str, Any] = {"modalidade": raw["modalidade"]}
        if raw.get("descontoDataFixa"):
            discount["descontoDataFixa"] = [
                {"data": tier["data"].isoformat(), "valorPerc": tier["valorPerc"]}
                for tier in raw["descontoDataFixa"]  # as sent: violations name its indexes
            ]
        if "valorPerc" in raw:
            discount["valorPerc"] = raw["valorPerc"]
        terms["desconto"] = discount
    return terms


def charge_input(kind: str, data: dict) -> charges.ChargeInput:
    """A validated CobSolicitada / CobVSolicitada as the service's input."""
    valor = data["valor"]
    common = {
        "key": data["chave"],
        "amount": valor["original"],
        "debtor": dict(data["devedor"]) if data.get("devedor") else None,
        "payer_request": data.get("solicitacaoPagador", ""),
        "additional_info": [dict(item) for item in data.get("infoAdicionais", [])],
        "location_id": data["loc"]["id"] if data.get("loc") else None,
    }
    calendar = data.get("calendario") or {}
    if kind == PixCharge.Kind.COB:
        return charges.ChargeInput(
            **common,
            amount_editable=bool(valor.get("modalidadeAlteracao", 0)),
            expires_in_seconds=calendar.get("expiracao", charges.DEFAULT_EXPIRATION_SECONDS),
        )
    return charges.ChargeInput(
        **common,
        due_date=calendar["dataDeVencimento"],
        valid_days_after_due=calendar.get(
            "validadeAposVencimento", charges.DEFAULT_VALID_DAYS_AFTER_DUE
        ),
        value_terms=_json_terms(valor),
    )


def charge_changes(kind: str, data: dict) -> dict:
    """A validated CobRevisada / CobVRevisada as the service's `changes`."""
    changes: dict[str, Any] = {}
    if "status" in data:
        changes["status"] = data["status"]
    if "chave" in data:
        changes["key"] = data["chave"]
    if "devedor" in data:
        changes["debtor"] = dict(data["devedor"])
    if "solicitacaoPagador" in data:
        changes["payer_request"] = data["solicitacaoPagador"]
    if "infoAdicionais" in data:
        changes["additional_info"] = [dict(item) for item in data["infoAdicionais"]]
    if "loc" in data:
        changes["location_id"] = data["loc"]["id"]
    valor = data.get("valor") or {}
    if "original" in valor:
        changes["amount"] = valor["original"]
    calendar = data.get("calendario") or {}
    if kind == PixCharge.Kind.COB:
        if "modalidadeAlteracao" in valor:
            changes["amount_editable"] = bool(valor["modalidadeAlteracao"])
        if "expiracao" in calendar:
            changes["expires_in_seconds"] = calendar["expiracao"]
    else:
        if "dataDeVencimento" in calendar:
            changes["due_date"] = calendar["dataDeVencimento"]
        if "validadeAposVencimento" in calendar:
            changes["valid_days_after_due"] = calendar["validadeAposVencimento"]
        terms = _json_terms(valor)
        if terms:
            changes["value_terms"] = terms
    return changes


# --- Query parameters --------------------------------------------------------------------


class _QueryBase(serializers.Serializer):
    inicio = serializers.DateTimeField(help_text="RFC 3339; created at or after.")
    fim = serializers.DateTimeField(help_text="RFC 3339; created at or before.")
    paginaAtual = serializers.IntegerField(min_value=0, max_value=INT32_MAX, default=0)
    itensPorPagina = serializers.IntegerField(min_value=1, max_value=1000, default=100)

    #: query parameter -> field (BACEN writes the pagination with a dot)
    RENAMED = {"paginacao.paginaAtual": "paginaAtual", "paginacao.itensPorPagina": "itensPorPagina"}

    def validate(self, attrs):
        if attrs["fim"] < attrs["inicio"]:
            raise serializers.ValidationError({"fim": _("fim is before inicio")})
        return attrs

    @classmethod
    def from_query(cls, params) -> serializers.Serializer:
        data = {}
        for name in params:
            value = params.get(name)
            if name in ("inicio", "fim"):
                # An unencoded "+" of an offset arrives as a space.
                value = value.replace(" ", "+")
            data[cls.RENAMED.get(name, name)] = value
        return cls(data=data)

    @classmethod
    def parameter_name(cls, field: str) -> str:
        for query_name, field_name in cls.RENAMED.items():
            if field_name == field:
                return query_name
        return field


class CobQuerySerializer(_DocumentMixin, _QueryBase):
    cpf = _cpf_field(required=False)
    cnpj = _cnpj_field(required=False)
    locationPresente = serializers.BooleanField(required=False, allow_null=True, default=None)
    status = serializers.ChoiceField(choices=STATUSES, required=False)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("cpf") and attrs.get("cnpj"):
            raise serializers.ValidationError({"cnpj": _("cpf and cnpj cannot be used together")})
        return attrs


class LocQuerySerializer(_QueryBase):
    txIdPresente = serializers.BooleanField(required=False, allow_null=True, default=None)
    tipoCob = serializers.ChoiceField(choices=CHARGE_TYPES, required=False)


# --- Output ------------------------------------------------------------------------------


class CobPayloadLocationSerializer(serializers.Serializer):
    """PayloadLocation / PayloadLocationCompleta."""

    id = serializers.IntegerField()
    txid = serializers.CharField(required=False)
    location = serializers.CharField()
    tipoCob = serializers.ChoiceField(choices=CHARGE_TYPES)
    criacao = serializers.CharField(help_text="RFC 3339")


class CobPaginacaoSerializer(serializers.Serializer):
    paginaAtual = serializers.IntegerField()
    itensPorPagina = serializers.IntegerField()
    quantidadeDePaginas = serializers.IntegerField()
    quantidadeTotalDeItens = serializers.IntegerField()


class CobParametrosConsultaSerializer(serializers.Serializer):
    inicio = serializers.CharField()
    fim = serializers.CharField()
    cpf = serializers.CharField(required=False)
    cnpj = serializers.CharField(required=False)
    locationPresente = serializers.BooleanField(required=False)
    status = serializers.CharField(required=False)
    paginacao = CobPaginacaoSerializer()


class LocParametrosConsultaSerializer(serializers.Serializer):
    inicio = serializers.CharField()
    fim = serializers.CharField()
    txIdPresente = serializers.BooleanField(required=False)
    tipoCob = serializers.CharField(required=False)
    paginacao = CobPaginacaoSerializer()


class CobDevolucaoHorarioSerializer(serializers.Serializer):
    solicitacao = serializers.CharField()
    liquidacao = serializers.CharField(required=False)


class CobDevolucaoSerializer(serializers.Serializer):
    id = serializers.CharField()
    rtrId = serializers.CharField()
    valor = serializers.CharField()
    horario = CobDevolucaoHorarioSerializer()
    status = serializers.CharField(help_text="EM_PROCESSAMENTO, DEVOLVIDO or NAO_REALIZADO.")
    descricao = serializers.CharField(required=False)


class CobPixSerializer(serializers.Serializer):
    """A Pix that paid the charge (BACEN's Pix schema)."""

    endToEndId = serializers.CharField()
    txid = serializers.CharField()
    valor = serializers.CharField()
    componentesValor = serializers.DictField(required=False)
    chave = serializers.CharField(required=False)
    horario = serializers.CharField()
    infoPagador = serializers.CharField(required=False)
    devolucoes = CobDevolucaoSerializer(many=True)


class CobCalendarioOutSerializer(serializers.Serializer):
    criacao = serializers.CharField(help_text="RFC 3339")
    expiracao = serializers.IntegerField()


class CobVCalendarioOutSerializer(serializers.Serializer):
    criacao = serializers.CharField(help_text="RFC 3339")
    dataDeVencimento = serializers.DateField()
    validadeAposVencimento = serializers.IntegerField()


class CobValorOutSerializer(serializers.Serializer):
    original = serializers.CharField()
    modalidadeAlteracao = serializers.IntegerField()


class CobVTermOutSerializer(serializers.Serializer):
    modalidade = serializers.IntegerField()
    valorPerc = serializers.CharField()


class CobVDescontoDataFixaOutSerializer(serializers.Serializer):
    data = serializers.DateField()
    valorPerc = serializers.CharField()


class CobVDescontoOutSerializer(serializers.Serializer):
    modalidade = serializers.IntegerField()
    descontoDataFixa = CobVDescontoDataFixaOutSerializer(many=True, required=False)
    valorPerc = serializers.CharField(required=False)


class CobVValorOutSerializer(serializers.Serializer):
    original = serializers.CharField()
    multa = CobVTermOutSerializer(required=False)
    juros = CobVTermOutSerializer(required=False)
    abatimento = CobVTermOutSerializer(required=False)
    desconto = CobVDescontoOutSerializer(required=False)


class CobDevedorOutSerializer(serializers.Serializer):
    nome = serializers.CharField()
    cpf = serializers.CharField(required=False)
    cnpj = serializers.CharField(required=False)
    email = serializers.CharField(required=False)
    logradouro = serializers.CharField(required=False)
    cidade = serializers.CharField(required=False)
    uf = serializers.CharField(required=False)
    cep = serializers.CharField(required=False)


class CobRecebedorOutSerializer(serializers.Serializer):
    nome = serializers.CharField()
    cpf = serializers.CharField(required=False)
    cnpj = serializers.CharField(required=False)
    # From the receiver's approved identity verification (BACEN's DadosRecebedor).
    logradouro = serializers.CharField(required=False)
    cidade = serializers.CharField(required=False)
    uf = serializers.CharField(required=False)
    cep = serializers.CharField(required=False)


class CobInfoAdicionalOutSerializer(serializers.Serializer):
    nome = serializers.CharField()
    valor = serializers.CharField()


class _ChargeOut(serializers.Serializer):
    txid = serializers.CharField()
    revisao = serializers.IntegerField()
    loc = CobPayloadLocationSerializer(required=False)
    location = serializers.CharField(required=False)
    status = serializers.CharField(help_text=STATUS_HELP)
    devedor = CobDevedorOutSerializer(required=False)
    chave = serializers.CharField()
    solicitacaoPagador = serializers.CharField(required=False)
    infoAdicionais = CobInfoAdicionalOutSerializer(many=True, required=False)
    pixCopiaECola = serializers.CharField(required=False)


class CobCompletaSerializer(_ChargeOut):
    """CobGerada (PUT, POST, PATCH) and CobCompleta (GET: with `pix` once paid)."""

    calendario = CobCalendarioOutSerializer()
    status = serializers.ChoiceField(choices=STATUSES)
    valor = CobValorOutSerializer()
    pix = CobPixSerializer(many=True, required=False)


class CobVCompletaSerializer(_ChargeOut):
    """CobVGerada (PUT, PATCH) and CobVCompleta (GET: with `pix` once paid)."""

    calendario = CobVCalendarioOutSerializer()
    recebedor = CobRecebedorOutSerializer()
    valor = CobVValorOutSerializer()
    pix = CobPixSerializer(many=True, required=False)


class CobsConsultadasSerializer(serializers.Serializer):
    parametros = CobParametrosConsultaSerializer()
    cobs = CobCompletaSerializer(many=True)


class CobsVConsultadasSerializer(serializers.Serializer):
    parametros = CobParametrosConsultaSerializer()
    cobs = CobVCompletaSerializer(many=True)


class PayloadLocationConsultadasSerializer(serializers.Serializer):
    parametros = LocParametrosConsultaSerializer()
    loc = CobPayloadLocationSerializer(many=True)


# --- Representations ---------------------------------------------------------------------


def location_representation(location: PixLocation, *, with_txid: bool = True) -> dict:
    body: dict[str, Any] = {
        "id": location.pk,
        "location": charge_payloads.location_url(location),
        "tipoCob": location.charge_type,
        "criacao": rfc3339(location.created_at),
    }
    if with_txid:
        charge = linked_charge(location)
        if charge is not None:
            body["txid"] = charge.txid
    return body


def _pix_representation(charge: PixCharge, transfer: PixTransfer) -> dict:
    """A paying Pix as a charge lists it: the received Pix's own document plus the
    components of the amount (a cobv's fine, interest and discounts on its payment day)."""
    body = pix_document(transfer)
    body.setdefault("devolucoes", [])
    if charge.kind == PixCharge.Kind.COBV:
        due = charge_payloads.cobv_amount_due(
            charge, charge_payloads.brasilia_date(transfer.created_at)
        )
        components = {"original": {"valor": cents_to_str(due.original)}}
        for name in ("multa", "juros", "abatimento", "desconto"):
            if getattr(due, name):
                components[name] = {"valor": cents_to_str(getattr(due, name))}
        body["componentesValor"] = components
    else:
        body["componentesValor"] = {"original": {"valor": cents_to_str(transfer.amount)}}
    return body


def charge_representation(charge: PixCharge, *, with_pix: bool = False) -> dict:
    """CobGerada / CobVGerada (with_pix: CobCompleta / CobVCompleta) as a dict."""
    calendar: dict[str, Any] = {"criacao": rfc3339(charge.created_at)}
    body: dict[str, Any] = {"calendario": calendar, "txid": charge.txid, "revisao": charge.revision}
    historical = getattr(charge, "_historical", False)
    if charge.location_id is not None:
        location = charge.location
        body["loc"] = location_representation(location, with_txid=False)
        # BACEN's CobVGerada (and lists of cob) require loc.txid: the charge's own.
        body["loc"]["txid"] = charge.txid
        body["location"] = body["loc"]["location"]
    body["status"] = charge.status
    debtor = charge_payloads.debtor_of(charge)
    if debtor:
        body["devedor"] = debtor
    if charge.kind == PixCharge.Kind.COB:
        calendar["expiracao"] = charge.expires_in_seconds
        body["valor"] = {
            "original": cents_to_str(charge.amount),
            "modalidadeAlteracao": int(charge.amount_editable),
        }
    else:
        calendar["dataDeVencimento"] = charge.due_date
        calendar["validadeAposVencimento"] = charge.valid_days_after_due
        body["recebedor"] = charge_payloads.recipient_of(charge.customer)
        body["valor"] = {"original": cents_to_str(charge.amount), **(charge.value_terms or {})}
    body["chave"] = charge.key
    if charge.payer_request:
        body["solicitacaoPagador"] = charge.payer_request
    if charge.additional_info:
        body["infoAdicionais"] = charge.additional_info
    if charge.location_id is not None:
        body["pixCopiaECola"] = charge_payloads.charge_brcode(charge)
    if with_pix and not historical:
        payments = list(charge.payments.all())
        if payments or charge.status == PixCharge.Status.CONCLUIDA:
            body["pix"] = [_pix_representation(charge, transfer) for transfer in payments]
    return body


def query_parameters(values: dict, page: Page, *, names: tuple[str, ...]) -> dict:
    """`parametros` of a list answer: what was asked, and the pagination found."""
    body: dict[str, Any] = {
        "inicio": rfc3339(values["inicio"]),
        "fim": rfc3339(values["fim"]),
    }
    for name in names:
        if values.get(name) is not None:
            body[name] = values[name]
    body["paginacao"] = page.as_paginacao()
    return body
