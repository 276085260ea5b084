"""Errors of Pix transfers: the domain errors of sending, receiving and refunding a Pix
(`spi_reason` is the code a refusal answers the SPI with), and BACEN's API Pix error types
for received Pix and their refunds.

The API Pix types are like apps/pix/charges/errors.py (whose base URI and `violation`
helper they reuse): `code` is the full type URI, which apps.core.errors renders as the
problem's `type`, and `violations` carry `violacoes`. The names are the specification's,
including its spelling (PixDevolucaoNaoEncontrada)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from apps.pix.charges.errors import BACEN_ERROR_BASE


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


class PixAccountNotFound(DomainError):
    """The creditor account of a Pix is not ours (the SPI gets RJCT AC03)."""

    code = "pix_account_not_found"
    title = "Unknown creditor account"
    spi_reason = "AC03"


class PixAccountBlocked(DomainError):
    """The creditor account is blocked for credits (RJCT AC06)."""

    code = "pix_account_blocked"
    title = "Creditor account blocked"
    spi_reason = "AC06"


class PixAccountClosed(DomainError):
    """The creditor account is closed (RJCT AC07, the catalogue's code for it)."""

    code = "pix_account_closed"
    title = "Creditor account closed"
    spi_reason = "AC07"


class PixChargeAmountMismatch(DomainError):
    """A Pix naming an active charge with a fixed amount pays another amount (RJCT AM09)."""

    code = "pix_charge_amount_mismatch"
    title = "Amount differs from the charge's"
    spi_reason = "AM09"


class PixChargeNotPayable(DomainError):
    code = "pix_charge_not_payable"
    title = "Charge cannot be paid"


class PixNotParticipant(DomainError):
    code = "pix_not_a_participant"
    title = "Institution does not take part in Pix"


class PixForeignLocation(DomainError):
    code = "pix_dynamic_code_foreign"
    title = "Dynamic code of another institution"


class PixPayeeChanged(DomainError):
    code = "pix_payee_changed"
    title = "Payee changed"


class PixNotScheduled(Conflict):
    code = "pix_not_scheduled"
    title = "Pix is not scheduled"


class PayeeOnSanctionsList(DomainError):
    """The payee matches a sanctions list or our internal watchlist: no Pix to them."""

    code = "pix_payee_screening_hit"
    title = "Payee held by compliance screening"


class RefundNotAllowed(DomainError):
    code = "pix_refund_not_allowed"
    title = "Refund not allowed"


class RefundExceedsOriginal(DomainError):
    code = "pix_refund_exceeds_original"
    title = "Refunds would exceed the original amount"


class RefundIdConflict(Conflict):
    code = "pix_refund_id_conflict"
    title = "Refund id already used with other data"
