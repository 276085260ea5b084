"""The accounts domain's errors, for every app that moves money (one module to import).

The ledger raises the first three when PostgreSQL refuses a movement; the money gate raises
the last two (and AccountUnavailable) before anything is written.
"""

from __future__ import annotations

from rest_framework import status

from apps.core.errors import DomainError


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    title = "Insufficient funds"


class AccountUnavailable(DomainError):
    code = "account_unavailable"
    title = "Account does not allow this movement"


class UnknownAccount(DomainError):
    code = "account_not_found"
    title = "Unknown account"


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    title = "Transaction limit exceeded"


class FeatureLocked(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "kyc_level_required"
    title = "Identity verification level required"
