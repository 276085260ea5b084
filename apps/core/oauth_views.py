"""`POST /oauth/token`: the client credentials grant (RFC 6749 sections 4.4 and 5).

Client authentication by HTTP Basic (preferred) or `client_id`/`client_secret` in the body;
`application/x-www-form-urlencoded` as the RFC says, JSON accepted too. Answers are never
cached; errors use the RFC's `error` codes, not the API's problem+json."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.api_client_auth import CertificateProblem, client_cert_thumbprint
from apps.core.api_clients import OAuthError, client_credentials_from, token_issue
from apps.core.parsers import SafeFormParser, SafeJSONParser
from apps.core.throttling import PerIPThrottle

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

TOKEN_ANSWER = inline_serializer(
    "OAuthToken",
    {
        "access_token": serializers.CharField(),
        "token_type": serializers.CharField(),
        "expires_in": serializers.IntegerField(),
        "scope": serializers.CharField(),
    },
)
OAUTH_ERROR = inline_serializer(
    "OAuthError",
    {"error": serializers.CharField(), "error_description": serializers.CharField()},
)


def _error(error: OAuthError, *, basic: bool) -> Response:
    headers = dict(NO_STORE)
    if error.status == 401 and basic:
        headers["WWW-Authenticate"] = 'Basic realm="oauth"'
    return Response(
        {"error": error.error, "error_description": error.description},
        status=error.status,
        headers=headers,
    )


class OAuthTokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PerIPThrottle]
    parser_classes = [SafeFormParser, MultiPartParser, SafeJSONParser]

    @extend_schema(
        request=inline_serializer(
            "OAuthTokenRequest",
            {
                "grant_type": serializers.ChoiceField(choices=["client_credentials"]),
                "scope": serializers.CharField(required=False),
                "client_id": serializers.CharField(required=False),
                "client_secret": serializers.CharField(required=False),
            },
        ),
        responses={
            200: TOKEN_ANSWER,
            400: OpenApiResponse(OAUTH_ERROR),
            401: OpenApiResponse(OAUTH_ERROR),
        },
        summary="Access token for an integrator (OAuth 2.0 client credentials)",
        tags=["oauth"],
    )
    def post(self, request):
        body = request.data if hasattr(request.data, "get") else {}
        credentials = client_credentials_from(request.headers.get("Authorization", ""), body)
        basic = request.headers.get("Authorization", "")[:6].lower() == "basic "
        try:
            if body.get("grant_type") != "client_credentials":
                raise OAuthError(
                    "unsupported_grant_type" if body.get("grant_type") else "invalid_request",
                    "grant_type must be client_credentials.",
                )
            if credentials is None:
                raise OAuthError("invalid_client", "Client authentication is missing.", 401)
            scope = body.get("scope")
            if scope is not None and not isinstance(scope, str):
                raise OAuthError("invalid_scope", "scope is a space-separated string.")
            try:
                thumbprint = client_cert_thumbprint(request)
            except CertificateProblem as exc:
                raise OAuthError("invalid_client", str(exc), 401) from exc
            token, issued = token_issue(
                client_id=credentials[0],
                secret=credentials[1],
                scope=scope,
                cert_thumbprint=thumbprint or "",
            )
        except OAuthError as error:
            return _error(error, basic=basic)
        return Response(
            {
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": settings.API_TOKEN_TTL_SECONDS,
                "scope": issued.scope,
            },
            headers=NO_STORE,
        )
