"""A write endpoint used only by the idempotency tests: its one effect is an outbox row."""

import uuid

from django.urls import path
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import outbox
from apps.core.errors import ValidationFailed
from apps.core.idempotency import idempotent


class EchoWrite(APIView):
    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=50)

    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["note"] == "refuse":
            outbox.publish(topic="test.refused", payload={})
            raise ValidationFailed("refused on purpose", field="note")
        message = outbox.publish(topic="test.effect", payload={"note": data.validated_data["note"]})
        return Response(
            {"effect": str(message.id), "nonce": uuid.uuid4().hex}, status=status.HTTP_201_CREATED
        )


urlpatterns = [path("api/v1/test/echo", EchoWrite.as_view())]
