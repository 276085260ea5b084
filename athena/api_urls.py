"""The /api/v1/ surface: each app contributes its routes; paths have no trailing slash."""

from django.urls import include, path

from apps.accounts import api as accounts_api
from apps.accounts import statement_api
from apps.boleto.issuing import api as boleto_api
from apps.core import api as core_api

urlpatterns = [
    path("me", core_api.MeApi.as_view(), name="api-me"),
    path("accounts", accounts_api.AccountListApi.as_view(), name="api-accounts"),
    path("transfers", accounts_api.TransferCreateApi.as_view(), name="api-transfers"),
    path(
        "accounts/<int:account_id>/statement",
        statement_api.StatementApi.as_view(),
        name="api-account-statement",
    ),
    path(
        "accounts/<int:account_id>/statement.csv",
        statement_api.StatementCsvApi.as_view(),
        name="api-account-statement-csv",
    ),
    path(
        "accounts/<int:account_id>/statement.pdf",
        statement_api.StatementPdfApi.as_view(),
        name="api-account-statement-pdf",
    ),
    path(
        "accounts/<int:account_id>/statement.ofx",
        statement_api.StatementOfxApi.as_view(),
        name="api-account-statement-ofx",
    ),
    path("pix/", include("apps.pix.urls")),
    path("boletos/", include("apps.boleto.urls")),
    path("boletos", boleto_api.BoletoListApi.as_view(), name="api-boletos"),
    path("", include("apps.wire.urls")),
    path("", include("apps.cards.urls")),
    path("loans/", include("apps.loans.urls")),
    path("kyc/", include("apps.kyc.urls")),
    path("privacy/", include("apps.privacy.urls")),
    path("compliance/", include("apps.compliance.urls")),
]
