"""/api/v1/boletos/... (included from athena/api_urls.py)."""

from django.urls import path

from apps.boleto import decode_api
from apps.boleto.issuing import api as issuing_api
from apps.boleto.payments import api as payments_api

urlpatterns = [
    path("decode", decode_api.BoletoDecodeApi.as_view(), name="api-boleto-decode"),
    path("quote", payments_api.BoletoQuoteApi.as_view(), name="api-boleto-quote"),
    path("payments", payments_api.BoletoPaymentListApi.as_view(), name="api-boleto-payments"),
    path(
        "payments/<str:payment_id>",
        payments_api.BoletoPaymentDetailApi.as_view(),
        name="api-boleto-payment",
    ),
    path(
        "payments/<str:payment_id>/cancel",
        payments_api.BoletoPaymentCancelApi.as_view(),
        name="api-boleto-payment-cancel",
    ),
    path("webhook", issuing_api.BoletoWebhookApi.as_view(), name="api-boleto-webhook"),
    path("<str:boleto_id>", issuing_api.BoletoDetailApi.as_view(), name="api-boleto"),
    path("<str:boleto_id>/cancel", issuing_api.BoletoCancelApi.as_view(), name="api-boleto-cancel"),
    path("<str:boleto_id>/pdf", issuing_api.BoletoPdfApi.as_view(), name="api-boleto-pdf"),
]
