"""REST API of TED and of the participant directory.

* `GET /api/v1/banks?search=` and `GET /api/v1/banks/{code}` (a 3-digit COMPE code or an
  8-digit ISPB): the directory, public data open to anonymous callers (throttled per
  address like every endpoint), answering {"compe", "ispb", "name", ...}.
* `POST /api/v1/wires` (Idempotency-Key): send or schedule a TED; 201 with `id`, `status`
  and `scheduled_for` (null when it went at once). `POST /api/v1/wires/quote` says when it
  would go and what it costs, moving nothing. `GET /api/v1/wires`, `GET
  /api/v1/wires/{id}`, `POST /api/v1/wires/{id}/cancel` (a scheduled one).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api_fields import AmountField
from apps.core.documents import mask_tax_id
from apps.core.idempotency import idempotent
from apps.wire import selectors, services
from apps.wire.errors import BankNotFound
from apps.wire.ledger_lines import reason_text
from apps.wire.models import AccountType

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per intended TED; a replay returns the first response.",
)


class BankOutput(serializers.Serializer):
    compe = serializers.CharField()
    ispb = serializers.CharField()
    name = serializers.CharField()
    long_name = serializers.CharField()
    in_str = serializers.BooleanField()
    in_pix = serializers.BooleanField()


class BankListApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True, max_length=60)
        limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)

    @extend_schema(
        parameters=[InputSerializer],
        responses={200: BankOutput(many=True)},
        summary="Search the participant directory (COMPE code, ISPB or name)",
        auth=[],
    )
    def get(self, request):
        data = self.InputSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        banks = selectors.banks_search(
            data.validated_data.get("search", ""), limit=data.validated_data["limit"]
        )
        return Response(BankOutput(banks, many=True).data)


class BankDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "code",
                str,
                OpenApiParameter.PATH,
                pattern=r"^([0-9]{3}|[0-9A-Z]{8})$",
                description="A 3-digit COMPE code (260) or an 8-character ISPB (18236120).",
            )
        ],
        responses={200: BankOutput},
        summary="One participant, by its 3-digit COMPE code or its 8-digit ISPB",
        auth=[],
    )
    def get(self, request, code: str):
        bank = selectors.bank_by_code(code)
        if bank is None:
            raise BankNotFound(_("No participant has this COMPE code or ISPB."), field="code")
        return Response(BankOutput(bank).data)


class WireInput(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    bank = serializers.CharField(max_length=8, help_text="COMPE code (3 digits) or ISPB (8)")
    branch = serializers.CharField(max_length=6)
    account_number = serializers.CharField(max_length=20)
    account_type = serializers.ChoiceField(choices=AccountType.choices, default="CC")
    holder_name = serializers.CharField(max_length=80)
    holder_tax_id = serializers.CharField(max_length=20)
    amount = AmountField()
    note = serializers.CharField(max_length=140, required=False, allow_blank=True, default="")
    scheduled_for = serializers.DateField(required=False, allow_null=True, default=None)

    def order(self) -> dict:
        values = self.validated_data
        return {
            "account_id": values["account"],
            "bank": values["bank"],
            "branch": values["branch"],
            "account_number": values["account_number"],
            "account_type": values["account_type"],
            "holder_name": values["holder_name"],
            "holder_tax_id": values["holder_tax_id"],
            "amount_cents": values["amount"],
            "note": values["note"],
            "scheduled_for": values["scheduled_for"],
        }


class WireQuoteOutput(serializers.Serializer):
    bank_compe = serializers.CharField(source="bank.compe")
    bank_ispb = serializers.CharField(source="bank.ispb")
    bank_name = serializers.CharField(source="bank.name")
    branch = serializers.CharField()
    account_number = serializers.CharField()
    holder_name = serializers.CharField()
    holder_tax_id = serializers.SerializerMethodField()
    amount = AmountField()
    fee = AmountField(allow_zero=True)
    total = AmountField()
    scheduled = serializers.BooleanField()
    goes_at = serializers.DateTimeField()

    def get_holder_tax_id(self, quote) -> str:
        return mask_tax_id(quote.holder_tax_id)


class WireOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField(source="state")
    scheduled_for = serializers.DateTimeField(allow_null=True)
    account = serializers.IntegerField(source="account_id")
    amount = AmountField()
    fee = AmountField(allow_zero=True)
    bank_compe = serializers.CharField()
    bank_ispb = serializers.CharField()
    bank_name = serializers.CharField()
    branch = serializers.CharField()
    account_number = serializers.CharField()
    account_type = serializers.CharField()
    holder_name = serializers.CharField()
    holder_tax_id = serializers.SerializerMethodField()
    control_number = serializers.CharField()
    str_control_number = serializers.CharField()
    return_code = serializers.CharField()
    return_reason = serializers.SerializerMethodField()
    rejection_code = serializers.CharField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    settled_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)

    def get_holder_tax_id(self, wire) -> str:
        return mask_tax_id(wire.holder_tax_id)

    def get_return_reason(self, wire) -> str:
        return reason_text(wire.return_code) if wire.return_code else ""


class WireQuoteApi(APIView):
    @extend_schema(
        request=WireInput,
        responses={200: WireQuoteOutput},
        summary="When a TED would go and what it costs (moves no money)",
    )
    def post(self, request):
        customer = selectors.customer_for(user=request.user)
        data = WireInput(data=request.data)
        data.is_valid(raise_exception=True)
        quote = services.wire_quote(customer=customer, **data.order())
        return Response(WireQuoteOutput(quote).data)


class WireListApi(APIView):
    @extend_schema(responses={200: WireOutput(many=True)}, summary="The caller's TEDs")
    def get(self, request):
        customer = selectors.customer_for(user=request.user)
        return Response(WireOutput(selectors.wires_of(customer=customer)[:200], many=True).data)

    @extend_schema(
        request=WireInput,
        responses={201: WireOutput},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Send a TED (or schedule it when outside the window or for a chosen day)",
    )
    @idempotent
    def post(self, request):
        customer = selectors.customer_for(user=request.user)
        data = WireInput(data=request.data)
        data.is_valid(raise_exception=True)
        wire = services.wire_send(customer=customer, actor=request.user, **data.order())
        return Response(WireOutput(wire).data, status=status.HTTP_201_CREATED)


class WireDetailApi(APIView):
    @extend_schema(responses={200: WireOutput}, summary="One TED")
    def get(self, request, wire_id):
        customer = selectors.customer_for(user=request.user)
        return Response(WireOutput(selectors.wire_of(customer=customer, public_id=wire_id)).data)


class WireCancelApi(APIView):
    @extend_schema(request=None, responses={200: WireOutput}, summary="Cancel a scheduled TED")
    def post(self, request, wire_id):
        customer = selectors.customer_for(user=request.user)
        wire = selectors.wire_of(customer=customer, public_id=wire_id)
        wire = services.wire_cancel(customer=customer, wire_id=wire.pk, actor=request.user)
        return Response(WireOutput(wire).data)
