"""Portal pages of boletos, included by athena/portal_urls.py under /boletos/ as
"portal:boleto:*"."""

from django.urls import path

from apps.boleto.portal import views

app_name = "boleto"

urlpatterns = [
    path("", views.pay, name="pay"),
    path("pay/<uuid:token>/confirm/", views.pay_confirm, name="pay_confirm"),
    path("pay/<uuid:token>/receipt/", views.pay_receipt, name="pay_receipt"),
    path("dda/", views.dda, name="dda"),
    path("payments/", views.payments_list, name="payments"),
    path("payments/<uuid:payment_id>/", views.payment_detail, name="payment_detail"),
    path("payments/<uuid:payment_id>/cancel/", views.payment_cancel, name="payment_cancel"),
    path("issue/", views.issue, name="issue"),
    path("issued/", views.issued, name="issued"),
    path("issued/<uuid:boleto_id>/", views.issued_detail, name="issued_detail"),
    path("issued/<uuid:boleto_id>/pdf/", views.issued_pdf, name="issued_pdf"),
    path("issued/<uuid:boleto_id>/cancel/", views.issued_cancel, name="issued_cancel"),
]
