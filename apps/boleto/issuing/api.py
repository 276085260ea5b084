"""REST API of issued boletos: issue (Idempotency-Key), list, show, cancel, PDF, webhook."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.boleto import selectors
from apps.boleto.codecs.codes import format_linha
from apps.boleto.issuing import pdf, services
from apps.boleto.payments.api import IDEMPOTENCY_PARAMETER
from apps.core.api_fields import AmountField
from apps.core.idempotency import idempotent


class PercentField(serializers.DecimalField):
    """A percentage as "2.00"; hundredths (200) inside."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=5, decimal_places=2, min_value=0, **kwargs)

    def to_internal_value(self, data) -> int:
        return int(super().to_internal_value(data) * 100)

    def to_representation(self, value) -> str:
        return f"{value // 100}.{value % 100:02d}"


class AddressInput(serializers.Serializer):
    street = serializers.CharField(max_length=40, required=False, allow_blank=True)
    district = serializers.CharField(max_length=15, required=False, allow_blank=True)
    city = serializers.CharField(max_length=15, required=False, allow_blank=True)
    state = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_blank=True)
    zip = serializers.RegexField(r"^\d{8}$", required=False, allow_blank=True)


class IssueInput(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    amount = AmountField()
    due_date = serializers.DateField()
    payer_name = serializers.CharField(max_length=140)
    payer_tax_id = serializers.CharField(max_length=18)
    payer_address = AddressInput(required=False)
    fine_percent = PercentField(required=False, default=0)
    interest_monthly_percent = PercentField(required=False, default=0)
    discount = AmountField(required=False, default=0, allow_zero=True)
    discount_until = serializers.DateField(required=False, allow_null=True)
    valid_days_after_due = serializers.IntegerField(min_value=0, max_value=3650, default=30)
    seu_numero = serializers.CharField(max_length=15, required=False, allow_blank=True, default="")
    description = serializers.CharField(
        max_length=140, required=False, allow_blank=True, default=""
    )
    hybrid = serializers.BooleanField(required=False, default=True)


class BoletoOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    account = serializers.IntegerField(source="account_id")
    nosso_numero = serializers.CharField()
    seu_numero = serializers.CharField()
    barcode = serializers.CharField()
    linha = serializers.CharField()
    linha_formatted = serializers.SerializerMethodField()
    amount = AmountField()
    issue_date = serializers.DateField()
    due_date = serializers.DateField()
    valid_days_after_due = serializers.IntegerField()
    payer_name = serializers.CharField()
    state = serializers.CharField()
    hybrid = serializers.SerializerMethodField()
    pix_txid = serializers.CharField()
    paid_via = serializers.CharField()
    paid_amount = AmountField(allow_null=True)
    fee_amount = AmountField(allow_zero=True)
    paid_on = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_linha_formatted(self, boleto) -> str:
        return format_linha(boleto.linha)

    def get_hybrid(self, boleto) -> bool:
        return boleto.pix_charge_id is not None


class BoletoListApi(APIView):
    @extend_schema(responses={200: BoletoOutput(many=True)}, summary="Boletos the caller issued")
    def get(self, request):
        customer = selectors.customer_for(user=request.user)
        state = request.query_params.get("state") or None
        rows = selectors.boletos_of(customer=customer, state=state)[:200]
        return Response(BoletoOutput(rows, many=True).data)

    @extend_schema(
        request=IssueInput,
        responses={201: BoletoOutput},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Issue a boleto (registered at CIP; with a Pix QR when the account has a key)",
    )
    @idempotent
    def post(self, request):
        customer = selectors.customer_for(user=request.user)
        data = IssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        boleto = services.boleto_issue(
            customer=customer,
            account_id=v["account"],
            request=services.BoletoRequest(
                amount_cents=v["amount"],
                due_date=v["due_date"],
                payer_name=v["payer_name"],
                payer_tax_id=v["payer_tax_id"],
                payer_address=dict(v.get("payer_address") or {}),
                fine_percent=v["fine_percent"],
                interest_monthly_percent=v["interest_monthly_percent"],
                discount_cents=v["discount"],
                discount_until=v.get("discount_until"),
                valid_days_after_due=v["valid_days_after_due"],
                seu_numero=v["seu_numero"],
                description=v["description"],
                hybrid=v["hybrid"],
            ),
            actor=request.user,
        )
        return Response(BoletoOutput(boleto).data, status=status.HTTP_201_CREATED)


class BoletoDetailApi(APIView):
    @extend_schema(responses={200: BoletoOutput}, summary="One issued boleto")
    def get(self, request, boleto_id):
        customer = selectors.customer_for(user=request.user)
        return Response(
            BoletoOutput(selectors.boleto_of(customer=customer, public_id=boleto_id)).data
        )


class BoletoCancelApi(APIView):
    @extend_schema(request=None, responses={200: BoletoOutput}, summary="Cancel an issued boleto")
    def post(self, request, boleto_id):
        customer = selectors.customer_for(user=request.user)
        boleto = selectors.boleto_of(customer=customer, public_id=boleto_id)
        boleto = services.boleto_cancel(customer=customer, boleto_id=boleto.pk, actor=request.user)
        return Response(BoletoOutput(boleto).data)


class BoletoPdfApi(APIView):
    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY}, summary="The boleto as a PDF"
    )
    def get(self, request, boleto_id):
        customer = selectors.customer_for(user=request.user)
        boleto = selectors.boleto_of(customer=customer, public_id=boleto_id)
        response = HttpResponse(pdf.boleto_pdf(boleto), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="boleto-{boleto.nosso_numero}.pdf"'
        return response


class WebhookInput(serializers.Serializer):
    url = serializers.CharField(max_length=500, allow_blank=True)


class BoletoWebhookApi(APIView):
    @extend_schema(
        request=WebhookInput,
        responses={200: WebhookInput},
        summary="Where to POST the caller's paid boletos (empty: no webhook)",
    )
    def put(self, request):
        customer = selectors.customer_for(user=request.user)
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        issuer = services.issuer_webhook_set(customer=customer, url=data.validated_data["url"])
        return Response({"url": issuer.webhook_url})
