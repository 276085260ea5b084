"""Routes of /api/v1/compliance/ (no trailing slashes, like the rest of /api/v1/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("screenings", api.ScreeningApi.as_view(), name="api-compliance-screenings"),
]
