"""The DICT's error types, as `DomainError`s: the simulator raises them, the HTTP client
translates the DICT's problem documents into them, our services catch them."""

from __future__ import annotations

from typing import Any

from apps.core.errors import DomainError

# --- Errors (DICT's error types) -------------------------------------------------------------


class DictError(DomainError):
    """An answer of the DICT that says no. `dict_type` is the DICT's error type name."""

    dict_type = "DictError"
    code = "dict_error"
    title = "Directory (DICT) refused the operation"

    def __init__(self, message: str = "", **kwargs: Any) -> None:
        super().__init__(message or self.title, **kwargs)


def _error(name: str, http_status: int, code: str, title: str) -> type[DictError]:
    return type(
        name,
        (DictError,),
        {"dict_type": name, "status_code": http_status, "code": code, "title": title},
    )


BadRequest = _error("BadRequest", 400, "dict_bad_request", "Invalid request to the DICT")
DictForbidden = _error("Forbidden", 403, "dict_forbidden", "Not allowed by the DICT")
EntryInvalid = _error("EntryInvalid", 400, "entry_invalid", "Invalid key entry")
EntryTaxIdNumberByDifferentOwner = _error(
    "EntryTaxIdNumberByDifferentOwner", 400, "entry_tax_id_mismatch", "Key is not the owner's"
)
EntryLimitExceeded = _error("EntryLimitExceeded", 422, "key_limit_reached", "Key limit reached")
EntryAlreadyExists = _error("EntryAlreadyExists", 409, "key_already_registered", "Key exists")
EntryKeyOwnedByDifferentPerson = _error(
    "EntryKeyOwnedByDifferentPerson",
    409,
    "key_ownership_claim_available",
    "Key held by another person",
)
EntryKeyInCustodyOfDifferentParticipant = _error(
    "EntryKeyInCustodyOfDifferentParticipant",
    409,
    "key_portability_available",
    "Key held at another institution",
)
EntryLockedByClaim = _error("EntryLockedByClaim", 409, "key_locked_by_claim", "Key under claim")
EntryNotFound = _error("NotFound", 404, "key_not_found", "Pix key not found")
RequestIdAlreadyUsed = _error(
    "RequestIdAlreadyUsed", 409, "dict_request_id_reused", "RequestId reused"
)
RateLimited = _error("RateLimited", 429, "rate_limited", "Too many look-ups")
ClaimInvalid = _error("ClaimInvalid", 400, "claim_invalid", "Invalid claim")
ClaimTypeInconsistent = _error(
    "ClaimTypeInconsistent", 422, "claim_type_inconsistent", "Wrong claim type for this key"
)
ClaimKeyNotFound = _error("ClaimKeyNotFound", 404, "claim_key_not_found", "Key not in the DICT")
ClaimAlreadyExistsForKey = _error(
    "ClaimAlreadyExistsForKey", 409, "claim_already_exists", "A claim is already in progress"
)
ClaimResultingEntryAlreadyExists = _error(
    "ClaimResultingEntryAlreadyExists", 409, "claim_resulting_entry_exists", "Nothing to claim"
)
ClaimOperationInvalid = _error(
    "ClaimOperationInvalid", 409, "claim_operation_invalid", "Claim operation not allowed now"
)
ClaimResolutionPeriodNotEnded = _error(
    "ClaimResolutionPeriodNotEnded", 409, "claim_resolution_period_running", "Too early"
)
ClaimCompletionPeriodNotEnded = _error(
    "ClaimCompletionPeriodNotEnded", 409, "claim_completion_period_running", "Too early"
)
ClaimNotFound = _error("ClaimNotFound", 404, "claim_not_found", "Claim not found")
DictUnavailable = _error("ServiceUnavailable", 503, "dict_unavailable", "DICT unavailable")
InfractionReportInvalid = _error(
    "InfractionReportInvalid", 400, "infraction_report_invalid", "Invalid infraction report"
)
InfractionReportOperationInvalid = _error(
    "InfractionReportOperationInvalid",
    409,
    "infraction_report_operation_invalid",
    "Infraction report operation not allowed now",
)
InfractionReportTransactionNotFound = _error(
    "InfractionReportTransactionNotFound",
    404,
    "infraction_report_transaction_not_found",
    "Transaction of the infraction report not found",
)
InfractionReportTransactionNotSettled = _error(
    "InfractionReportTransactionNotSettled",
    422,
    "infraction_report_transaction_not_settled",
    "Transaction of the infraction report was not settled",
)
InfractionReportAlreadyBeingProcessedForTransaction = _error(
    "InfractionReportAlreadyBeingProcessedForTransaction",
    409,
    "infraction_report_already_open",
    "An infraction report for this transaction is in progress",
)
InfractionReportAlreadyProcessedForTransaction = _error(
    "InfractionReportAlreadyProcessedForTransaction",
    409,
    "infraction_report_already_closed",
    "An infraction report for this transaction was already closed",
)
InfractionReportPeriodExpired = _error(
    "InfractionReportPeriodExpired",
    422,
    "infraction_report_period_expired",
    "The period to report this transaction has ended",
)
# The DICT answers an unknown report id with its generic NotFound type (EntryNotFound's):
# the HTTP client translates it for infraction operations.
InfractionReportNotFound = _error(
    "InfractionReportNotFound", 404, "infraction_report_not_found", "Infraction report not found"
)

ERRORS_BY_TYPE: dict[str, type[DictError]] = {
    cls.dict_type: cls
    for cls in (
        BadRequest,
        DictForbidden,
        EntryInvalid,
        EntryTaxIdNumberByDifferentOwner,
        EntryLimitExceeded,
        EntryAlreadyExists,
        EntryKeyOwnedByDifferentPerson,
        EntryKeyInCustodyOfDifferentParticipant,
        EntryLockedByClaim,
        EntryNotFound,
        RequestIdAlreadyUsed,
        RateLimited,
        ClaimInvalid,
        ClaimTypeInconsistent,
        ClaimKeyNotFound,
        ClaimAlreadyExistsForKey,
        ClaimResultingEntryAlreadyExists,
        ClaimOperationInvalid,
        ClaimResolutionPeriodNotEnded,
        ClaimCompletionPeriodNotEnded,
        DictUnavailable,
        InfractionReportInvalid,
        InfractionReportOperationInvalid,
        InfractionReportTransactionNotFound,
        InfractionReportTransactionNotSettled,
        InfractionReportAlreadyBeingProcessedForTransaction,
        InfractionReportAlreadyProcessedForTransaction,
        InfractionReportPeriodExpired,
    )
}
