"""Portal pages of TED, included by athena/portal_urls.py under /ted/ as "portal:ted:*"."""

from django.urls import path

from apps.wire.portal import views

app_name = "ted"

urlpatterns = [
    path("", views.send, name="send"),
    path("banks/", views.banks, name="banks"),
    path("send/<uuid:token>/confirm/", views.confirm, name="confirm"),
    path("sent/", views.wire_list, name="list"),
    path("favourites/", views.favourite_list, name="favourites"),
    path("favourites/<int:favourite_id>/delete/", views.favourite_delete, name="favourite_delete"),
    path("<uuid:wire_id>/", views.detail, name="detail"),
    path("<uuid:wire_id>/cancel/", views.cancel, name="cancel"),
    path("<uuid:wire_id>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
]
