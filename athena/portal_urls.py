"""Customer portal pages, gathered from the apps."""

from django.urls import include, path

from apps.accounts import statement_views
from apps.accounts import views as accounts_views

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("statement/<int:account_id>/", statement_views.statement, name="statement"),
    path(
        "statement/<int:account_id>/lines/",
        statement_views.statement_lines,
        name="statement_lines",
    ),
]

# Dashboard partials and the book transfer (apps.accounts.views).
urlpatterns += [
    path("dashboard/accounts/", accounts_views.dashboard_accounts, name="dashboard_accounts"),
    path("dashboard/activity/", accounts_views.dashboard_activity, name="dashboard_activity"),
    path("transfer/", accounts_views.transfer, name="transfer"),
    path(
        "transfer/<uuid:token>/confirm/",
        accounts_views.transfer_confirm,
        name="transfer_confirm",
    ),
    path(
        "transfer/<uuid:token>/receipt/",
        accounts_views.transfer_receipt,
        name="transfer_receipt",
    ),
]

# Pix (apps.pix.portal.views): reversed as "portal:pix:<name>".
urlpatterns += [path("pix/", include("apps.pix.portal.urls"))]

# Identity verification (apps.kyc.portal_views): "portal:kyc:<name>".
urlpatterns += [path("verification/", include("apps.kyc.portal_urls"))]

# "Meus dados" (apps.privacy.portal_views): reversed as "portal:privacy:<name>".
urlpatterns += [path("privacy/", include("apps.privacy.portal_urls"))]

# Boletos (apps.boleto.portal.views): reversed as "portal:boleto:<name>".
urlpatterns += [path("boletos/", include("apps.boleto.portal.urls"))]

# TED (apps.wire.portal.views): reversed as "portal:ted:<name>".
urlpatterns += [path("ted/", include("apps.wire.portal.urls"))]

# Cards (apps.cards.portal.views): reversed as "portal:cards:<name>".
urlpatterns += [path("cards/", include("apps.cards.portal.urls"))]

# Loans (apps.loans.portal.views): reversed as "portal:loans:<name>".
urlpatterns += [path("loans/", include("apps.loans.portal.urls"))]
