"""REST API of Pix transfers (thin: parse, call the service or query, render).

    POST   /api/v1/pix/transfers                {account, key | brcode | creditor, amount?,
                                                description?, scheduled_for?}
                                                (Idempotency-Key)
    POST   /api/v1/pix/transfers/preview        the same input: who would be paid, how much
    GET    /api/v1/pix/transfers?account=       the caller's transfers, newest first (50)
    GET    /api/v1/pix/transfers/{e2e}          one of the caller's transfers
    POST   /api/v1/pix/transfers/{id}/cancel    cancel a scheduled one (it has no e2e yet)

Errors are problem+json (apps.core.errors); someone else's account or transfer is a 404.
Optional fields of a transfer (`scheduled_for`, `txid`) are left out when they do not
apply, as BACEN's API Pix does.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors as account_selectors
from apps.core.api_fields import AmountField
from apps.core.documents import normalize_tax_id, tax_id_kind
from apps.core.errors import NotFound, ValidationFailed
from apps.core.idempotency import idempotent
from apps.pix import participants
from apps.pix.adapters.dict import LEGAL_PERSON, NATURAL_PERSON, mask_owner_name
from apps.pix.api_schema import IDEMPOTENCY_PARAMETER, NO_STORE, PROBLEM
from apps.pix.codecs.brcode import MAX_CODE_LENGTH
from apps.pix.codecs.iso20022 import AccountType, Iso20022Error, Party
from apps.pix.models import PixTransfer
from apps.pix.transfers.services.payees import payee_preview
from apps.pix.transfers.services.send import pix_cancel_scheduled, pix_send

LIST_LIMIT = 50


class PayeeSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked: a person's first name and initials.")
    ispb = serializers.CharField()
    bank = serializers.CharField()


class TransferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    end_to_end_id = serializers.CharField(
        allow_null=True, help_text="null while scheduled: given when the Pix is really sent."
    )
    state = serializers.CharField()
    amount = AmountField()
    payee = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    reject_reason = serializers.CharField(allow_null=True)
    scheduled_for = serializers.DateField(required=False, help_text="Scheduled Pix only.")
    txid = serializers.CharField(
        source="tx_id", required=False, help_text="When the Pix pays a QR code's txid."
    )

    @extend_schema_field(PayeeSerializer)
    def get_payee(self, obj: PixTransfer) -> dict:
        digits = "".join(ch for ch in obj.counterparty_tax_id or "" if ch.isdigit())
        owner_type = NATURAL_PERSON if len(digits) == 11 else LEGAL_PERSON
        return {
            "name": mask_owner_name(owner_type, obj.counterparty_name),
            "ispb": obj.counterparty_ispb,
            "bank": participants.name_of(obj.counterparty_ispb),
        }

    def to_representation(self, instance: PixTransfer) -> dict:
        data = super().to_representation(instance)
        data["reject_reason"] = instance.reject_reason or None
        for optional in ("scheduled_for", "txid"):
            if not data.get(optional):
                data.pop(optional, None)
        return data


class CreditorInput(serializers.Serializer):
    """The payee's account typed in by hand (pacs.008 initiation MANU)."""

    ispb = serializers.RegexField(r"^[0-9]{8}$", help_text="The payee's institution (8 digits).")
    branch = serializers.RegexField(r"^[0-9]{1,4}$", required=False, help_text="Agência.")
    account_number = serializers.RegexField(r"^[0-9]{1,20}$", help_text="Digits only.")
    account_type = serializers.ChoiceField(
        choices=[t.value for t in AccountType], default=AccountType.CACC.value
    )
    tax_id = serializers.CharField(max_length=18, help_text="The holder's CPF or CNPJ.")
    name = serializers.CharField(max_length=140, help_text="The holder's name.")

    def validate_tax_id(self, value: str) -> str:
        if tax_id_kind(value) is None:
            raise serializers.ValidationError(_("Not a valid CPF or CNPJ."))
        return normalize_tax_id(value)


class PaymentInput(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    key = serializers.CharField(max_length=200, required=False)
    brcode = serializers.CharField(
        max_length=MAX_CODE_LENGTH * 2,
        required=False,
        trim_whitespace=False,
        help_text="Pix copia e cola (a static or dynamic BR Code).",
    )
    creditor = CreditorInput(required=False)
    amount = AmountField(
        required=False,
        help_text="Required for a key or an account; a code's fixed amount may be omitted.",
    )
    description = serializers.CharField(max_length=140, required=False, allow_blank=True)

    def validate(self, attrs: dict) -> dict:
        given = [name for name in ("key", "brcode", "creditor") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"key": _("Give exactly one of: key, brcode or creditor.")}
            )
        return attrs


class SendInput(PaymentInput):
    scheduled_for = serializers.DateField(
        required=False,
        help_text="Schedule for this day (Brasilia), from tomorrow up to 12 months ahead.",
    )


def _payment_arguments(values: dict) -> dict:
    creditor = values.get("creditor")
    party = None
    if creditor is not None:
        try:
            party = Party(
                tax_id=creditor["tax_id"],
                ispb=creditor["ispb"],
                branch=creditor.get("branch"),
                account_number=creditor["account_number"],
                account_type=creditor["account_type"],
                name=creditor["name"],
            )
        except Iso20022Error as exc:  # the serializer's checks should have caught it
            raise ValidationFailed(str(exc), field=f"creditor.{exc.field}") from None
    return {
        "key": values.get("key"),
        "brcode": values.get("brcode"),
        "creditor": party,
        "amount_cents": values.get("amount"),
    }


def _int_or_404(raw: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise NotFound(_("Account not found.")) from None


def _transfers_of_user(user):
    accounts = account_selectors.accounts_of_user(user=user)
    return PixTransfer.objects.filter(
        account__in=accounts.values("pk"), direction=PixTransfer.Direction.OUT
    )


class TransferListApi(APIView):
    InputSerializer = SendInput

    @extend_schema(
        parameters=[
            OpenApiParameter("account", int, required=True, description="The account's Pix")
        ],
        responses={200: TransferOutput(many=True), 404: PROBLEM},
        summary="The caller's Pix transfers, newest first",
    )
    def get(self, request):
        account = account_selectors.account_of_user(
            user=request.user, account_id=_int_or_404(request.query_params.get("account"))
        )
        transfers = PixTransfer.objects.filter(
            account=account, direction=PixTransfer.Direction.OUT
        ).order_by("-created_at", "-pk")[:LIST_LIMIT]
        return Response(TransferOutput(transfers, many=True).data, headers=NO_STORE)

    @extend_schema(
        request=SendInput,
        responses={201: TransferOutput, 400: PROBLEM, 404: PROBLEM, 422: PROBLEM, 503: PROBLEM},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Send or schedule a Pix to a key, a BR Code or an account",
        description=(
            "Exactly one of `key` (looked up in the DICT), `brcode` (Pix copia e cola: a "
            "static code pays its key, with its amount when it has one; a dynamic code of "
            "ours pays its charge) or `creditor` (agency/account/ISPB typed in). A Pix to "
            "another institution is `sent` to the SPI and normally answered at once "
            "(`settled` or `rejected`, the money given back); without an answer it stays "
            "`sent` and is retried. With `scheduled_for` it is `scheduled`: no money moves "
            "until that day (from 06:00), when limits and funds are checked. Limits and "
            "insufficient funds answer 422."
        ),
    )
    @idempotent
    def post(self, request):
        data = SendInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = account_selectors.account_of_user(user=request.user, account_id=values["account"])
        transfer = pix_send(
            account=account,
            description=values.get("description", ""),
            scheduled_for=values.get("scheduled_for"),
            actor=request.user,
            **_payment_arguments(values),
        )
        return Response(TransferOutput(transfer).data, status=status.HTTP_201_CREATED)


class PreviewOutput(serializers.Serializer):
    name = serializers.CharField(help_text="A person's first name and initials; a company's name.")
    tax_id = serializers.CharField(help_text="CPF masked as ***.456.789-**; CNPJ in full.")
    ispb = serializers.CharField()
    bank = serializers.CharField()
    branch = serializers.CharField(allow_blank=True)
    account_number = serializers.CharField()
    account_type = serializers.CharField()
    key = serializers.CharField(allow_null=True)
    amount = AmountField(allow_null=True, help_text="The code's amount, or the one typed.")
    amount_editable = serializers.BooleanField()
    txid = serializers.CharField(allow_null=True)
    description = serializers.CharField(allow_null=True)
    initiation = serializers.CharField(help_text="MANU, DICT, QRES or QRDN.")


class TransferPreviewApi(APIView):
    @extend_schema(
        request=PaymentInput,
        responses={200: PreviewOutput, 400: PROBLEM, 404: PROBLEM, 422: PROBLEM, 429: PROBLEM},
        summary="Who a Pix would pay, before confirming it",
        description=(
            "The same input as sending, without moving money. A key (or a code's key) is "
            "looked up in the DICT and spends the caller's anti-scan allowance like any "
            "look-up."
        ),
    )
    def post(self, request):
        data = PaymentInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = account_selectors.account_of_user(user=request.user, account_id=values["account"])
        preview = payee_preview(account=account, **_payment_arguments(values))
        body = {
            "name": preview.masked_name,
            "tax_id": preview.masked_tax_id,
            "ispb": preview.ispb,
            "bank": preview.bank_name,
            "branch": preview.branch,
            "account_number": preview.account_number,
            "account_type": preview.account_type,
            "key": preview.key,
            "amount": preview.amount_cents,
            "amount_editable": preview.amount_editable,
            "txid": preview.txid,
            "description": preview.description,
            "initiation": preview.initiation,
        }
        return Response(PreviewOutput(body).data, headers=NO_STORE)


class TransferDetailApi(APIView):
    @extend_schema(
        responses={200: TransferOutput, 404: PROBLEM}, summary="One of the caller's Pix transfers"
    )
    def get(self, request, end_to_end_id: str):
        transfer = _transfers_of_user(request.user).filter(end_to_end_id=end_to_end_id).first()
        if transfer is None:
            raise NotFound(_("Pix transfer not found."))
        return Response(TransferOutput(transfer).data, headers=NO_STORE)


class TransferCancelApi(APIView):
    @extend_schema(
        request=None,
        responses={200: TransferOutput, 404: PROBLEM, 409: PROBLEM},
        summary="Cancel a scheduled Pix",
        description="Only a `scheduled` Pix can be cancelled (409 otherwise); no money had moved.",
    )
    def post(self, request, transfer_id: int):
        transfer = _transfers_of_user(request.user).filter(pk=transfer_id).first()
        if transfer is None:
            raise NotFound(_("Pix transfer not found."))
        cancelled = pix_cancel_scheduled(
            transfer_id=transfer.pk, account=transfer.account, actor=request.user
        )
        return Response(TransferOutput(cancelled).data, headers=NO_STORE)
