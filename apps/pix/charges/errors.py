"""BACEN's API Pix error types for charges (cob, cobv), locations (loc) and payloads.

A class's `code` is the full type URI (https://pix.bcb.gov.br/api/v2/error/<Name>), which
apps.core.errors renders as the problem's `type`; `violations` carry BACEN's
`violacoes` (razao, propriedade, valor). Services raise these; views never build bodies.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from apps.core.errors import DomainError, Forbidden, NotFound, ValidationFailed

BACEN_ERROR_BASE = "https://pix.bcb.gov.br/api/v2/error/"


def violation(reason: Any, prop: str, value: Any = None) -> dict:
    return {
        "razao": str(reason),
        "propriedade": prop,
        "valor": None if value is None else str(value)[:200],
    }


class _Bacen:
    """Mixin: `name` gives the type URI; the first violation (if any) names the field."""

    name = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            cls.code = BACEN_ERROR_BASE + cls.name


class RequisicaoInvalida(_Bacen, ValidationFailed):
    name = "RequisicaoInvalida"
    title = _("Invalid request.")


class AcessoNegado(_Bacen, Forbidden):
    name = "AcessoNegado"
    title = _("Access denied.")


class NaoEncontrado(_Bacen, NotFound):
    name = "NaoEncontrado"
    title = _("Not found.")


class CobOperacaoInvalida(_Bacen, ValidationFailed):
    name = "CobOperacaoInvalida"
    title = _("Invalid charge.")


class CobNaoEncontrado(_Bacen, NotFound):
    name = "CobNaoEncontrado"
    title = _("Charge not found.")


class CobConsultaInvalida(_Bacen, ValidationFailed):
    name = "CobConsultaInvalida"
    title = _("Invalid charge query.")


class CobVOperacaoInvalida(_Bacen, ValidationFailed):
    name = "CobVOperacaoInvalida"
    title = _("Invalid charge with due date.")


class CobVNaoEncontrada(_Bacen, NotFound):
    name = "CobVNaoEncontrada"
    title = _("Charge with due date not found.")


class CobVConsultaInvalida(_Bacen, ValidationFailed):
    name = "CobVConsultaInvalida"
    title = _("Invalid query of charges with due date.")


class PayloadLocationOperacaoInvalida(_Bacen, ValidationFailed):
    name = "PayloadLocationOperacaoInvalida"
    title = _("Invalid payload location.")


class PayloadLocationNaoEncontrado(_Bacen, NotFound):
    name = "PayloadLocationNaoEncontrado"
    title = _("Payload location not found.")


class PayloadLocationConsultaInvalida(_Bacen, ValidationFailed):
    name = "PayloadLocationConsultaInvalida"
    title = _("Invalid query of payload locations.")


class CobPayloadNaoEncontrado(_Bacen, NotFound):
    """No charge at this location (404), or one that will never be payable again (410)."""

    name = "CobPayloadNaoEncontrado"
    title = _("Charge not found.")


class CobPayloadRemovido(CobPayloadNaoEncontrado):
    status_code = status.HTTP_410_GONE


class CobPayloadOperacaoInvalida(_Bacen, ValidationFailed):
    name = "CobPayloadOperacaoInvalida"
    title = _("Invalid request.")


# The errors of each kind of charge, so one service serves cob and cobv.
ERRORS_BY_KIND: dict[str, dict[str, type[DomainError]]] = {
    "cob": {
        "invalid": CobOperacaoInvalida,
        "not_found": CobNaoEncontrado,
        "query": CobConsultaInvalida,
    },
    "cobv": {
        "invalid": CobVOperacaoInvalida,
        "not_found": CobVNaoEncontrada,
        "query": CobVConsultaInvalida,
    },
}


def invalid(kind: str, message: Any, *, prop: str, value: Any = None) -> DomainError:
    """The kind's OperacaoInvalida with one violation on `prop` (e.g. "cob.chave")."""
    cls = ERRORS_BY_KIND[kind]["invalid"]
    return cls(str(message), field=prop, value=value, violations=[violation(message, prop, value)])


def not_found(kind: str) -> DomainError:
    cls = ERRORS_BY_KIND[kind]["not_found"]
    if kind == "cob":
        return cls(str(_("No charge (cob) with this txid.")))
    return cls(str(_("No charge with due date (cobv) with this txid.")))


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
