"""Kernel API: who am I."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        email = serializers.EmailField()
        full_name = serializers.CharField()
        groups = serializers.ListField(child=serializers.CharField())
        is_staff = serializers.BooleanField()

    @extend_schema(responses=OutputSerializer, summary="The authenticated caller")
    def get(self, request):
        user = request.user
        data = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.get_full_name(),
            "groups": sorted(user.groups.values_list("name", flat=True)),
            "is_staff": user.is_staff,
        }
        return Response(self.OutputSerializer(data).data)
