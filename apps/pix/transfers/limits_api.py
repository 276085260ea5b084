"""REST API of the Pix night limit (thin: parse, call the service or query, render).

    GET  /api/v1/pix/limits?account=     the night limit in force, and a raise waiting
    PUT  /api/v1/pix/limits?account=     {night_limit, night_starts_at_hour}

`account` (or `account_id`) may be left out by a user with a single account. A reduction
applies at once; a raise 24 h later (apps/pix/transfers/limits.py).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Account, Customer
from apps.accounts.selectors import KYC_LIMITS
from apps.core.api_fields import AmountField
from apps.core.errors import NotFound, ValidationFailed
from apps.pix.api_schema import NO_STORE, PROBLEM
from apps.pix.transfers.limits import (
    NIGHT_ENDS,
    NIGHT_START_HOURS,
    night_limit_change,
    night_limit_of,
)

ACCOUNT_PARAMETER = OpenApiParameter(
    "account",
    int,
    required=False,
    description="The account (also accepted as account_id); optional with a single account.",
)


def _account(request) -> Account:
    raw = request.query_params.get("account") or request.query_params.get("account_id")
    if raw is None:
        accounts = list(account_selectors.accounts_of_user(user=request.user)[:2])
        if not accounts:
            raise NotFound(_("Account not found."))
        if len(accounts) > 1:
            raise ValidationFailed(_("Say which account: ?account=<id>."), field="account")
        return accounts[0]
    try:
        account_id = int(raw)
    except ValueError:
        raise NotFound(_("Account not found.")) from None
    return account_selectors.account_of_user(user=request.user, account_id=account_id)


class NightLimitOutput(serializers.Serializer):
    account = serializers.IntegerField()
    applies = serializers.BooleanField(help_text="False for companies: no night rule.")
    night_limit = AmountField(allow_zero=True)
    night_starts_at_hour = serializers.IntegerField()
    night_ends_at_hour = serializers.IntegerField()
    pending_night_limit = AmountField(allow_null=True, allow_zero=True)
    pending_effective_at = serializers.DateTimeField(allow_null=True)
    daily_limit = AmountField(help_text="The KYC daily Pix limit: the highest night limit.")
    message = serializers.CharField()


def _render(account: Account) -> Response:
    limit = night_limit_of(account)
    customer = account.customer
    body = {
        "account": account.pk,
        "applies": customer.kind == Customer.Kind.PERSON,
        "night_limit": limit.limit_cents,
        "night_starts_at_hour": limit.starts_at_hour,
        "night_ends_at_hour": NIGHT_ENDS.hour,
        "pending_night_limit": limit.pending_limit_cents,
        "pending_effective_at": limit.pending_effective_at,
        "daily_limit": KYC_LIMITS[customer.kyc_level].daily,
        "message": limit.describe(),
    }
    return Response(NightLimitOutput(body).data, headers=NO_STORE)


class NightLimitApi(APIView):
    class InputSerializer(serializers.Serializer):
        night_limit = AmountField(allow_zero=True, help_text="From 0.00 to the daily limit.")
        night_starts_at_hour = serializers.ChoiceField(
            choices=list(NIGHT_START_HOURS), help_text="20 or 22; the night ends at 06:00."
        )

    @extend_schema(
        parameters=[ACCOUNT_PARAMETER],
        responses={200: NightLimitOutput, 400: PROBLEM, 404: PROBLEM},
        summary="The Pix night limit of one of the caller's accounts",
    )
    def get(self, request):
        return _render(_account(request))

    @extend_schema(
        parameters=[ACCOUNT_PARAMETER],
        request=InputSerializer,
        responses={200: NightLimitOutput, 400: PROBLEM, 404: PROBLEM, 422: PROBLEM},
        summary="Change the Pix night limit",
        description=(
            "A lower limit applies at once and withdraws a raise still waiting; a higher one "
            "applies 24 hours later (BACEN: 24 to 48 hours), shown in `pending_night_limit` "
            "and `pending_effective_at`. Natural persons only."
        ),
    )
    def put(self, request):
        account = _account(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        night_limit_change(
            account=account,
            limit_cents=values["night_limit"],
            starts_at_hour=int(values["night_starts_at_hour"]),
            actor=request.user,
        )
        return _render(account)
