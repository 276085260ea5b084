"""REST API of screening, for compliance roles.

    POST /api/v1/compliance/screenings   {"name", "birth_date"?, "country"?}
         -> 200 {"matches": [{"list", "entry_id", "name", "score"}]}, best score first, only
            hits at or above SCREENING_ALERT_THRESHOLD (an empty list means clear).

Needs the `compliance.screen_names` permission (the compliance_officer role, and admins);
customers and operators get 403. Ad hoc queries are not recorded as screenings (nobody is
the subject), but each one is in the audit log, as a data lookup.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.audit import record_event

from . import services
from .countries import country_key, is_known_code
from .matching import normalize
from .models import Source

TAG = "Compliance"
PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="application/problem+json")
NO_STORE = {"Cache-Control": "private, no-store"}
PERMISSION = "compliance.screen_names"


class CanScreen(BasePermission):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.has_perm(PERMISSION))


class MatchOutput(serializers.Serializer):
    list = serializers.ChoiceField(choices=Source.choices)
    entry_id = serializers.CharField(help_text=_("The list's own id (OFAC ent_num, UN DATAID)."))
    name = serializers.CharField()
    score = serializers.IntegerField(min_value=0, max_value=100)


class ScreeningOutput(serializers.Serializer):
    matches = MatchOutput(many=True)


class ScreeningApi(APIView):
    permission_classes = [CanScreen]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=300, trim_whitespace=True)
        birth_date = serializers.DateField(required=False, allow_null=True, default=None)
        country = serializers.CharField(
            max_length=80,
            required=False,
            allow_blank=True,
            default="",
            help_text=_("ISO 3166 alpha-2 code or country name."),
        )

        def validate_name(self, value: str) -> str:
            if not normalize(value):
                raise serializers.ValidationError(_("The name has no letters to match."))
            return value

        def validate_country(self, value: str) -> str:
            value = value.strip()
            if len(value) == 2 and not is_known_code(value):
                raise serializers.ValidationError(_("Unknown ISO 3166 alpha-2 country code."))
            if value and not country_key(value):
                raise serializers.ValidationError(_("Not a country name or code."))
            return value

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={
            200: ScreeningOutput,
            400: PROBLEM,
            401: PROBLEM,
            403: PROBLEM,
        },
        summary="Screen a name against the sanctions, PEP and internal lists",
        description=(
            "Fuzzy match (reordered, accented, misspelled and transliterated names, aliases); "
            "birth date and country adjust the score when the list knows them. Answers only "
            "the hits at or above the alerting threshold: an empty list means clear."
        ),
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        matches = services.screen(
            values["name"], birth_date=values["birth_date"], country=values["country"] or None
        )
        record_event(
            "compliance.screening_query",
            request=request,
            detail={"hits": len(matches)},
        )
        body = ScreeningOutput(
            {
                "matches": [
                    {"list": m.list, "entry_id": m.entry_id, "name": m.name, "score": m.score}
                    for m in matches
                ]
            }
        ).data
        return Response(body, headers=NO_STORE)
