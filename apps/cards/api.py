"""The issuer's authorization as JSON, for partners (acquirers) who do not speak ISO 8583:
the same decision as the ISO server (apps.cards.services.authorize), the same response codes.

    POST /api/v1/cards/authorizations            an 0100 (or 0200: captured at once)
    POST /api/v1/cards/authorizations/reversals  an 0400 (or the advice 0420)

Answer 200 `{"response_code", "auth_code", "approved", "authorization_id"}` whatever the
decision (a decline is an answer, not an error); 400 problem+json naming the field for a
request we cannot read. Only integrators' client-credentials tokens with the scope
`cardauth.write` are taken (apps.core.api_clients), never a customer's session or a
staff token.

Replays are answered from the first decision (same card, MTI, `stan`, `rrn` and
`terminal_id`, as in ISO 8583), so a retried request places no second hold: that is the
idempotency of these endpoints. The PAN in the body is used to find the card by its keyed
hash and nothing else: it is never stored, logged or echoed (the stored request has
BIN + last four). The PIN travels in clear here, over mutual TLS, for the test
acquirers; production takes an ISO 9564 PIN block decrypted in an HSM (see
apps/cards/iso/codec.py).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.cards import services
from apps.cards.iso.codec import mask_pan
from apps.cards.models import Authorization
from apps.cards.services.authorize import (
    HOME_COUNTRY,
    ISSUER_UNAVAILABLE,
    AuthRequest,
    AuthResult,
)
from apps.core.api_fields import AmountField
from apps.core.errors import ValidationFailed
from apps.core.models import ApiAccessToken

logger = logging.getLogger(__name__)

TAG = "Cards - authorization (acquirers)"
NO_STORE = {"Cache-Control": "no-store"}
PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")
NOT_PRESENT_MODES = ("01", "10", "81")


class IsCardAuthClient(BasePermission):
    """An integrator's client-credentials token (its scope checked by its authentication)."""

    message = "Only acquirers' API clients (scope cardauth.write) authorize card payments."

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiAccessToken)


def _digits(size: str, name: str) -> dict:
    # The value is never echoed in the error (it may be a PAN or a CVV2).
    return {"invalid": f"{name} must be {size} digits."}


class _RequestFields(serializers.Serializer):
    pan = serializers.RegexField(
        r"^\d{12,19}$", error_messages=_digits("12 to 19", "The PAN"), write_only=True
    )
    amount = AmountField(help_text='Amount in reais, "123.45" (the amount to hold).')
    stan = serializers.RegexField(
        r"^\d{6}$", error_messages=_digits("6", "stan"), help_text="DE 11"
    )
    rrn = serializers.RegexField(
        r"^[0-9A-Za-z]{1,12}$",
        error_messages={"invalid": "rrn must be 1 to 12 letters or digits."},
        help_text="DE 37",
    )
    terminal_id = serializers.CharField(max_length=16, required=False, default="")
    merchant_id = serializers.CharField(max_length=15, required=False, default="")
    merchant_name = serializers.CharField(max_length=40, required=False, default="")


# The message types each endpoint takes (named apart in the schema: settings'
# ENUM_NAME_OVERRIDES).
AUTHORIZATION_MTIS = ["0100", "0200"]
REVERSAL_MTIS = ["0400", "0420"]


class AuthorizationInput(_RequestFields):
    mti = serializers.ChoiceField(
        choices=AUTHORIZATION_MTIS,
        default="0100",
        help_text="0100 holds the amount; 0200 (financial) captures it at once.",
    )
    expiry = serializers.RegexField(
        r"^\d{2}(0[1-9]|1[0-2])$",
        required=False,
        default="",
        error_messages={"invalid": "expiry must be YYMM."},
    )
    cvv2 = serializers.RegexField(
        r"^\d{3,4}$",
        required=False,
        default="",
        write_only=True,
        error_messages=_digits("3", "cvv2"),
    )
    pin = serializers.RegexField(
        r"^\d{4,12}$",
        required=False,
        default="",
        write_only=True,
        error_messages=_digits("4", "pin"),
    )
    mcc = serializers.RegexField(
        r"^\d{4}$", required=False, default="", error_messages=_digits("4", "mcc")
    )
    currency = serializers.ChoiceField(
        choices=["986"], default="986", help_text="ISO 4217 numeric: 986 (BRL) only."
    )
    country = serializers.RegexField(
        r"^(\d{3}|[A-Z]{2})$",
        required=False,
        default=HOME_COUNTRY,
        error_messages={"invalid": "country must be ISO 3166 numeric (076) or alpha-2 (BR)."},
        help_text="The merchant's country (076 or BR: Brazil).",
    )
    entry_mode = serializers.RegexField(
        r"^\d{3}$",
        required=False,
        default="",
        error_messages=_digits("3", "entry_mode"),
        help_text="DE 22: 01x/81x card not present, 05x chip, 07x contactless.",
    )
    card_present = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="Default: from entry_mode."
    )
    device_id = serializers.CharField(max_length=64, required=False, default="")


class ReversalInput(_RequestFields):
    mti = serializers.ChoiceField(
        choices=REVERSAL_MTIS, default="0400", help_text="0420: the reversal advice."
    )
    original_mti = serializers.ChoiceField(choices=AUTHORIZATION_MTIS, default="0100")
    original_stan = serializers.RegexField(
        r"^\d{6}$", error_messages=_digits("6", "original_stan"), help_text="DE 90"
    )


class AuthorizationOutput(serializers.Serializer):
    response_code = serializers.CharField(help_text="ISO 8583 DE 39: 00 approved, 51, 54, ...")
    auth_code = serializers.CharField(help_text="DE 38 when approved, empty otherwise.")
    approved = serializers.BooleanField()
    authorization_id = serializers.IntegerField(allow_null=True)


def _body(request) -> dict:
    data = request.data  # a body that is not JSON: ParseError, a 400 problem+json
    if not isinstance(data, dict):
        raise ValidationFailed(_("The body must be a JSON object."), field="body")
    return data


def _message(values: dict) -> dict:
    """What the stored Authorization keeps of the request: no PAN (BIN + last four), no
    CVV2, no PIN."""
    kept = {
        key: value
        for key, value in values.items()
        if key not in ("pan", "cvv2", "pin") and value not in ("", None)
    }
    kept["pan"] = mask_pan(values["pan"])
    for secret in ("cvv2", "pin"):
        if values.get(secret):
            kept[secret] = "***"
    return kept


def _answer(result: AuthResult) -> Response:
    body = {
        "response_code": result.response_code,
        "auth_code": result.auth_code if result.approved else "",
        "approved": result.approved,
        "authorization_id": result.authorization_id,
    }
    return Response(body, headers=NO_STORE)


def _decided(decide, request: AuthRequest) -> Response:
    try:
        return _answer(decide(request))
    except DatabaseError:
        logger.exception("card authorization (http) failed: database")
    except Exception:
        logger.exception("card authorization (http) failed")
    return _answer(AuthResult(ISSUER_UNAVAILABLE))


EXAMPLE = {
    "pan": "5067270000000000",
    "expiry": "2912",
    "amount": "123.45",
    "stan": "000123",
    "rrn": "512300000123",
    "terminal_id": "TERM0001",
    "merchant_id": "MERCHANT000001",
    "merchant_name": "PADARIA TRES IRMAOS",
    "mcc": "5411",
    "entry_mode": "051",
}


class AuthorizationApi(APIView):
    oauth_scopes = "cardauth"
    permission_classes = [IsCardAuthClient]

    @extend_schema(
        tags=[TAG],
        operation_id="cards_authorization_create",
        summary="Authorize a card payment (as ISO 8583 0100/0200)",
        request=AuthorizationInput,
        responses={200: AuthorizationOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        examples=[
            OpenApiExample("Chip purchase", value=EXAMPLE, request_only=True),
            OpenApiExample(
                "Approved",
                value={
                    "response_code": "00",
                    "auth_code": "482913",
                    "approved": True,
                    "authorization_id": 1,
                },
                response_only=True,
            ),
        ],
        description=(
            "The issuer's decision, as the ISO 8583 server takes it: 00 approved (the amount "
            "is held on the account), 05, 14 invalid card, 51 insufficient funds, 54 expired, "
            "55 wrong PIN, 57 not permitted (a control), 59 suspected fraud, 61 over a limit, "
            "62 restricted (blocked card), 75 PIN tries exceeded, 91 issuer unavailable, N7 "
            "wrong CVV2. A replay (same card, mti, stan, rrn, terminal_id) answers the first "
            "decision and holds nothing more."
        ),
    )
    def post(self, request):
        data = AuthorizationInput(data=_body(request))
        data.is_valid(raise_exception=True)
        values = data.validated_data
        entry_mode = values["entry_mode"]
        card_present = values["card_present"]
        if card_present is None:
            card_present = not entry_mode.startswith(NOT_PRESENT_MODES) if entry_mode else True
        auth = AuthRequest(
            mti=values["mti"],
            pan=values["pan"],
            amount_cents=values["amount"],
            stan=values["stan"],
            rrn=values["rrn"],
            terminal_id=values["terminal_id"],
            merchant_id=values["merchant_id"],
            merchant_name=values["merchant_name"],
            mcc=values["mcc"],
            expiry=values["expiry"],
            cvv2=values["cvv2"],
            pin=values["pin"],
            currency=values["currency"],
            country="076" if values["country"] == "BR" else values["country"],
            entry_mode=entry_mode,
            card_present=card_present,
            device_id=values["device_id"],
            channel=Authorization.Channel.HTTP,
            message=_message({**values, "amount": str(values["amount"])}),
        )
        return _decided(services.authorize, auth)


class ReversalApi(APIView):
    oauth_scopes = "cardauth"
    permission_classes = [IsCardAuthClient]

    @extend_schema(
        tags=[TAG],
        operation_id="cards_authorization_reverse",
        summary="Reverse an authorization (as ISO 8583 0400/0420)",
        request=ReversalInput,
        responses={200: AuthorizationOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        examples=[
            OpenApiExample(
                "Reversal",
                value={
                    **{k: EXAMPLE[k] for k in ("pan", "amount", "rrn", "terminal_id")},
                    "stan": "000124",
                    "original_stan": "000123",
                },
                request_only=True,
            )
        ],
        description=(
            "Releases the hold of the original (found by the card, original_mti and "
            "original_stan) once: a repeated reversal answers 00 again and releases nothing "
            "more; 25 when there is no such original."
        ),
    )
    def post(self, request):
        data = ReversalInput(data=_body(request))
        data.is_valid(raise_exception=True)
        values = data.validated_data
        auth = AuthRequest(
            mti=values["mti"],
            pan=values["pan"],
            amount_cents=values["amount"],
            stan=values["stan"],
            rrn=values["rrn"],
            terminal_id=values["terminal_id"],
            merchant_id=values["merchant_id"],
            merchant_name=values["merchant_name"],
            channel=Authorization.Channel.HTTP,
            original_mti=values["original_mti"],
            original_stan=values["original_stan"],
            message=_message({**values, "amount": str(values["amount"])}),
        )
        return _decided(services.authorization_reverse, auth)
