"""Routes of MED (infraction reports) and cautionary blocks under /api/v1/pix/."""

from django.urls import path

from apps.pix.med import api as med_api

urlpatterns = [
    path(
        "transfers/<str:end_to_end_id>/infractions",
        med_api.TransferInfractionCreateApi.as_view(),
        name="api-pix-transfer-infractions",
    ),
    path("infractions", med_api.InfractionListApi.as_view(), name="api-pix-infractions"),
    path(
        "infractions/<int:report_id>/cancel",
        med_api.InfractionCancelApi.as_view(),
        name="api-pix-infraction-cancel",
    ),
    path("med/queue", med_api.MedQueueApi.as_view(), name="api-pix-med-queue"),
    path(
        "med/reports/<int:report_id>/acknowledge",
        med_api.MedReportAcknowledgeApi.as_view(),
        name="api-pix-med-report-acknowledge",
    ),
    path(
        "med/reports/<int:report_id>/close",
        med_api.MedReportCloseApi.as_view(),
        name="api-pix-med-report-close",
    ),
    path("med/blocks", med_api.MedBlockCreateApi.as_view(), name="api-pix-med-blocks"),
    path(
        "med/blocks/<int:block_id>/release",
        med_api.MedBlockReleaseApi.as_view(),
        name="api-pix-med-block-release",
    ),
]
