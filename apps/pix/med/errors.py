"""Errors of MED (apps.core.errors renders them as problem+json)."""

from __future__ import annotations

from apps.core.errors import DomainError


class MedNotAllowed(DomainError):
    code = "pix_med_not_allowed"
    title = "Not allowed by the MED rules"
