"""REST API of the data subject's rights (thin: parse, call, render).

    GET  /api/v1/privacy/requests        the caller's requests and their answers
    POST /api/v1/privacy/requests        a new request (access, correction, erasure, review)
    GET  /api/v1/privacy/export          everything we hold about the caller (JSON)
    GET  /api/v1/privacy/export.pdf      the same, printable

Only a customer's own data: a user without a customer profile gets a 404.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Customer
from apps.core.errors import NotFound

from . import selectors, services
from .models import DataSubjectRequest
from .pdf import PDF_CONTENT_TYPE, render_export_pdf

NO_STORE = {"Cache-Control": "private, no-store"}


def customer_of(user) -> Customer:
    customer = account_selectors.customer_of_user(user=user)
    if customer is None:
        raise NotFound(_("No customer profile for this user."))
    return customer


class PrivacyRequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    state = serializers.CharField()
    requested_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    details = serializers.CharField()
    field = serializers.CharField()
    new_value = serializers.CharField()
    decision_ref = serializers.CharField()
    answer = serializers.CharField()


class PrivacyRequestsApi(APIView):
    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=DataSubjectRequest.Kind.choices)
        details = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        field = serializers.ChoiceField(
            choices=DataSubjectRequest.CorrectionField.choices, required=False, allow_blank=True
        )
        new_value = serializers.CharField(max_length=254, required=False, allow_blank=True)
        decision_ref = serializers.CharField(max_length=64, required=False, allow_blank=True)

    @extend_schema(responses=PrivacyRequestOutput(many=True), summary="My data-subject requests")
    def get(self, request):
        customer_of(request.user)
        rows = selectors.requests_of_user(user=request.user)
        return Response(PrivacyRequestOutput(rows, many=True).data, headers=NO_STORE)

    @extend_schema(
        request=InputSerializer,
        responses={201: PrivacyRequestOutput},
        summary="Ask for access, correction, erasure or review of an automated decision",
    )
    def post(self, request):
        customer = customer_of(request.user)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        req = services.privacy_request_create(
            customer=customer, actor=request.user, **data.validated_data
        )
        return Response(PrivacyRequestOutput(req).data, status=status.HTTP_201_CREATED)


class PrivacyExportApi(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="Everything Athena Pay holds about me (JSON)",
    )
    def get(self, request):
        customer = customer_of(request.user)
        data = services.customer_export(
            customer=customer, export_format="json", actor=request.user, request=request
        )
        filename = f"meus-dados-{timezone.localdate():%Y%m%d}.json"
        return Response(
            data,
            headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
        )


class PrivacyExportPdfApi(APIView):
    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.BINARY, description="PDF")},
        summary="Everything Athena Pay holds about me (PDF)",
    )
    def get(self, request):
        customer = customer_of(request.user)
        pdf = services.customer_export(
            customer=customer,
            export_format="pdf",
            actor=request.user,
            request=request,
            render=render_export_pdf,
        )
        response = HttpResponse(pdf, content_type=PDF_CONTENT_TYPE)
        filename = f"meus-dados-{timezone.localdate():%Y%m%d}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = NO_STORE["Cache-Control"]
        return response
