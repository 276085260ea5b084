"""REST API of Pix keys and claims (thin: parse, call a service or selector, render).

    GET    /api/v1/pix/keys                     the caller's keys (?account=)
    POST   /api/v1/pix/keys                     {account, type, key?}   (Idempotency-Key)
    POST   /api/v1/pix/keys/{id}/confirm        {code}  possession of a phone/e-mail key
    DELETE /api/v1/pix/keys/{id}
    GET    /api/v1/pix/keys/lookup/{key}        a payer's look-up: masked owner and bank
    GET    /api/v1/pix/claims                   the caller's claims, both directions
    POST   /api/v1/pix/claims                   {key, type, account}    (Idempotency-Key)
    POST   /api/v1/pix/claims/{id}/confirm      the holder gives the key up
    POST   /api/v1/pix/claims/{id}/cancel       {code?} withdraw / refuse / keep the key

Errors are problem+json (apps.core.errors); someone else's account, key or claim is a 404.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Customer
from apps.core.errors import DomainError, NotFound
from apps.core.idempotency import idempotent
from apps.pix import participants
from apps.pix.api_schema import IDEMPOTENCY_PARAMETER, NO_STORE, PROBLEM
from apps.pix.codecs.keys import KeyType, mask_key, parse_any_key
from apps.pix.keys import claims as key_claims
from apps.pix.keys import selectors, services
from apps.pix.models import ClaimTypes, PixClaim, PixKey


def _customer_of(request) -> Customer:
    customer = account_selectors.customer_of_user(user=request.user)
    if customer is None:
        raise NotFound(_("No customer profile for this user."))
    return customer


class BankSerializer(serializers.Serializer):
    ispb = serializers.CharField()
    name = serializers.CharField()


def _bank(ispb: str) -> dict:
    return {"ispb": ispb, "name": participants.name_of(ispb)}


class KeyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.IntegerField(source="account_id")
    type = serializers.CharField(source="key_type")
    key = serializers.CharField(help_text="Empty until the DICT generates an EVP.")
    state = serializers.CharField()
    claim_offer = serializers.CharField(
        allow_null=True, help_text="OWNERSHIP or PORTABILITY when the key is held elsewhere."
    )
    registered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def to_representation(self, instance: PixKey) -> dict:
        data = super().to_representation(instance)
        data["claim_offer"] = instance.claim_offer or None
        return data


class KeyListApi(APIView):
    class InputSerializer(serializers.Serializer):
        account = serializers.IntegerField(min_value=1)
        type = serializers.ChoiceField(choices=KeyType.ALL)
        key = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=200,
            help_text="Omit for EVP: the DICT generates it.",
        )

    @extend_schema(
        parameters=[OpenApiParameter("account", int, description="Only this account's keys")],
        responses={200: KeyOutput(many=True), 400: PROBLEM},
        summary="The caller's Pix keys",
    )
    def get(self, request):
        raw = request.query_params.get("account")
        account_id = None
        if raw not in (None, ""):
            account_id = account_selectors.account_of_user(
                user=request.user, account_id=_int_or_404(raw)
            ).pk
        keys = selectors.keys_of_user(user=request.user, account_id=account_id)
        return Response(KeyOutput(keys, many=True).data, headers=NO_STORE)

    @extend_schema(
        request=InputSerializer,
        responses={201: KeyOutput, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Register a Pix key",
        description=(
            "CPF, CNPJ and EVP keys are registered in the DICT at once (state `active`). "
            "PHONE and EMAIL keys wait for the 6-digit code sent to them (state "
            "`pending_ownership`): confirm it at /keys/{id}/confirm. A key held at another "
            "institution answers 409 `key_portability_available` or "
            "`key_ownership_claim_available`. At most 5 keys per account of a natural "
            "person, 20 of a company (422 `key_limit_reached`)."
        ),
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = account_selectors.account_of_user(user=request.user, account_id=values["account"])
        pix_key = services.key_register(
            account=account,
            key_type=values["type"],
            key=values.get("key") or None,
            actor=request.user,
        )
        return Response(KeyOutput(pix_key).data, status=status.HTTP_201_CREATED)


def _int_or_404(raw: str) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise NotFound(_("Account not found.")) from None


class KeyDetailApi(APIView):
    @extend_schema(responses={204: None, 404: PROBLEM, 409: PROBLEM}, summary="Delete a Pix key")
    def delete(self, request, key_id: int):
        pix_key = selectors.key_of_user(user=request.user, key_id=key_id)
        services.key_delete(pix_key=pix_key, actor=request.user, reason="customer request")
        return Response(status=status.HTTP_204_NO_CONTENT)


class KeyConfirmApi(APIView):
    class InputSerializer(serializers.Serializer):
        code = serializers.RegexField(r"^\d{6}$", help_text="The 6-digit code sent to the key.")

    @extend_schema(
        request=InputSerializer,
        responses={200: KeyOutput, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        summary="Confirm possession of a phone or e-mail key",
        description=(
            "The code expires in 10 minutes and allows 5 attempts. A key that turns out to "
            "be held elsewhere stays in state `awaiting_claim` and the answer is 409 "
            "`key_ownership_claim_available` or `key_portability_available`: open the claim "
            "at POST /claims."
        ),
    )
    def post(self, request, key_id: int):
        pix_key = selectors.key_of_user(user=request.user, key_id=key_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pix_key = services.key_confirm_ownership(
            pix_key=pix_key, code=data.validated_data["code"], actor=request.user
        )
        return Response(KeyOutput(pix_key).data)


class LookupOutput(serializers.Serializer):
    key = serializers.CharField()
    type = serializers.CharField(source="key_type")
    owner_name = serializers.CharField(source="masked_owner_name")
    owner_tax_id = serializers.CharField(source="masked_tax_id")
    owner_type = serializers.CharField(source="owner.type")
    bank = BankSerializer()
    created_at = serializers.DateTimeField()
    ownership_since = serializers.DateTimeField(source="key_ownership_date")


def _hide_key_in_path(request, key: str) -> None:
    """The key travels in the URL, and the access log and Django's request log print the
    path: once routed, the path shows the key masked (keys are masked in logs)."""
    try:
        key_type, value = parse_any_key(key)
        shown = mask_key(key_type, value)
    except DomainError:
        shown = "***"
    django_request = request._request
    django_request.path = django_request.path.replace(key, shown)
    django_request.path_info = django_request.path_info.replace(key, shown)


class KeyLookupApi(APIView):
    @extend_schema(
        responses={200: LookupOutput, 400: PROBLEM, 404: PROBLEM, 429: PROBLEM},
        summary="Look a Pix key up before paying",
        description=(
            "Answers the owner as the DICT lets payers see it (first name and initials, "
            "CPF as ***.456.789-**) and the institution. Each look-up spends the caller's "
            "DICT anti-scan tokens: 1 when found, 20 when not; 100 tokens for a natural "
            "person, 1.000 for a company, 2 back per minute. An empty allowance answers 429."
        ),
    )
    def get(self, request, key: str):
        _hide_key_in_path(request, key)
        customer = _customer_of(request)
        entry = services.key_lookup(key=key, requester=customer)
        body = {
            "key": entry.key,
            "key_type": entry.key_type,
            "masked_owner_name": entry.masked_owner_name,
            "masked_tax_id": entry.masked_tax_id,
            "owner": {"type": entry.owner.type},
            "bank": _bank(entry.participant),
            "created_at": entry.created_at,
            "key_ownership_date": entry.key_ownership_date,
        }
        return Response(LookupOutput(body).data, headers=NO_STORE)


class ClaimOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    type = serializers.CharField(source="claim_type")
    key = serializers.CharField()
    key_type = serializers.CharField()
    state = serializers.CharField()
    account = serializers.IntegerField(source="account_id")
    key_id = serializers.IntegerField(source="pix_key_id")
    counterpart = serializers.SerializerMethodField()
    resolution_period_end = serializers.DateTimeField()
    completion_period_end = serializers.DateTimeField(allow_null=True)
    confirm_reason = serializers.CharField()
    cancel_reason = serializers.CharField()
    cancelled_by = serializers.CharField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(BankSerializer)
    def get_counterpart(self, obj: PixClaim) -> dict:
        return _bank(obj.counterpart_ispb)


class ClaimListApi(APIView):
    class InputSerializer(serializers.Serializer):
        key = serializers.CharField(max_length=200)
        type = serializers.ChoiceField(choices=ClaimTypes.values)
        account = serializers.IntegerField(min_value=1)

    @extend_schema(responses={200: ClaimOutput(many=True)}, summary="The caller's key claims")
    def get(self, request):
        claims = selectors.claims_of_user(user=request.user)
        return Response(ClaimOutput(claims, many=True).data, headers=NO_STORE)

    @extend_schema(
        request=InputSerializer,
        responses={201: ClaimOutput, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Claim a Pix key held at another institution",
        description=(
            "PORTABILITY brings the caller's own key (CPF, CNPJ, phone, e-mail) from another "
            "institution; OWNERSHIP claims a phone or e-mail registered by someone else "
            "(possession proven first through POST /keys and /keys/{id}/confirm). The "
            "holder's institution has 7 days to answer."
        ),
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = account_selectors.account_of_user(user=request.user, account_id=values["account"])
        claim = key_claims.claim_open(
            account=account, key=values["key"], claim_type=values["type"], actor=request.user
        )
        return Response(ClaimOutput(claim).data, status=status.HTTP_201_CREATED)


class ClaimConfirmApi(APIView):
    @extend_schema(
        request=None,
        responses={200: ClaimOutput, 404: PROBLEM, 409: PROBLEM},
        summary="Give a claimed key up (holder)",
    )
    def post(self, request, claim_id: int):
        claim = selectors.claim_of_user(user=request.user, claim_id=claim_id)
        claim = key_claims.claim_confirm(claim=claim, actor=request.user)
        return Response(ClaimOutput(claim).data)


class ClaimCancelApi(APIView):
    class InputSerializer(serializers.Serializer):
        code = serializers.RegexField(
            r"^\d{6}$",
            required=False,
            help_text="Keeping a key against an ownership claim: the code sent to the key.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: ClaimOutput, 202: ClaimOutput, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        summary="Cancel a claim: withdraw ours, refuse a portability, keep a claimed key",
        description=(
            "To keep a key against an ownership claim, prove you still hold it: the first "
            "call (without code) sends a code to the key and answers 202; call again with "
            "the code."
        ),
    )
    def post(self, request, claim_id: int):
        claim = selectors.claim_of_user(user=request.user, claim_id=claim_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = key_claims.claim_cancel(
            claim=claim, actor=request.user, code=data.validated_data.get("code")
        )
        code = status.HTTP_202_ACCEPTED if outcome.code_sent else status.HTTP_200_OK
        return Response(ClaimOutput(outcome.claim).data, status=code)
