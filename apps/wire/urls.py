"""/api/v1/wires... and /api/v1/banks... (included from athena/api_urls.py)."""

from django.urls import path

from apps.wire import api

urlpatterns = [
    path("banks", api.BankListApi.as_view(), name="api-banks"),
    path("banks/<str:code>", api.BankDetailApi.as_view(), name="api-bank"),
    path("wires", api.WireListApi.as_view(), name="api-wires"),
    path("wires/quote", api.WireQuoteApi.as_view(), name="api-wire-quote"),
    path("wires/<str:wire_id>", api.WireDetailApi.as_view(), name="api-wire"),
    path("wires/<str:wire_id>/cancel", api.WireCancelApi.as_view(), name="api-wire-cancel"),
]
