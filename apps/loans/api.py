"""The loan calculators, fixed public APIs (issue #15):

* `POST /api/v1/loans/simulations` {principal, monthly_rate (percent a month), installments,
  system PRICE|SAC, release_date, first_due_date, fees?, borrower?} -> the installment
  table, total interest, IOF, CET (percent a year) and the amount released.
* `POST /api/v1/loans/late-charges` {amount, monthly_rate, days_late} -> interest, fine,
  default interest and their total (CMN Resolution 4.882).

Pure calculators: open to anonymous callers (throttled per address like every endpoint, as
`GET /api/v1/banks`), idempotent, nothing stored. Amounts travel as strings ("123.45") and
are Decimals inside; a JSON number with a fraction is refused (it was a binary float). Every
input out of range, malformed or not, is a 422 problem+json naming the field; the math is
apps.loans.pricing.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .errors import invalid_input
from .pricing import AmortizationSystem, Borrower
from .pricing.limits import MAX_DAYS_LATE, MAX_INSTALLMENTS
from .selectors import late_charges_due, loan_simulation

PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")
AMOUNT_IN = r"^\d{1,15}(\.\d{1,2})?$"
RATE_IN = r"^\d{1,3}(\.\d{1,8})?$"
AMOUNT_OUT = r"^\d{1,15}\.\d{2}$"
PERCENT_OUT = r"^\d{1,10}\.\d{2}$"
# Named LoanSystemEnum and LoanBorrowerEnum in the schema (ENUM_NAME_OVERRIDES).
SYSTEM_CHOICES = [(system.value, system.value) for system in AmortizationSystem]
BORROWER_CHOICES = [(borrower.value, borrower.value) for borrower in Borrower]


class DecimalTextField(serializers.Field):
    """A decimal number written as a string ("2.5"; a JSON integer also does), parsed
    straight into Decimal: never through a float."""

    pattern = re.compile(AMOUNT_IN, re.ASCII)
    default_error_messages = {
        "invalid": _('Enter a number such as "123.45" (a dot, at most 2 decimal places).'),
        "float": _('Send the number as a string, such as "123.45".'),
        "negative": _("The value cannot be negative."),
    }

    def to_internal_value(self, data) -> Decimal:
        if isinstance(data, float):
            self.fail("float")
        if isinstance(data, int) and not isinstance(data, bool):
            data = str(data)
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        if text.startswith("-") and self.pattern.match(text[1:]):
            self.fail("negative")
        if not self.pattern.match(text):
            self.fail("invalid")
        return Decimal(text)

    def to_representation(self, value: Decimal) -> str:
        return str(value)


@extend_schema_field({"type": "string", "pattern": AMOUNT_IN, "example": "10000.00"})
class AmountInputField(DecimalTextField):
    pass


@extend_schema_field({"type": "string", "pattern": RATE_IN, "example": "2.5"})
class RateInputField(DecimalTextField):
    pattern = re.compile(RATE_IN, re.ASCII)
    default_error_messages = {
        "invalid": _('Enter the rate in percent such as "2.5" (at most 8 decimal places).'),
    }


class _TwoDecimals(serializers.Field):
    def __init__(self, **kwargs) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> str:
        return f"{abs(value) if value == 0 else value:.2f}"  # never "-0.00"


@extend_schema_field({"type": "string", "pattern": AMOUNT_OUT, "example": "974.87"})
class MoneyOutputField(_TwoDecimals):
    pass


@extend_schema_field({"type": "string", "pattern": PERCENT_OUT, "example": "40.26"})
class PercentOutputField(_TwoDecimals):
    pass


class LoanInstallmentOutput(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = MoneyOutputField(help_text="amortization + interest")
    interest = MoneyOutputField()
    amortization = MoneyOutputField()
    balance = MoneyOutputField(help_text="owed after this installment; 0.00 after the last")


def _validated(serializer_class: type[serializers.Serializer], data) -> dict:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise invalid_input(serializer.errors)
    return serializer.validated_data


class LoanSimulationApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        principal = AmountInputField(help_text="The amount lent.")
        monthly_rate = RateInputField(help_text='Percent a month: "2.5" is 2.5% a month.')
        installments = serializers.IntegerField(min_value=1, max_value=MAX_INSTALLMENTS)
        system = serializers.ChoiceField(
            choices=SYSTEM_CHOICES,
            help_text="PRICE (level installments) or SAC (constant amortization).",
        )
        release_date = serializers.DateField(help_text="When the money is released.")
        first_due_date = serializers.DateField(
            help_text="The later ones fall monthly on its day (or the month's last day)."
        )
        fees = AmountInputField(
            required=False,
            default=Decimal("0.00"),
            help_text="Charged up front, with the IOF: deducted from the amount released.",
        )
        borrower = serializers.ChoiceField(
            choices=BORROWER_CHOICES,
            default=Borrower.NATURAL_PERSON.value,
            help_text="Sets the IOF rates (company_simples: Simples Nacional or MEI).",
        )

    class OutputSerializer(serializers.Serializer):
        installments = LoanInstallmentOutput(many=True)
        total_interest = MoneyOutputField()
        iof = MoneyOutputField()
        cet_annual_percent = PercentOutputField(
            help_text="CET, percent a year, two decimals (CMN Resolution 4.881)"
        )
        released_amount = MoneyOutputField(help_text="principal - IOF - fees")

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 400: PROBLEM, 422: PROBLEM},
        summary="Simulate a loan: installments (PRICE or SAC), IOF, CET",
        description=(
            "A calculator: nothing is stored. Interest is the monthly rate on the previous "
            "balance, rounded half up to centavos; the last installment absorbs the "
            "roundings. IOF: the daily rate on each amortization for the days to its due "
            "date (at most 365) plus the additional rate on the principal, from the rates in "
            "force on the release date. Any input out of range answers 422 naming the field."
        ),
        auth=[],
    )
    def post(self, request):
        terms = _validated(self.InputSerializer, request.data)
        simulation = loan_simulation(**terms)
        return Response(self.OutputSerializer(simulation).data)


class LateChargesApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        amount = AmountInputField(help_text="The overdue installment.")
        monthly_rate = RateInputField(help_text='The contract rate, percent a month ("2.5").')
        days_late = serializers.IntegerField(min_value=0, max_value=MAX_DAYS_LATE)

    class OutputSerializer(serializers.Serializer):
        interest = MoneyOutputField(help_text="amount x ((1 + rate)^(days/30) - 1)")
        fine = MoneyOutputField(help_text="2% of the amount")
        default_interest = MoneyOutputField(help_text="1% a month, simple: amount x days/3000")
        total = MoneyOutputField(help_text="the sum of the three rounded values")

    @extend_schema(
        request=InputSerializer,
        responses={200: OutputSerializer, 400: PROBLEM, 422: PROBLEM},
        summary="Late charges of an overdue installment (CMN Resolution 4.882)",
        description=(
            "A calculator: nothing is stored. Each charge is rounded half up to centavos; "
            "0 days late gives zeros. Any input out of range answers 422 naming the field."
        ),
        auth=[],
    )
    def post(self, request):
        terms = _validated(self.InputSerializer, request.data)
        charges = late_charges_due(**terms)
        return Response(self.OutputSerializer(charges).data)
