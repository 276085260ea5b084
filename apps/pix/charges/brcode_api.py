"""REST API of Pix BR Codes ("Pix copia e cola" and its QR code).

    POST /api/v1/pix/brcode/decode   {brcode}                          what a code says
    POST /api/v1/pix/brcode          {key, amount?, description?, txid?} a static code for
                                     one of the caller's active keys, with its QR (PNG)

A code that breaks a rule is a 422 problem+json whose code is `brcode_<rule>` (see
apps.pix.codecs.brcode.RULES); a key that is not the caller's active key is a 404.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import Customer
from apps.core.api_fields import AmountField
from apps.core.errors import DomainError, NotFound
from apps.core.money import cents_to_str
from apps.pix.api_schema import NO_STORE, PROBLEM
from apps.pix.codecs.brcode import MAX_CODE_LENGTH, TXID_MAX, BRCodeError, decode, encode_static
from apps.pix.codecs.keys import parse_any_key
from apps.pix.codecs.qr import qr_png_base64
from apps.pix.models import PixKey

DEFAULT_MERCHANT_CITY = "SAO PAULO"

# Fields of the create request that a codec rule points at (the rest is the code itself).
_RULE_FIELDS = {"amount": "amount", "description": "description", "txid": "txid", "key": "key"}


def brcode_problem(error: BRCodeError, *, field: str = "brcode") -> DomainError:
    """The codec's error as a 422 problem: code `brcode_<rule>`, detail its message."""
    return DomainError(
        error.message,
        code=f"brcode_{error.rule}",
        field=field,
        status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
    )


def active_key_of_user(*, user, key: str) -> PixKey:
    """The caller's ACTIVE key with this value (as typed, or in DICT's canonical form), or
    404: a key of someone else, or not active, does not exist for them."""
    values = {key}
    with contextlib.suppress(DomainError, ValueError):
        values.add(parse_any_key(key)[1])
    pix_key = (
        PixKey.objects.filter(customer__user=user, state=PixKey.State.ACTIVE, key__in=values)
        .select_related("customer")
        .order_by("pk")
        .first()
    )
    if pix_key is None:
        raise NotFound(_("Pix key not found."))
    return pix_key


class DecodeOutput(serializers.Serializer):
    type = serializers.ChoiceField(choices=["static", "dynamic"])
    key = serializers.CharField(allow_null=True)
    url = serializers.CharField(allow_null=True, help_text="Dynamic codes: the charge location.")
    amount = AmountField(allow_null=True, allow_zero=True)
    merchant_name = serializers.CharField()
    merchant_city = serializers.CharField()
    txid = serializers.CharField(allow_null=True, help_text="null when the code says ***.")
    description = serializers.CharField(allow_null=True)


class BRCodeDecodeApi(APIView):
    class InputSerializer(serializers.Serializer):
        brcode = serializers.CharField(
            allow_blank=True,
            trim_whitespace=False,
            help_text=f"The Pix copia e cola text (at most {MAX_CODE_LENGTH} characters).",
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: DecodeOutput, 400: PROBLEM, 422: PROBLEM},
        summary="Read a Pix BR Code before paying it",
        description=(
            "Checks the CRC and every declared length; a code that breaks a rule answers 422 "
            "with code `brcode_<rule>` (e.g. `brcode_crc`, `brcode_length`). Merchant names "
            "over 25 and cities over 15 characters are accepted, as some banks write them."
        ),
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            code = decode(data.validated_data["brcode"], strict_limits=False)
        except BRCodeError as error:
            raise brcode_problem(error) from None
        body = {
            "type": code.type,
            "key": code.key,
            "url": code.url,
            "amount": None if code.amount_cents is None else cents_to_str(code.amount_cents),
            "merchant_name": code.merchant_name,
            "merchant_city": code.merchant_city,
            "txid": code.txid,
            "description": code.description,
        }
        return Response(body, headers=NO_STORE)


class BRCodeOutput(serializers.Serializer):
    brcode = serializers.CharField(help_text="Pix copia e cola.")
    qr_png_base64 = serializers.CharField(help_text="The QR code as a base64 PNG.")


class BRCodeCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        key = serializers.CharField(max_length=200, help_text="One of the caller's active keys.")
        amount = AmountField(required=False, help_text="Omit to let the payer choose.")
        description = serializers.CharField(required=False, allow_blank=True, max_length=99)
        txid = serializers.RegexField(
            rf"^[A-Za-z0-9]{{1,{TXID_MAX}}}$",
            required=False,
            help_text=f"1 to {TXID_MAX} letters and digits; omitted means ***.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: BRCodeOutput, 400: PROBLEM, 404: PROBLEM, 422: PROBLEM},
        summary="Create a static Pix BR Code for one of the caller's keys",
        description=(
            "The merchant name is the customer's name and the city the institution's "
            "(plain ASCII, cut at 25 and 15 characters). A description that does not fit "
            "next to the key answers 422 `brcode_description`."
        ),
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pix_key = active_key_of_user(user=request.user, key=values["key"])
        customer: Customer = pix_key.customer
        try:
            brcode = encode_static(
                key=pix_key.key,
                merchant_name=customer.full_name,
                merchant_city=getattr(settings, "PIX_MERCHANT_CITY", DEFAULT_MERCHANT_CITY),
                amount_cents=values.get("amount"),
                txid=values.get("txid"),
                description=values.get("description") or None,
            )
            image = qr_png_base64(brcode)
        except BRCodeError as error:
            raise brcode_problem(error, field=_RULE_FIELDS.get(error.rule, "brcode")) from None
        return Response(
            BRCodeOutput({"brcode": brcode, "qr_png_base64": image}).data,
            status=status.HTTP_201_CREATED,
            headers=NO_STORE,
        )
