"""REST API of card management (the authorizations' API is apps/cards/api.py):

* `GET /api/v1/cards`: the caller's cards; `POST /api/v1/cards` (Idempotency-Key): a new
  virtual (active at once) or physical (requested until activated) card, 201.
* `GET /api/v1/cards/{id}` (the card's public id), `POST /api/v1/cards/{id}/activate`,
  `POST .../block`, `POST .../unblock`.
* `PATCH` (or `POST`) `/api/v1/cards/{id}/controls`: per-purchase and daily limits (null: no
  limit of the card's own), blocked MCC groups, online, contactless, abroad; only the
  fields sent change.
* `GET /api/v1/cards/{id}/transactions`: the card's purchases (authorizations), newest
  first, with the response code and its text.

A card is never more than BIN + last four here (`masked_pan`): the PAN, the CVV2 and the
PIN never leave through the API (the portal shows a virtual card's data to its owner after
a second factor). Another customer's card does not exist (404).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.cards import services
from apps.cards.models import Card
from apps.cards.portal import selectors
from apps.cards.portal.labels import mcc_label, response_text
from apps.cards.services.issuing import MCC_GROUPS
from apps.core.api_fields import AmountField
from apps.core.idempotency import idempotent

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per intended card; a replay returns the first response.",
)
CARD_ID = OpenApiParameter(
    "card_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The card's id."
)
MAX_TRANSACTIONS = 200


class ControlsOutput(serializers.Serializer):
    per_purchase_limit = AmountField(allow_null=True)
    daily_limit = AmountField(allow_null=True)
    blocked_mcc_groups = serializers.ListField(child=serializers.CharField())
    online = serializers.BooleanField(source="online_enabled")
    contactless = serializers.BooleanField(source="contactless_enabled")
    abroad = serializers.BooleanField(source="abroad_enabled")


class CardOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    masked_pan = serializers.CharField(help_text="BIN + last four; never the whole PAN.")
    last4 = serializers.CharField()
    kind = serializers.ChoiceField(choices=Card.Kind.choices)
    status = serializers.ChoiceField(source="state", choices=Card.State.choices)
    expiry = serializers.CharField(help_text="YYMM")
    holder_name = serializers.CharField()
    account = serializers.IntegerField(source="account_id")
    controls = ControlsOutput(source="*")
    replaces = serializers.UUIDField(source="replaces.public_id", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)


class CardInput(serializers.Serializer):
    account = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=Card.Kind.choices)


class ControlsInput(serializers.Serializer):
    per_purchase_limit = AmountField(required=False, allow_null=True)
    daily_limit = AmountField(required=False, allow_null=True)
    blocked_mcc_groups = serializers.ListField(
        child=serializers.ChoiceField(choices=MCC_GROUPS), required=False, max_length=20
    )
    online = serializers.BooleanField(required=False)
    contactless = serializers.BooleanField(required=False)
    abroad = serializers.BooleanField(required=False)

    NAMES = {
        "per_purchase_limit": "per_purchase_limit",
        "daily_limit": "daily_limit",
        "blocked_mcc_groups": "blocked_mcc_groups",
        "online": "online_enabled",
        "contactless": "contactless_enabled",
        "abroad": "abroad_enabled",
    }

    def controls(self) -> dict:
        """Only what was sent, named as card_controls_update names it."""
        return {self.NAMES[name]: value for name, value in self.validated_data.items()}


class TransactionOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    created_at = serializers.DateTimeField()
    merchant_name = serializers.CharField()
    mcc = serializers.CharField()
    mcc_label = serializers.SerializerMethodField()
    amount = AmountField()
    currency = serializers.CharField()
    state = serializers.CharField()
    response_code = serializers.CharField()
    response_text = serializers.SerializerMethodField()
    auth_code = serializers.CharField()
    fraud_flagged = serializers.SerializerMethodField()
    customer_confirmed = serializers.BooleanField()

    def get_mcc_label(self, row) -> str:
        return mcc_label(row.mcc)

    def get_response_text(self, row) -> str:
        return response_text(row.response_code)

    def get_fraud_flagged(self, row) -> bool:
        return selectors.is_flagged(row)


def _card(request, card_id) -> tuple:
    customer = selectors.customer_for(user=request.user)
    return customer, selectors.card_of(customer=customer, public_id=card_id)


def _fresh(card: Card) -> Card:
    return Card.objects.select_related("replaces").get(pk=card.pk)


class CardListApi(APIView):
    @extend_schema(responses={200: CardOutput(many=True)}, summary="The caller's cards")
    def get(self, request):
        customer = selectors.customer_for(user=request.user)
        return Response(CardOutput(selectors.cards_of(customer=customer)[:200], many=True).data)

    @extend_schema(
        request=CardInput,
        responses={201: CardOutput},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Issue a card: virtual (active at once) or physical (activate it on arrival)",
    )
    @idempotent
    def post(self, request):
        customer = selectors.customer_for(user=request.user)
        data = CardInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.card_issue(
            customer=customer,
            account_id=data.validated_data["account"],
            kind=data.validated_data["kind"],
            actor=request.user,
        )
        return Response(CardOutput(_fresh(issued.card)).data, status=status.HTTP_201_CREATED)


class CardDetailApi(APIView):
    @extend_schema(parameters=[CARD_ID], responses={200: CardOutput}, summary="One card")
    def get(self, request, card_id):
        _customer, card = _card(request, card_id)
        return Response(CardOutput(card).data)


class _CardTransitionApi(APIView):
    service = None

    def post(self, request, card_id):
        customer, card = _card(request, card_id)
        type(self).service(customer=customer, card_id=card.pk, actor=request.user)
        return Response(CardOutput(_fresh(card)).data)


class CardActivateApi(_CardTransitionApi):
    service = services.card_activate

    @extend_schema(
        parameters=[CARD_ID],
        request=None,
        responses={200: CardOutput},
        summary="Activate a physical card that arrived",
    )
    def post(self, request, card_id):
        return super().post(request, card_id)


class CardBlockApi(_CardTransitionApi):
    service = services.card_block

    @extend_schema(
        parameters=[CARD_ID],
        request=None,
        responses={200: CardOutput},
        summary="Block a card (every purchase refused until unblocked)",
    )
    def post(self, request, card_id):
        return super().post(request, card_id)


class CardUnblockApi(_CardTransitionApi):
    service = services.card_unblock

    @extend_schema(
        parameters=[CARD_ID], request=None, responses={200: CardOutput}, summary="Unblock a card"
    )
    def post(self, request, card_id):
        return super().post(request, card_id)


class CardControlsApi(APIView):
    def _update(self, request, card_id):
        customer, card = _card(request, card_id)
        data = ControlsInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.card_controls_update(
            customer=customer, card_id=card.pk, actor=request.user, **data.controls()
        )
        return Response(CardOutput(_fresh(card)).data)

    @extend_schema(
        parameters=[CARD_ID],
        request=ControlsInput,
        responses={200: CardOutput},
        summary="Change a card's controls (only the fields sent)",
    )
    def patch(self, request, card_id):
        return self._update(request, card_id)

    @extend_schema(
        parameters=[CARD_ID],
        request=ControlsInput,
        responses={200: CardOutput},
        summary="Change a card's controls (only the fields sent; same as PATCH)",
    )
    def post(self, request, card_id):
        return self._update(request, card_id)


class CardTransactionsApi(APIView):
    @extend_schema(
        parameters=[CARD_ID],
        responses={200: TransactionOutput(many=True)},
        summary="A card's purchases (authorizations), newest first",
    )
    def get(self, request, card_id):
        _customer, card = _card(request, card_id)
        rows = selectors.authorizations_of(card=card)[:MAX_TRANSACTIONS]
        return Response(TransactionOutput(rows, many=True).data)
