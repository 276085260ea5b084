"""/api/v1/loans/... (included from athena/api_urls.py)."""

from django.urls import path

from apps.loans import api, api_loans

urlpatterns = [
    path("simulations", api.LoanSimulationApi.as_view(), name="api-loan-simulations"),
    path("late-charges", api.LateChargesApi.as_view(), name="api-loan-late-charges"),
    path("model", api_loans.CreditModelApi.as_view(), name="api-loan-model"),
    path("applications", api_loans.LoanApplyApi.as_view(), name="api-loan-apply"),
    path("", api_loans.LoanListApi.as_view(), name="api-loans"),
    path("<str:loan_id>", api_loans.LoanDetailApi.as_view(), name="api-loan"),
    path("<str:loan_id>/contract", api_loans.LoanContractApi.as_view(), name="api-loan-contract"),
    path("<str:loan_id>/cancel", api_loans.LoanCancelApi.as_view(), name="api-loan-cancel"),
    path("<str:loan_id>/pay", api_loans.LoanPayApi.as_view(), name="api-loan-pay"),
    path("<str:loan_id>/prepay", api_loans.LoanPrepayApi.as_view(), name="api-loan-prepay"),
    path("<str:loan_id>/payoff", api_loans.LoanPayoffApi.as_view(), name="api-loan-payoff"),
    path("<str:loan_id>/ccb", api_loans.LoanCcbApi.as_view(), name="api-loan-ccb"),
]
