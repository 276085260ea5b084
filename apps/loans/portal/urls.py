"""Portal pages of loans, included by athena/portal_urls.py under /loans/ as
"portal:loans:*"."""

from django.urls import path

from apps.loans.portal import views

app_name = "loans"

urlpatterns = [
    path("", views.home, name="home"),
    path("simulate/", views.simulate, name="simulate"),
    path("apply/", views.apply, name="apply"),
    path("model/", views.model, name="model"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/ccb.pdf", views.ccb, name="ccb"),
    path("<uuid:public_id>/contract/", views.contract, name="contract"),
    path("<uuid:public_id>/cancel/", views.cancel, name="cancel"),
    path("<uuid:public_id>/pay/", views.pay, name="pay"),
    path("<uuid:public_id>/prepay/", views.prepay, name="prepay"),
    path("<uuid:public_id>/payoff/", views.payoff, name="payoff"),
    path("<uuid:public_id>/review/", views.review, name="review"),
]
