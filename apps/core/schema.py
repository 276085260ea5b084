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


PROBLEM_DESCRIPTION = "application/problem+json"
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 7807 problem details (apps.core.errors), as BACEN's API Pix answers.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "correlationId": {"type": "string"},
        "violacoes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"razao": {"type": "string"}, "propriedade": {}, "valor": {}},
            },
        },
    },
    "required": ["type", "title", "status"],
}


def problem_responses(result, generator, request, public):
    """POSTPROCESSING_HOOKS: every error answer a view declares as a problem (an
    OpenApiResponse described "application/problem+json") is documented with that media type
    and the Problem schema, as the server sends it. Declared as plain JSON, a client
    generator and schemathesis' content-type check would both expect application/json."""
    declared = False
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                if response.get("description") == PROBLEM_DESCRIPTION:
                    response["content"] = {
                        PROBLEM_DESCRIPTION: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }
                    declared = True
    if declared:
        result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    return result
