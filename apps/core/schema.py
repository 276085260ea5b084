"""OpenAPI extensions: how our authentication classes appear in /api/schema/."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.core.oidc.BearerTokenAuthentication"
    name = "oidcBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "OpenID Connect access token issued by Athena's Keycloak realm.",
        }


class AthenaAutoSchema(AutoSchema):
    """Names components of nested `InputSerializer`/`OutputSerializer` classes after their
    view ("TransferCreateApi.OutputSerializer" -> "TransferCreateOutput"), so the thin-view
    convention never makes two views collide on one component name."""

    def get_serializer_name(self, serializer, direction) -> str:
        cls = serializer.__class__
        outer, _, inner = cls.__qualname__.rpartition(".")
        if outer and inner in ("InputSerializer", "OutputSerializer"):
            view_name = outer.split(".")[-1].removesuffix("Api").removesuffix("View")
            return view_name + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)
