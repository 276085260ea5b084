"""/api/v1/privacy/ routes (included from athena/api_urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("requests", api.PrivacyRequestsApi.as_view(), name="api-privacy-requests"),
    path("export", api.PrivacyExportApi.as_view(), name="api-privacy-export"),
    path("export.pdf", api.PrivacyExportPdfApi.as_view(), name="api-privacy-export-pdf"),
]
