"""The domain errors of boletos (apps.core.errors renders them as problem+json)."""

from __future__ import annotations

from apps.core.errors import Conflict, DomainError, NotFound, ValidationFailed


class InvalidBoletoCode(DomainError):
    """The code fails a rule of the FEBRABAN layout (422, naming the rule)."""

    code = "invalid_boleto_code"
    title = "Invalid boleto code"


class BoletoNotPayable(DomainError):
    """CIP says the boleto cannot be paid (unknown, paid, written off, past its limit)."""

    code = "boleto_not_payable"
    title = "Boleto not payable"


class BoletoAlreadyPaid(Conflict):
    code = "boleto_already_paid"
    title = "Boleto already paid"


class BeneficiaryOnSanctionsList(DomainError):
    code = "beneficiary_on_sanctions_list"
    title = "Payment stopped by compliance screening"


class BoletoInvalid(ValidationFailed):
    code = "boleto_invalid"


class BoletoNotFound(NotFound):
    code = "boleto_not_found"


class RegistryUnavailable(DomainError):
    """CIP or COMPE could not be asked: nothing was done; try again."""

    status_code = 503
    code = "registry_unavailable"
    title = "Boleto registry unavailable"


class CnabFileRejected(ValidationFailed):
    """A CNAB file failed a rule; `line` and `field` name where."""

    code = "cnab_file_rejected"
