"""Routes of /api/pix/v2/: charges (cob, cobv, loc) and received Pix (pix, devolucao, webhook)."""

from django.urls import include, path

urlpatterns = [
    path("", include("apps.pix.api_v2.charges_urls")),
    path("", include("apps.pix.api_v2.pix_urls")),
]
