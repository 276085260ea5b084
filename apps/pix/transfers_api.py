"""REST API of Pix transfers (thin: parse, call the service or query, render).

    POST   /api/v1/pix/transfers                {account, key, amount, description?}
                                                (Idempotency-Key)
    GET    /api/v1/pix/transfers?account=       the caller's transfers, newest first (50)
    GET    /api/v1/pix/transfers/{e2e}          one of the caller's transfers

Errors are problem+json (apps.core.errors); someone else's account or transfer is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors as account_selectors
from apps.core.api_fields import AmountField
from apps.core.errors import NotFound
from apps.core.idempotency import idempotent

from . import participants
from .adapters.dict import LEGAL_PERSON, NATURAL_PERSON, mask_owner_name
from .api import IDEMPOTENCY_PARAMETER, NO_STORE, PROBLEM
from .models import PixTransfer
from .transfers import pix_send

LIST_LIMIT = 50


class PayeeSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked: a person's first name and initials.")
    ispb = serializers.CharField()
    bank = serializers.CharField()


class TransferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    end_to_end_id = serializers.CharField()
    state = serializers.CharField()
    amount = AmountField()
    payee = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    reject_reason = serializers.CharField(allow_null=True)

    @extend_schema_field(PayeeSerializer)
    def get_payee(self, obj: PixTransfer) -> dict:
        digits = "".join(ch for ch in obj.counterparty_tax_id or "" if ch.isdigit())
        owner_type = NATURAL_PERSON if len(digits) == 11 else LEGAL_PERSON
        return {
            "name": mask_owner_name(owner_type, obj.counterparty_name),
            "ispb": obj.counterparty_ispb,
            "bank": participants.name_of(obj.counterparty_ispb),
        }

    def to_representation(self, instance: PixTransfer) -> dict:
        data = super().to_representation(instance)
        data["reject_reason"] = instance.reject_reason or None
        return data


def _int_or_404(raw: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise NotFound("Account not found.") from None


def _transfers_of_user(user):
    accounts = account_selectors.accounts_of_user(user=user)
    return PixTransfer.objects.filter(
        account__in=accounts.values("pk"), direction=PixTransfer.Direction.OUT
    )


class TransferListApi(APIView):
    class InputSerializer(serializers.Serializer):
        account = serializers.IntegerField(min_value=1)
        key = serializers.CharField(max_length=200)
        amount = AmountField()
        description = serializers.CharField(max_length=140, required=False, allow_blank=True)

    @extend_schema(
        parameters=[
            OpenApiParameter("account", int, required=True, description="The account's Pix")
        ],
        responses={200: TransferOutput(many=True), 404: PROBLEM},
        summary="The caller's Pix transfers, newest first",
    )
    def get(self, request):
        account = account_selectors.account_of_user(
            user=request.user, account_id=_int_or_404(request.query_params.get("account"))
        )
        transfers = PixTransfer.objects.filter(
            account=account, direction=PixTransfer.Direction.OUT
        ).order_by("-created_at", "-pk")[:LIST_LIMIT]
        return Response(TransferOutput(transfers, many=True).data, headers=NO_STORE)

    @extend_schema(
        request=InputSerializer,
        responses={201: TransferOutput, 400: PROBLEM, 404: PROBLEM, 422: PROBLEM, 503: PROBLEM},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Send a Pix to a key",
        description=(
            "The key is looked up in the DICT. A Pix to another institution is `sent` to the "
            "SPI and normally answered at once (`settled` or `rejected`, the money given "
            "back); without an answer it stays `sent` and is retried. Limits and "
            "insufficient funds answer 422."
        ),
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = account_selectors.account_of_user(user=request.user, account_id=values["account"])
        transfer = pix_send(
            account=account,
            key=values["key"],
            amount_cents=values["amount"],
            description=values.get("description", ""),
            actor=request.user,
        )
        return Response(TransferOutput(transfer).data, status=status.HTTP_201_CREATED)


class TransferDetailApi(APIView):
    @extend_schema(
        responses={200: TransferOutput, 404: PROBLEM}, summary="One of the caller's Pix transfers"
    )
    def get(self, request, end_to_end_id: str):
        transfer = _transfers_of_user(request.user).filter(end_to_end_id=end_to_end_id).first()
        if transfer is None:
            raise NotFound("Pix transfer not found.")
        return Response(TransferOutput(transfer).data, headers=NO_STORE)
