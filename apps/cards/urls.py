"""/api/v1/cards... (included from athena/api_urls.py). Each part adds its own lines."""

from django.urls import path

from apps.cards import api as card_api  # [cards-iso urls]
from apps.cards import api_cards  # [cards-portal urls]

urlpatterns: list = [
    # [cards-iso urls]  POST cards/authorizations (and reversals)
    path("cards/authorizations", card_api.AuthorizationApi.as_view(), name="cards-authorize"),
    path(
        "cards/authorizations/reversals",
        card_api.ReversalApi.as_view(),
        name="cards-authorization-reverse",
    ),
    # [cards-portal urls]  cards, card detail, controls, block/unblock, transactions
    path("cards", api_cards.CardListApi.as_view(), name="api-cards"),
    path("cards/<uuid:card_id>", api_cards.CardDetailApi.as_view(), name="api-card"),
    path(
        "cards/<uuid:card_id>/activate",
        api_cards.CardActivateApi.as_view(),
        name="api-card-activate",
    ),
    path("cards/<uuid:card_id>/block", api_cards.CardBlockApi.as_view(), name="api-card-block"),
    path(
        "cards/<uuid:card_id>/unblock", api_cards.CardUnblockApi.as_view(), name="api-card-unblock"
    ),
    path(
        "cards/<uuid:card_id>/controls",
        api_cards.CardControlsApi.as_view(),
        name="api-card-controls",
    ),
    path(
        "cards/<uuid:card_id>/transactions",
        api_cards.CardTransactionsApi.as_view(),
        name="api-card-transactions",
    ),
]
