"""A customer's loans over the API (the calculators are in api.py):

* `POST /api/v1/loans/applications` (Idempotency-Key): apply; the decision comes back at once
  (approved with the priced offer, or rejected with the reasons and the limit, if any).
* `GET /api/v1/loans`, `GET /api/v1/loans/{id}`: the loans, each with its decision (score,
  model version, reasons in the reader's language), terms and schedule as of today (what each
  installment asks now: late charges when overdue, the discount when early).
* `POST /api/v1/loans/{id}/contract | cancel | pay | prepay | payoff` (Idempotency-Key where
  money moves): accept the CCB (the money is released at once), cancel an application, pay
  what is due or the next installment, prepay the last N installments, pay off.
* `GET /api/v1/loans/{id}/ccb`: the CCB as a PDF.
* `GET /api/v1/loans/model`: the credit model's version and training metrics.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.selectors import customer_of_user
from apps.core.errors import Forbidden
from apps.core.idempotency import idempotent
from apps.core.money import cents_to_str
from apps.core.timezones import brasilia_today

from . import selectors, services
from .api import AmountInputField
from .models import Housing, Purpose, System
from .pdf import ccb_pdf

IDEMPOTENCY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="A key of yours: the same key and body answer the first outcome again.",
)


def _customer(request):
    customer = customer_of_user(user=request.user)
    if customer is None:
        raise Forbidden(_("Only customers have loans."))
    return customer


def _money(cents: int | None) -> str | None:
    return None if cents is None else cents_to_str(cents)


class LoanApplicationInput(serializers.Serializer):
    account_id = serializers.IntegerField()
    amount = AmountInputField()
    installments = serializers.IntegerField()
    system = serializers.ChoiceField(choices=System.choices, default=System.PRICE)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    declared_income = AmountInputField()
    employment_years = serializers.IntegerField()
    housing = serializers.ChoiceField(choices=Housing.choices)
    due_day = serializers.IntegerField(default=10)


class LoanScheduleRowOutput(serializers.Serializer):
    number = serializers.IntegerField()
    due_date = serializers.DateField()
    amount = serializers.SerializerMethodField()
    interest = serializers.SerializerMethodField()
    amortization = serializers.SerializerMethodField()
    balance = serializers.SerializerMethodField()
    status = serializers.CharField()
    days_late = serializers.IntegerField()
    paid = serializers.SerializerMethodField()
    late_charges = serializers.SerializerMethodField()
    owed_today = serializers.SerializerMethodField()

    def get_amount(self, row) -> str:
        return cents_to_str(row.amount_cents)

    def get_interest(self, row) -> str:
        return cents_to_str(row.interest_cents)

    def get_amortization(self, row) -> str:
        return cents_to_str(row.amortization_cents)

    def get_balance(self, row) -> str:
        return cents_to_str(row.balance_cents)

    def get_paid(self, row) -> str:
        return cents_to_str(row.paid_cents)

    def get_owed_today(self, row) -> str:
        return cents_to_str(row.owed_today_cents)

    def get_late_charges(self, row) -> dict:
        total = row.late_interest_cents + row.fine_cents + row.default_interest_cents
        return {
            "interest": cents_to_str(row.late_interest_cents),
            "fine": cents_to_str(row.fine_cents),
            "default_interest": cents_to_str(row.default_interest_cents),
            "total": cents_to_str(total),
        }


class LoanOutput(serializers.Serializer):
    """A LoanView (apps.loans.selectors.loan_view)."""

    id = serializers.UUIDField(source="loan.public_id")
    state = serializers.CharField(source="loan.state")
    contract_number = serializers.CharField(source="loan.contract_number", allow_null=True)
    requested = serializers.SerializerMethodField()
    installments_count = serializers.IntegerField(source="loan.installments_count")
    system = serializers.CharField(source="loan.system")
    purpose = serializers.CharField(source="loan.purpose")
    decision = serializers.SerializerMethodField()
    terms = serializers.SerializerMethodField()
    installments = LoanScheduleRowOutput(many=True)
    due_today = serializers.SerializerMethodField()
    payoff = serializers.SerializerMethodField()
    next_payment = serializers.SerializerMethodField()

    def get_requested(self, view) -> str:
        return cents_to_str(view.loan.requested_cents)

    def get_decision(self, view) -> dict:
        loan = view.loan
        return {
            "score": loan.score,
            "probability_of_default": (
                str(loan.probability_of_default)
                if loan.probability_of_default is not None
                else None
            ),
            "band": loan.band,
            "model_version": loan.model_version,
            "reasons": [
                {"code": code, "text": text}
                for code, text in zip(loan.reasons, view.reasons, strict=False)
            ],
            "refusal": loan.refusal,
            "limit": _money(loan.limit_cents),
            "decided_by_person": loan.decided_by_person,
        }

    def get_terms(self, view) -> dict | None:
        loan = view.loan
        if loan.principal_cents is None:
            return None
        return {
            "principal": cents_to_str(loan.principal_cents),
            "monthly_rate": str(loan.monthly_rate),
            "iof": cents_to_str(loan.iof_cents),
            "fees": cents_to_str(loan.fees_cents),
            "released_amount": _money(loan.released_cents),
            "total_interest": cents_to_str(loan.total_interest_cents),
            "cet_annual_percent": str(loan.cet_annual_percent),
            "release_date": loan.release_date,
            "first_due_date": loan.first_due_date,
            "principal_outstanding": cents_to_str(view.principal_outstanding_cents),
            "days_past_due": loan.days_past_due,
        }

    def get_due_today(self, view) -> str:
        return cents_to_str(view.due_today_cents)

    def get_payoff(self, view) -> str:
        return cents_to_str(view.payoff_cents)

    def get_next_payment(self, view) -> str:
        return cents_to_str(view.next_payment_cents)


class LoanPaymentOutput(serializers.Serializer):
    kind = serializers.CharField()
    amount = serializers.SerializerMethodField()
    discount = serializers.SerializerMethodField()
    late_charges = serializers.SerializerMethodField()
    installments = serializers.ListField(child=serializers.IntegerField())
    loan_state = serializers.CharField(source="loan.state")

    def get_amount(self, payment) -> str:
        return cents_to_str(payment.amount_cents)

    def get_discount(self, payment) -> str:
        return cents_to_str(payment.discount_cents)

    def get_late_charges(self, payment) -> str:
        return cents_to_str(payment.late_charges_cents)


def _view(loan) -> dict:
    return LoanOutput(selectors.loan_view(loan=loan, today=brasilia_today())).data


class LoanListApi(APIView):
    @extend_schema(responses={200: LoanOutput(many=True)}, summary="The caller's loans")
    def get(self, request):
        customer = _customer(request)
        loans = selectors.loans_of_customer(customer=customer)[:100]
        return Response([_view(loan) for loan in loans])


class LoanApplyApi(APIView):
    @extend_schema(
        request=LoanApplicationInput,
        responses={201: LoanOutput},
        parameters=[IDEMPOTENCY],
        summary="Apply for a loan: scored and decided at once",
    )
    @idempotent
    def post(self, request):
        customer = _customer(request)
        data = LoanApplicationInput(data=request.data)
        data.is_valid(raise_exception=True)
        loan = services.loan_apply(customer=customer, actor=request.user, **data.validated_data)
        return Response(_view(loan), status=status.HTTP_201_CREATED)


class LoanDetailApi(APIView):
    @extend_schema(responses={200: LoanOutput}, summary="One loan, its decision and schedule")
    def get(self, request, loan_id):
        loan = services.loan_of_customer(customer=_customer(request), loan_id=loan_id)
        return Response(_view(loan))


class LoanContractApi(APIView):
    @extend_schema(
        request=None,
        responses={200: LoanOutput},
        parameters=[IDEMPOTENCY],
        summary="Accept the CCB of an approved loan: the money is released",
    )
    @idempotent
    def post(self, request, loan_id):
        loan = services.loan_contract(
            customer=_customer(request), loan_id=loan_id, actor=request.user
        )
        return Response(_view(loan))


class LoanCancelApi(APIView):
    @extend_schema(request=None, responses={200: LoanOutput}, summary="Cancel an application")
    def post(self, request, loan_id):
        loan = services.loan_cancel(
            customer=_customer(request), loan_id=loan_id, actor=request.user
        )
        return Response(_view(loan))


class LoanPayApi(APIView):
    @extend_schema(
        request=None,
        responses={200: LoanPaymentOutput},
        parameters=[IDEMPOTENCY],
        summary="Pay what is overdue, or the next installment (discounted when early)",
    )
    @idempotent
    def post(self, request, loan_id):
        payment = services.loan_pay_installment(
            customer=_customer(request), loan_id=loan_id, actor=request.user
        )
        return Response(LoanPaymentOutput(payment).data)


class LoanPrepayInput(serializers.Serializer):
    installments = serializers.IntegerField(min_value=1, max_value=420)


class LoanPrepayApi(APIView):
    @extend_schema(
        request=LoanPrepayInput,
        responses={200: LoanPaymentOutput},
        parameters=[IDEMPOTENCY],
        summary="Prepay the last N installments, with the discount of future interest",
    )
    @idempotent
    def post(self, request, loan_id):
        data = LoanPrepayInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.loan_prepay(
            customer=_customer(request),
            loan_id=loan_id,
            installments=data.validated_data["installments"],
            actor=request.user,
        )
        return Response(LoanPaymentOutput(payment).data)


class LoanPayoffApi(APIView):
    @extend_schema(
        request=None,
        responses={200: LoanPaymentOutput},
        parameters=[IDEMPOTENCY],
        summary="Pay off the loan today, with the discount of future interest",
    )
    @idempotent
    def post(self, request, loan_id):
        payment = services.loan_payoff(
            customer=_customer(request), loan_id=loan_id, actor=request.user
        )
        return Response(LoanPaymentOutput(payment).data)


class LoanCcbApi(APIView):
    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf")},
        summary="The loan's CCB (bank credit note) as a PDF",
    )
    def get(self, request, loan_id):
        loan = services.loan_of_customer(customer=_customer(request), loan_id=loan_id)
        response = HttpResponse(ccb_pdf(loan), content_type="application/pdf")
        name = loan.contract_number or f"offer-{loan.public_id}"
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response


class CreditModelOutput(serializers.Serializer):
    version = serializers.CharField()
    dataset = serializers.DictField()
    metrics = serializers.DictField()


class CreditModelApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses={200: CreditModelOutput}, summary="The credit model and its metrics")
    def get(self, request):
        return Response(CreditModelOutput(selectors.model_card()).data)
