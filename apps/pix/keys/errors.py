"""Errors of Pix keys and claims (apps.core.errors renders them as problem+json)."""

from __future__ import annotations

from apps.core.errors import Conflict, DomainError, ValidationFailed
from apps.pix.adapters import dict as dict_api


class KeyLimitReached(DomainError):
    code = "key_limit_reached"
    title = "Pix key limit reached"


class KeyNotAllowed(ValidationFailed):
    code = "key_not_allowed"
    title = "This key cannot be registered by this customer"


class KeyHeldElsewhere(Conflict):
    """The key is in the DICT for someone else or at another institution: a claim is the
    way to get it. `claim_type` says which."""

    title = "Key registered elsewhere: a claim can be opened"

    def __init__(self, message: str, *, claim_type: str) -> None:
        super().__init__(
            message,
            code=(
                "key_ownership_claim_available"
                if claim_type == dict_api.OWNERSHIP
                else "key_portability_available"
            ),
            field="key",
        )
        self.claim_type = claim_type


class CodeRejected(ValidationFailed):
    code = "ownership_code_invalid"
    title = "Possession code not accepted"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, field="code")
