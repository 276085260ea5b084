"""Routes of /api/pix/v2/ for received Pix, refunds and webhooks (BACEN's API Pix)."""

from django.urls import path

from apps.pix.api_v2 import pix_views

urlpatterns = [
    path("pix", pix_views.PixListApi.as_view(), name="pix-v2-pix-list"),
    path("pix/<str:e2eid>", pix_views.PixDetailApi.as_view(), name="pix-v2-pix-detail"),
    path(
        "pix/<str:e2eid>/devolucao/<str:id>",
        pix_views.PixRefundApi.as_view(),
        name="pix-v2-pix-refund",
    ),
    path("webhook", pix_views.WebhookListApi.as_view(), name="pix-v2-webhook-list"),
    path("webhook/<str:chave>", pix_views.WebhookApi.as_view(), name="pix-v2-webhook"),
]
