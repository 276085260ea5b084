"""Portal pages of Pix, included by athena/portal_urls.py under /pix/ as "portal:pix:*"."""

from django.urls import path

from apps.pix.portal import api_views, views

app_name = "pix"

urlpatterns = [
    path("", views.home, name="home"),
    path("send/", views.send, name="send"),
    path("send/<uuid:token>/confirm/", views.send_confirm, name="send_confirm"),
    path("send/<uuid:token>/receipt/", views.send_receipt, name="send_receipt"),
    path("receive/", views.receive, name="receive"),
    path("keys/", views.keys, name="keys"),
    path("keys/<int:key_id>/code/", views.key_code, name="key_code"),
    path("keys/<int:key_id>/reveal/", views.key_reveal, name="key_reveal"),
    path("keys/<int:key_id>/resend/", views.key_resend, name="key_resend"),
    path("keys/<int:key_id>/delete/", views.key_delete, name="key_delete"),
    path("limits/", views.limits, name="limits"),
    path("history/", views.history, name="history"),
    path("history/<int:transfer_id>/", views.detail, name="detail"),
    path("history/<int:transfer_id>/refund/", views.refund, name="refund"),
    path("history/<int:transfer_id>/cancel/", views.cancel, name="cancel"),
    path("api/", api_views.api_clients, name="api_clients"),
    path(
        "api/<int:client_id>/revoke/",
        api_views.api_client_revoke_view,
        name="api_client_revoke",
    ),
]
