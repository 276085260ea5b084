"""Websocket routes of every app, gathered in one place."""

from django.urls import path

from apps.accounts.consumers import BalanceConsumer
from apps.monitoring.consumers import ComplianceQueueConsumer

websocket_urlpatterns: list = [
    path("ws/balances/", BalanceConsumer.as_asgi(), name="ws_balances"),
    path("ws/compliance/queue/", ComplianceQueueConsumer.as_asgi(), name="ws_compliance_queue"),
]
