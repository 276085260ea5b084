"""REST API of payment accounts and book transfers (thin: parse, call, render)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api_fields import AmountField, SignedAmountField
from apps.core.errors import ValidationFailed
from apps.core.idempotency import idempotent

from . import selectors, services


class AccountOutput(serializers.Serializer):
    id = serializers.IntegerField()
    branch = serializers.CharField()
    number = serializers.CharField()
    name = serializers.CharField()
    state = serializers.CharField()
    balance = SignedAmountField(source="total_balance")
    available_balance = SignedAmountField()


class AccountListApi(APIView):
    @extend_schema(responses=AccountOutput(many=True), summary="The caller's payment accounts")
    def get(self, request):
        accounts = selectors.accounts_of_user(user=request.user)
        return Response(AccountOutput(accounts, many=True).data)


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per intended operation; a replay returns the first response.",
)


class TransferCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        source_account = serializers.IntegerField(min_value=1)
        destination_account = serializers.IntegerField(min_value=1)
        amount = AmountField()
        description = serializers.CharField(max_length=140, required=False, allow_blank=True)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        source_account = serializers.IntegerField()
        destination_account = serializers.IntegerField()
        amount = AmountField()
        description = serializers.CharField()
        status = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Book transfer between two Athena accounts",
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        source = selectors.account_of_user(user=request.user, account_id=values["source_account"])
        if not selectors.account_exists_for_credit(account_id=values["destination_account"]):
            raise ValidationFailed(
                _("Destination account not found."),
                field="destination_account",
                value=values["destination_account"],
            )
        entry_id = services.transfer_send(
            source_id=source.pk,
            destination_id=values["destination_account"],
            amount_cents=values["amount"],
            description=values.get("description", ""),
            created_by_id=request.user.pk,
        )
        body = {
            "id": entry_id,
            "source_account": source.pk,
            "destination_account": values["destination_account"],
            "amount": values["amount"],
            "description": values.get("description", ""),
            "status": "completed",
            "created_at": timezone.now(),
        }
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)
