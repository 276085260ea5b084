"""REST API of KYC (thin: parse, call a service or selector, render).

    GET  /api/v1/kyc/level                          my level, limits and features
    GET  /api/v1/kyc/requests                       my upgrade requests, newest first
    POST /api/v1/kyc/requests                       open one {target_level, declared_name, ...}
    GET  /api/v1/kyc/requests/{id}                  one of mine
    POST /api/v1/kyc/requests/{id}/documents        multipart {kind, file}
    POST /api/v1/kyc/requests/{id}/submit           submit: automatic checks run at once
    GET  /api/v1/kyc/documents/{id}                 the file (owner or compliance only)
    GET  /api/v1/kyc/review                         compliance: requests waiting for review
    POST /api/v1/kyc/review/{id}/approve|reject|needs-info   {reason}

Someone else's request or document is a 404. Errors are problem+json.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors as account_selectors
from apps.core.api_fields import AmountField
from apps.core.errors import Forbidden, NotFound, ValidationFailed
from apps.core.parsers import SafeFormParser

from . import selectors, services, views
from .models import KycDocument, KycRequest
from .uploads import MAX_UPLOAD_BYTES

PROBLEM = OpenApiResponse(description="application/problem+json")
NO_STORE = {"Cache-Control": "private, no-store"}


def _customer(request):
    customer = account_selectors.customer_of_user(user=request.user)
    if customer is None:
        raise NotFound(_("You have no customer profile."))
    return customer


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()


class RequestOutput(serializers.Serializer):
    id = serializers.IntegerField()
    target_level = serializers.IntegerField()
    state = serializers.CharField()
    declared_name = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    reasons = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    documents = DocumentOutput(many=True, source="documents.all")


class ReviewOutput(RequestOutput):
    customer = serializers.IntegerField(source="customer_id")
    check_results = serializers.JSONField()


class LevelApi(APIView):
    class OutputSerializer(serializers.Serializer):
        level = serializers.IntegerField()
        daily_limit = AmountField()
        monthly_limit = AmountField()
        features = serializers.ListField(child=serializers.CharField())
        next_level = serializers.IntegerField(allow_null=True)

    @extend_schema(responses={200: OutputSerializer, 404: PROBLEM})
    def get(self, request):
        summary = selectors.level_summary(customer=_customer(request))
        return Response(self.OutputSerializer(summary).data, headers=NO_STORE)


class RequestListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        target_level = serializers.IntegerField(min_value=1, max_value=3)
        declared_name = serializers.CharField(max_length=150)
        birth_date = serializers.DateField(required=False, allow_null=True)
        monthly_income = AmountField(required=False, allow_null=True, allow_zero=True)
        address_line = serializers.CharField(max_length=200, required=False, allow_blank=True)
        city = serializers.CharField(max_length=100, required=False, allow_blank=True)
        state = serializers.CharField(max_length=2, required=False, allow_blank=True)
        postal_code = serializers.CharField(max_length=9, required=False, allow_blank=True)

    @extend_schema(responses={200: RequestOutput(many=True)})
    def get(self, request):
        customer = _customer(request)
        rows = selectors.requests_of_customer(customer=customer)[:50]
        return Response(RequestOutput(rows, many=True).data, headers=NO_STORE)

    @extend_schema(request=InputSerializer, responses={201: RequestOutput, 409: PROBLEM})
    def post(self, request):
        customer = _customer(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        created = services.kyc_request_create(
            customer=customer,
            target_level=values["target_level"],
            declared_name=values["declared_name"],
            birth_date=values.get("birth_date"),
            monthly_income_cents=values.get("monthly_income"),
            address_line=values.get("address_line", ""),
            city=values.get("city", ""),
            state_code=values.get("state", ""),
            postal_code=values.get("postal_code", ""),
            actor=request.user,
        )
        return Response(RequestOutput(created).data, status=status.HTTP_201_CREATED)


class RequestDetailApi(APIView):
    @extend_schema(responses={200: RequestOutput, 404: PROBLEM})
    def get(self, request, request_id: int):
        found = selectors.request_of_user(user=request.user, request_id=request_id)
        return Response(RequestOutput(found).data, headers=NO_STORE)


class DocumentUploadApi(APIView):
    parser_classes = [MultiPartParser, SafeFormParser]

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=KycDocument.Kind.choices)
        file = serializers.FileField(allow_empty_file=False)

    @extend_schema(request=InputSerializer, responses={201: DocumentOutput, 400: PROBLEM})
    def post(self, request, request_id: int):
        found = selectors.request_of_user(user=request.user, request_id=request_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationFailed(_("The file is larger than 5 MB."), field="file")
        document = services.kyc_document_add(
            request=found,
            kind=data.validated_data["kind"],
            content=upload.read(),
            original_name=upload.name or "",
            actor=request.user,
        )
        return Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED)


class RequestSubmitApi(APIView):
    @extend_schema(request=None, responses={200: RequestOutput, 400: PROBLEM, 409: PROBLEM})
    def post(self, request, request_id: int):
        found = selectors.request_of_user(user=request.user, request_id=request_id)
        submitted = services.kyc_request_submit(request=found, actor=request.user)
        return Response(RequestOutput(submitted).data)


class DocumentDownloadApi(APIView):
    """The decrypted file for its owner or a compliance role (bearer token or session);
    everyone else gets the same 404 as for an id that does not exist."""

    @extend_schema(responses={(200, "application/octet-stream"): bytes, 404: PROBLEM})
    def get(self, request, document_id: int):
        return views.document_response(request, document_id)


def _require_reviewer(request) -> None:
    if not request.user.has_perm(services.REVIEW_PERMISSION):
        raise Forbidden(_("Only compliance officers can review verification requests."))


class ReviewQueueApi(APIView):
    @extend_schema(responses={200: ReviewOutput(many=True), 403: PROBLEM})
    def get(self, request):
        _require_reviewer(request)
        rows = selectors.kyc_requests_for_review()[:100]
        return Response(ReviewOutput(rows, many=True).data, headers=NO_STORE)


class ReviewDecisionApi(APIView):
    decision = ""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={200: ReviewOutput, 403: PROBLEM})
    def post(self, request, request_id: int):
        _require_reviewer(request)
        found = KycRequest.objects.filter(pk=request_id).first()
        if found is None:
            raise NotFound(_("Verification request not found."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason", "")
        if self.decision == "approve":
            decided = services.kyc_request_approve(found, request.user, reason=reason)
        elif self.decision == "reject":
            decided = services.kyc_request_reject(found, request.user, reason=reason)
        else:
            decided = services.kyc_request_ask_info(found, request.user, reason=reason)
        return Response(ReviewOutput(decided).data)
