"""Portal pages of privacy, included by athena/portal_urls.py under /privacy/ as
"portal:privacy:*"."""

from django.urls import path

from . import portal_views as views

app_name = "privacy"

urlpatterns = [
    path("", views.home, name="home"),
    path("export.json", views.export_json, name="export_json"),
    path("export.pdf", views.export_pdf, name="export_pdf"),
]
