"""Portal pages of identity verification, under /verification/ as "portal:kyc:*"."""

from django.urls import path

from . import portal_views, views

app_name = "kyc"

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("<int:request_id>/", portal_views.detail, name="detail"),
    path("documents/<int:document_id>/", views.document_download, name="document"),
]
