"""/api/v1/loans/... (included from athena/api_urls.py)."""

from django.urls import path

from apps.loans import api

urlpatterns = [
    path("simulations", api.LoanSimulationApi.as_view(), name="api-loan-simulations"),
    path("late-charges", api.LateChargesApi.as_view(), name="api-loan-late-charges"),
]
