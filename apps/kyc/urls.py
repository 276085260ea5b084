"""/api/v1/kyc/ routes (included from athena/api_urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("level", api.LevelApi.as_view(), name="api-kyc-level"),
    path("requests", api.RequestListCreateApi.as_view(), name="api-kyc-requests"),
    path("requests/<int:request_id>", api.RequestDetailApi.as_view(), name="api-kyc-request"),
    path(
        "requests/<int:request_id>/documents",
        api.DocumentUploadApi.as_view(),
        name="api-kyc-documents",
    ),
    path(
        "requests/<int:request_id>/submit",
        api.RequestSubmitApi.as_view(),
        name="api-kyc-submit",
    ),
    path("documents/<int:document_id>", api.DocumentDownloadApi.as_view(), name="api-kyc-document"),
    path("review", api.ReviewQueueApi.as_view(), name="api-kyc-review"),
    path(
        "review/<int:request_id>/approve",
        api.ReviewDecisionApi.as_view(decision="approve"),
        name="api-kyc-approve",
    ),
    path(
        "review/<int:request_id>/reject",
        api.ReviewDecisionApi.as_view(decision="reject"),
        name="api-kyc-reject",
    ),
    path(
        "review/<int:request_id>/needs-info",
        api.ReviewDecisionApi.as_view(decision="needs_info"),
        name="api-kyc-needs-info",
    ),
]
