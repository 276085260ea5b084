"""Routes of /api/pix/v2/ for charges: cob, cobv and loc (BACEN's paths, no trailing slash).

The public payload locations (/qr/v2/...) are routed in athena/urls.py, at the root of the
host named by settings.PIX_LOCATION_HOST."""

from django.urls import path

from apps.pix.api_v2 import charges_views as views

urlpatterns = [
    path("cob", views.CobApi.as_view(), name="pix-v2-cob"),
    path("cob/<str:txid>", views.CobDetailApi.as_view(), name="pix-v2-cob-detail"),
    path("cobv", views.CobVApi.as_view(), name="pix-v2-cobv"),
    path("cobv/<str:txid>", views.CobVDetailApi.as_view(), name="pix-v2-cobv-detail"),
    path("loc", views.LocApi.as_view(), name="pix-v2-loc"),
    path("loc/<str:id>", views.LocDetailApi.as_view(), name="pix-v2-loc-detail"),
    path("loc/<str:id>/txid", views.LocUnlinkApi.as_view(), name="pix-v2-loc-unlink"),
]
