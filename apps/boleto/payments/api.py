"""REST API of boleto payments: quote, pay (Idempotency-Key), list, show, cancel a schedule."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.boleto import selectors
from apps.boleto.payments import services
from apps.core.api_fields import AmountField
from apps.core.idempotency import idempotent

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per intended payment; a replay returns the first response.",
)


class QuoteInput(serializers.Serializer):
    code = serializers.CharField(max_length=80, trim_whitespace=True)


class QuoteOutput(serializers.Serializer):
    kind = serializers.CharField()
    barcode = serializers.CharField()
    bank_code = serializers.CharField(source="decoded.bank_code", allow_null=True)
    beneficiary_name = serializers.CharField()
    beneficiary_tax_id = serializers.CharField(source="masked_beneficiary_tax_id")
    due_date = serializers.DateField(allow_null=True)
    face_amount = AmountField(allow_null=True)
    amount = AmountField(allow_zero=True)
    discount = AmountField(source="breakdown.discount", allow_zero=True, default=0)
    fine = AmountField(source="breakdown.fine", allow_zero=True, default=0)
    interest = AmountField(source="breakdown.interest", allow_zero=True, default=0)
    last_payable_date = serializers.DateField(allow_null=True)


class PaymentOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    account = serializers.IntegerField(source="account_id")
    kind = serializers.CharField()
    barcode = serializers.CharField()
    bank_code = serializers.CharField()
    beneficiary_name = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    amount = AmountField()
    state = serializers.CharField()
    scheduled_for = serializers.DateField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class PayInput(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    code = serializers.CharField(max_length=80, trim_whitespace=True)
    amount = AmountField(required=False)
    scheduled_for = serializers.DateField(required=False)


class BoletoQuoteApi(APIView):
    @extend_schema(
        request=QuoteInput,
        responses={200: QuoteOutput},
        summary="What paying a boleto today would take (CIP's beneficiary and amount)",
    )
    def post(self, request):
        selectors.customer_for(user=request.user)
        data = QuoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        quote = services.boleto_quote(code=data.validated_data["code"])
        return Response(QuoteOutput(quote).data)


class BoletoPaymentListApi(APIView):
    @extend_schema(
        responses={200: PaymentOutput(many=True)}, summary="The caller's boleto payments"
    )
    def get(self, request):
        customer = selectors.customer_for(user=request.user)
        payments = selectors.payments_of(customer=customer)[:200]
        return Response(PaymentOutput(payments, many=True).data)

    @extend_schema(
        request=PayInput,
        responses={201: PaymentOutput},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Pay (or schedule) a boleto or a collection code",
    )
    @idempotent
    def post(self, request):
        customer = selectors.customer_for(user=request.user)
        data = PayInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        payment = services.boleto_pay(
            customer=customer,
            account_id=values["account"],
            code=values["code"],
            amount_cents=values.get("amount"),
            scheduled_for=values.get("scheduled_for"),
            actor=request.user,
        )
        return Response(PaymentOutput(payment).data, status=status.HTTP_201_CREATED)


class BoletoPaymentDetailApi(APIView):
    @extend_schema(responses={200: PaymentOutput}, summary="One boleto payment")
    def get(self, request, payment_id):
        customer = selectors.customer_for(user=request.user)
        payment = selectors.payment_of(customer=customer, public_id=payment_id)
        return Response(PaymentOutput(payment).data)


class BoletoPaymentCancelApi(APIView):
    @extend_schema(
        request=None, responses={200: PaymentOutput}, summary="Cancel a scheduled payment"
    )
    def post(self, request, payment_id):
        customer = selectors.customer_for(user=request.user)
        payment = selectors.payment_of(customer=customer, public_id=payment_id)
        payment = services.boleto_payment_cancel(
            customer=customer, payment_id=payment.pk, actor=request.user
        )
        return Response(PaymentOutput(payment).data)
