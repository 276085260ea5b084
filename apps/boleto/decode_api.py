"""POST /api/v1/boletos/decode: read a boleto's barcode or linha digitavel (thin: parse, call
the codec, render).

Nothing is stored and no registry is asked: the answer is what the code itself carries, after
every check digit has been checked. A code that breaks a rule of the layout is a 422 whose
problem type names the rule (`invalid_boleto_code.<rule>`, the rules of
apps.boleto.codecs.codes.CodeError); a missing, empty or non-string `code` is a 400 naming
the field.

Open to anonymous callers (throttled per address like every endpoint): the answer is only
what the paper itself prints, and a payment page or an integrator's checkout decodes a code
before anyone signs in.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api_fields import AmountField
from apps.core.timezones import brasilia_today

from .codecs.codes import CodeError, decode
from .errors import InvalidBoletoCode

# The longest printed forms are 54 characters (bank) and 55 (collection, with spaces and
# hyphens); leave room for stray separators, refuse anything longer before decoding.
MAX_CODE_LENGTH = 100


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers: a code typed as a JSON number loses leading zeros."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class BoletoDecodeApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        code = StrictCharField(
            max_length=MAX_CODE_LENGTH,
            help_text=(
                "The 44-digit barcode, the 47-digit linha digitavel of a bank boleto or the "
                "48-digit linha of a collection (arrecadacao) code; dots, spaces and hyphens "
                "are ignored."
            ),
        )

    class OutputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=["bank", "collection"])
        barcode = serializers.CharField(help_text="44 digits")
        bank_code = serializers.CharField(
            allow_null=True, help_text="COMPE code of the issuing bank; null for collection codes"
        )
        amount = AmountField(
            allow_null=True,
            allow_zero=True,
            help_text="null when the code carries no amount (zero: the payer chooses; or a "
            "collection code in a reference quantity)",
        )
        due_date = serializers.DateField(
            allow_null=True, help_text="null when the code carries none (factor 0000, collection)"
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: OpenApiResponse(description="`code` missing, empty or not a string"),
            422: OpenApiResponse(
                description="The code breaks a rule of the layout; the problem type names it "
                "(invalid_boleto_code.<rule>)"
            ),
        },
        summary="Read a boleto's barcode or linha digitavel",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            decoded = decode(data.validated_data["code"], today=brasilia_today())
        except CodeError as exc:
            raise InvalidBoletoCode(
                exc.message, field="code", code=f"invalid_boleto_code.{exc.rule}"
            ) from None
        body = {
            "kind": decoded.kind,
            "barcode": decoded.barcode,
            "bank_code": decoded.bank_code,
            "amount": decoded.amount_cents,
            "due_date": decoded.due_date,
        }
        return Response(self.OutputSerializer(body).data)
