"""The /api/v1/ surface: each app contributes its routes; paths have no trailing slash."""

from django.urls import path

from apps.core import api as core_api

urlpatterns = [
    path("me", core_api.MeApi.as_view(), name="api-me"),
]
