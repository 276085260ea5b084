"""OpenAPI pieces shared by the Pix REST API views of every sub-package."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Unique per intended operation; a replay returns the first response.",
)
PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")
NO_STORE = {"Cache-Control": "private, no-store"}
