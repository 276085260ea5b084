"""Portal pages of cards, included by athena/portal_urls.py under /cards/ as
"portal:cards:*"."""

from django.urls import path

from apps.cards.portal import views

app_name = "cards"

urlpatterns = [
    path("", views.card_list, name="list"),
    path("new/", views.issue, name="issue"),
    path("<uuid:card_id>/", views.detail, name="detail"),
    path("<uuid:card_id>/activate/", views.activate, name="activate"),
    path("<uuid:card_id>/block/", views.block, name="block"),
    path("<uuid:card_id>/unblock/", views.unblock, name="unblock"),
    path("<uuid:card_id>/report/", views.report, name="report"),
    path("<uuid:card_id>/reveal/", views.reveal, name="reveal"),
    path("<uuid:card_id>/controls/", views.controls, name="controls"),
    path("<uuid:card_id>/pin/", views.pin, name="pin"),
    path("<uuid:card_id>/purchases/", views.transactions, name="transactions"),
    path(
        "<uuid:card_id>/purchases/<int:authorization_id>/it-was-me/",
        views.it_was_me,
        name="it_was_me",
    ),
]
