"""Routes of /api/v1/pix/ (no trailing slashes, like the rest of /api/v1/)."""

from django.urls import include, path

from apps.pix.charges import brcode_api
from apps.pix.keys import api
from apps.pix.transfers import api as transfers_api
from apps.pix.transfers import limits_api

urlpatterns = [
    path("keys", api.KeyListApi.as_view(), name="api-pix-keys"),
    path("keys/lookup/<path:key>", api.KeyLookupApi.as_view(), name="api-pix-key-lookup"),
    path("keys/<int:key_id>", api.KeyDetailApi.as_view(), name="api-pix-key"),
    path("keys/<int:key_id>/confirm", api.KeyConfirmApi.as_view(), name="api-pix-key-confirm"),
    path("claims", api.ClaimListApi.as_view(), name="api-pix-claims"),
    path(
        "claims/<int:claim_id>/confirm",
        api.ClaimConfirmApi.as_view(),
        name="api-pix-claim-confirm",
    ),
    path("claims/<int:claim_id>/cancel", api.ClaimCancelApi.as_view(), name="api-pix-claim-cancel"),
    path("brcode/decode", brcode_api.BRCodeDecodeApi.as_view(), name="api-pix-brcode-decode"),
    path("brcode", brcode_api.BRCodeCreateApi.as_view(), name="api-pix-brcode"),
    path("transfers", transfers_api.TransferListApi.as_view(), name="api-pix-transfers"),
    # Before transfers/<e2e>, which would otherwise take "preview" for an endToEndId.
    path(
        "transfers/preview",
        transfers_api.TransferPreviewApi.as_view(),
        name="api-pix-transfer-preview",
    ),
    path(
        "transfers/<int:transfer_id>/cancel",
        transfers_api.TransferCancelApi.as_view(),
        name="api-pix-transfer-cancel",
    ),
    path("limits", limits_api.NightLimitApi.as_view(), name="api-pix-limits"),
    path(
        "transfers/<str:end_to_end_id>",
        transfers_api.TransferDetailApi.as_view(),
        name="api-pix-transfer",
    ),
    path("", include("apps.pix.med.urls")),
]
