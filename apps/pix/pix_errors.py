"""BACEN's API Pix error types for received Pix, their refunds and webhooks.

Like apps/pix/charge_errors.py (whose base URI, `violation` helper and general errors these
reuse): `code` is the full type URI, which apps.core.errors renders as the problem's `type`,
and `violations` carry `violacoes`. The names are the specification's, including its
spelling (PixDevolucaoNaoEncontrada)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError, NotFound, ValidationFailed

from .charge_errors import BACEN_ERROR_BASE, violation


class PixNaoEncontrado(NotFound):
    code = BACEN_ERROR_BASE + "PixNaoEncontrado"
    title = _("Pix not found.")


class PixDevolucaoNaoEncontrada(NotFound):
    code = BACEN_ERROR_BASE + "PixDevolucaoNaoEncontrada"
    title = _("Refund not found.")


class PixConsultaInvalida(ValidationFailed):
    code = BACEN_ERROR_BASE + "PixConsultaInvalida"
    title = _("Invalid query of received Pix.")


class PixDevolucaoInvalida(ValidationFailed):
    code = BACEN_ERROR_BASE + "PixDevolucaoInvalida"
    title = _("Invalid refund.")


class WebhookOperacaoInvalida(ValidationFailed):
    code = BACEN_ERROR_BASE + "WebhookOperacaoInvalida"
    title = _("Invalid webhook.")


class WebhookNaoEncontrado(NotFound):
    code = BACEN_ERROR_BASE + "WebhookNaoEncontrado"
    title = _("Webhook not found.")


class WebhookConsultaInvalida(ValidationFailed):
    code = BACEN_ERROR_BASE + "WebhookConsultaInvalida"
    title = _("Invalid query of webhooks.")


def with_violation(
    cls: type[DomainError], message: Any, *, prop: str, value: Any = None
) -> DomainError:
    """`cls` with one violation on `prop` (the body's or the path's name for it)."""
    text = str(message)
    return cls(text, field=prop, value=value, violations=[violation(text, prop, value)])


def with_violations(cls: type[DomainError], violations: list[dict]) -> DomainError:
    """`cls` carrying several violations (a serializer's errors, flattened)."""
    detail = (
        violations[0]["razao"]
        if len(violations) == 1
        else str(_("The request has invalid fields."))
    )
    first = violations[0] if violations else {}
    return cls(
        detail,
        field=first.get("propriedade"),
        value=first.get("valor"),
        violations=violations or None,
    )
