"""The domain errors of TED (apps.core.errors renders them as problem+json)."""

from __future__ import annotations

from apps.core.errors import Conflict, DomainError, NotFound


class WireNotFound(NotFound):
    code = "wire_not_found"


class BankNotFound(NotFound):
    code = "bank_not_found"
    title = "Participant not found"


class UnknownDestination(DomainError):
    """The destination bank is not in the directory or does not take part in STR."""

    code = "unknown_destination"
    title = "Destination bank not reachable by TED"


class BeneficiaryOnSanctionsList(DomainError):
    code = "beneficiary_on_sanctions_list"
    title = "Transfer stopped by compliance screening"


class WireNotCancellable(Conflict):
    code = "wire_not_cancellable"
    title = "The TED can no longer be cancelled"


class StrUnavailable(DomainError):
    code = "str_unavailable"
    title = "STR unavailable"
    status_code = 503
