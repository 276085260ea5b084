"""/api/v1/cards... (included from athena/api_urls.py). Each part adds its own lines."""

from django.urls import path  # noqa: F401

urlpatterns: list = [
    # [cards-iso urls]  POST cards/authorizations (and reversals)
    # [cards-portal urls]  cards, card detail, controls, block/unblock, transactions
]
