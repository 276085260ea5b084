"""REST API of MED: customers' infraction reports and the compliance officers' queue.

Customers:
    POST   /api/v1/pix/transfers/{e2e}/infractions   {situation, details?} contest a Pix sent
                                                       (Idempotency-Key)
    GET    /api/v1/pix/infractions                    the caller's reports, newest first
    POST   /api/v1/pix/infractions/{id}/cancel        withdraw one

Compliance (Django permissions, granted through the compliance_officer role in
apps/core/roles.py):
    GET    /api/v1/pix/med/queue                      open reports and active blocks, oldest
                                                       first (pix.view_infractionreport and
                                                       pix.view_cautionaryblock)
    POST   /api/v1/pix/med/reports/{id}/acknowledge   (pix.change_infractionreport)
    POST   /api/v1/pix/med/reports/{id}/close         {result, details} (Idempotency-Key)
    POST   /api/v1/pix/med/blocks                     {end_to_end_id, amount?, reason}
                                                       (pix.change_cautionaryblock;
                                                       Idempotency-Key)
    POST   /api/v1/pix/med/blocks/{id}/release        {reason}

Errors are problem+json (apps.core.errors); someone else's transfer or report is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api_fields import AmountField
from apps.core.documents import mask_tax_id
from apps.core.idempotency import idempotent
from apps.pix import participants
from apps.pix.api_schema import IDEMPOTENCY_PARAMETER, NO_STORE, PROBLEM
from apps.pix.med import blocks as med_blocks
from apps.pix.med import common as med_common
from apps.pix.med import selectors
from apps.pix.med import services as med
from apps.pix.models import CautionaryBlock, InfractionReport

TAG = "Pix MED"


class HasModelPermissions(BasePermission):
    """The view's `required_permissions`, all of them (superusers have every one)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.has_perms(getattr(view, "required_permissions", ()))


class StaffApi(APIView):
    permission_classes = [HasModelPermissions]
    required_permissions: tuple[str, ...] = ()


# --- serializers -----------------------------------------------------------------------------


class MedBankOutput(serializers.Serializer):
    ispb = serializers.CharField()
    name = serializers.CharField()


def _bank(ispb: str) -> dict:
    return {"ispb": ispb, "name": participants.name_of(ispb)}


class MedCustomerReportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    end_to_end_id = serializers.CharField(source="transfer.end_to_end_id")
    amount = AmountField(source="transfer.amount")
    situation = serializers.CharField()
    details = serializers.CharField()
    state = serializers.CharField()
    analysis_result = serializers.CharField(allow_null=True)
    analysis_details = serializers.CharField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance: InfractionReport) -> dict:
        data = super().to_representation(instance)
        data["analysis_result"] = instance.analysis_result or None
        return data


class MedAccountOutput(serializers.Serializer):
    id = serializers.IntegerField()
    branch = serializers.CharField()
    number = serializers.CharField()
    holder = serializers.CharField()
    holder_tax_id = serializers.CharField(help_text="Masked, as the DICT shows it.")


def _account(account) -> dict:
    customer = account.customer
    return {
        "id": account.pk,
        "branch": account.branch,
        "number": account.number,
        "holder": customer.full_name if customer else account.name,
        "holder_tax_id": mask_tax_id(customer.tax_id) if customer else "",
    }


class MedBlockOutput(serializers.Serializer):
    id = serializers.IntegerField()
    end_to_end_id = serializers.CharField(source="transfer.end_to_end_id")
    account = serializers.SerializerMethodField()
    amount = AmountField()
    state = serializers.CharField()
    reason = serializers.CharField()
    expires_at = serializers.DateTimeField()
    infraction = serializers.IntegerField(source="infraction_id", allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(MedAccountOutput)
    def get_account(self, obj: CautionaryBlock) -> dict:
        return _account(obj.hold.account)


class MedTransferOutput(serializers.Serializer):
    end_to_end_id = serializers.CharField()
    amount = AmountField()
    received_at = serializers.DateTimeField()
    payer_name = serializers.CharField()
    payer_bank = MedBankOutput()
    internal = serializers.BooleanField()


class MedRefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    refund_id = serializers.CharField()
    return_id = serializers.CharField()
    amount = AmountField()
    reason_code = serializers.CharField()
    state = serializers.CharField()


class MedReportOutput(serializers.Serializer):
    id = serializers.IntegerField()
    dict_report_id = serializers.UUIDField()
    role = serializers.CharField()
    state = serializers.CharField()
    situation = serializers.CharField()
    details = serializers.CharField()
    reporter = serializers.SerializerMethodField()
    transfer = serializers.SerializerMethodField()
    account = serializers.SerializerMethodField(help_text="The account that received the Pix.")
    blocks = serializers.SerializerMethodField()
    analysis_result = serializers.CharField(allow_null=True)
    analysis_details = serializers.CharField()
    refund = MedRefundOutput(allow_null=True)
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(MedBankOutput)
    def get_reporter(self, obj: InfractionReport) -> dict:
        return _bank(obj.reporter_participant)

    @extend_schema_field(MedTransferOutput)
    def get_transfer(self, obj: InfractionReport) -> dict:
        transfer = obj.transfer
        if transfer.internal:
            payer_name, payer_ispb = transfer.account.name, transfer.counterparty_ispb
        else:
            payer_name, payer_ispb = transfer.counterparty_name, transfer.counterparty_ispb
        return MedTransferOutput(
            {
                "end_to_end_id": transfer.end_to_end_id,
                "amount": transfer.amount,
                "received_at": transfer.settled_at or transfer.created_at,
                "payer_name": payer_name,
                "payer_bank": _bank(payer_ispb),
                "internal": transfer.internal,
            }
        ).data

    @extend_schema_field(MedAccountOutput)
    def get_account(self, obj: InfractionReport) -> dict | None:
        account = selectors.receiving_account(obj.transfer)
        return _account(account) if account else None

    @extend_schema_field(MedBlockOutput(many=True))
    def get_blocks(self, obj: InfractionReport) -> list:
        return MedBlockOutput(obj.cautionary_blocks.all(), many=True).data

    def to_representation(self, instance: InfractionReport) -> dict:
        data = super().to_representation(instance)
        data["analysis_result"] = instance.analysis_result or None
        return data


class MedQueueOutput(serializers.Serializer):
    reports = MedReportOutput(many=True)
    blocks = MedBlockOutput(many=True)


# --- customers -------------------------------------------------------------------------------


class TransferInfractionCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        situation = serializers.ChoiceField(choices=InfractionReport.Situation.choices)
        details = serializers.CharField(
            max_length=med_common.DETAILS_MAX, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={
            201: MedCustomerReportOutput,
            400: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            422: PROBLEM,
        },
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Contest a Pix you sent (MED infraction report)",
        description=(
            "Reports the Pix to the DICT as a suspected fraud, up to 80 days after it was "
            "settled. The receiving institution analyses it and may return the money."
        ),
    )
    @idempotent
    def post(self, request, end_to_end_id: str):
        transfer = selectors.sent_transfer_of_user(user=request.user, end_to_end_id=end_to_end_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = med.infraction_report_open(
            transfer=transfer,
            situation=data.validated_data["situation"],
            details=data.validated_data["details"],
            actor=request.user,
        )
        return Response(MedCustomerReportOutput(report).data, status=status.HTTP_201_CREATED)


class InfractionListApi(APIView):
    @extend_schema(
        tags=[TAG],
        responses={200: MedCustomerReportOutput(many=True)},
        summary="Your infraction reports, newest first",
    )
    def get(self, request):
        reports = selectors.reports_of_user(user=request.user)[: selectors.QUEUE_LIMIT]
        return Response(MedCustomerReportOutput(reports, many=True).data, headers=NO_STORE)


class InfractionCancelApi(APIView):
    @extend_schema(
        tags=[TAG],
        request=None,
        responses={200: MedCustomerReportOutput, 404: PROBLEM, 409: PROBLEM},
        summary="Withdraw one of your infraction reports",
    )
    def post(self, request, report_id: int):
        report = selectors.report_of_user(user=request.user, report_id=report_id)
        report = med.infraction_report_cancel(report=report, actor=request.user)
        return Response(MedCustomerReportOutput(report).data)


# --- compliance ------------------------------------------------------------------------------


class MedQueueApi(StaffApi):
    required_permissions = ("pix.view_infractionreport", "pix.view_cautionaryblock")

    @extend_schema(
        tags=[TAG],
        responses={200: MedQueueOutput, 403: PROBLEM},
        summary="Compliance queue: open reports against our customers and active blocks",
        description="Both lists oldest first (at most 100 each): MED deadlines run from them.",
    )
    def get(self, request):
        body = {"reports": selectors.queue_reports(), "blocks": selectors.queue_blocks()}
        return Response(MedQueueOutput(body).data, headers=NO_STORE)


class MedReportAcknowledgeApi(StaffApi):
    required_permissions = ("pix.change_infractionreport",)

    @extend_schema(
        tags=[TAG],
        request=None,
        responses={200: MedReportOutput, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        summary="Take an infraction report into analysis",
    )
    def post(self, request, report_id: int):
        report = selectors.report_for_analysis(report_id=report_id)
        report = med.infraction_report_acknowledge(report=report, actor=request.user)
        return Response(MedReportOutput(selectors.report_with_blocks(report)).data)


class MedReportCloseApi(StaffApi):
    required_permissions = ("pix.change_infractionreport",)

    class InputSerializer(serializers.Serializer):
        result = serializers.ChoiceField(choices=InfractionReport.Result.choices)
        details = serializers.CharField(max_length=med_common.DETAILS_MAX, allow_blank=True)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={
            200: MedReportOutput,
            400: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            422: PROBLEM,
        },
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Close an infraction report with the analysis",
        description=(
            "AGREED returns what is left of the money to the payer (a Pix refund with reason "
            "FR01: at most the original amount minus earlier refunds, and at most what the "
            "account holds: its available balance plus the blocked amount); the blocks are "
            "used. DISAGREED releases the blocks. The details go to the DICT and to the "
            "customer."
        ),
    )
    @idempotent
    def post(self, request, report_id: int):
        report = selectors.report_for_analysis(report_id=report_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = med.infraction_report_close(
            report=report,
            result=data.validated_data["result"],
            details=data.validated_data["details"],
            actor=request.user,
        )
        return Response(MedReportOutput(selectors.report_with_blocks(report)).data)


class MedBlockCreateApi(StaffApi):
    required_permissions = ("pix.change_cautionaryblock",)

    class InputSerializer(serializers.Serializer):
        end_to_end_id = serializers.CharField(max_length=32)
        amount = AmountField(
            required=False, help_text="Default: as much as is left of the Pix and available."
        )
        reason = serializers.CharField(max_length=med_common.REASON_MAX)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={
            201: MedBlockOutput,
            400: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            422: PROBLEM,
        },
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Block a received Pix on suspicion of fraud (up to 72 h)",
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        transfer = selectors.received_transfer(end_to_end_id=values["end_to_end_id"])
        block = med_blocks.cautionary_block_place(
            transfer=transfer,
            amount_cents=values.get("amount"),
            reason=values["reason"],
            actor=request.user,
        )
        return Response(MedBlockOutput(block).data, status=status.HTTP_201_CREATED)


class MedBlockReleaseApi(StaffApi):
    required_permissions = ("pix.change_cautionaryblock",)

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=med_common.REASON_MAX)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: MedBlockOutput, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        summary="Release a cautionary block early",
    )
    def post(self, request, block_id: int):
        block = selectors.block_by_id(block_id=block_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block = med_blocks.cautionary_block_release(
            block=block, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(MedBlockOutput(block).data)
