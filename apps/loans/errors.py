"""The domain errors of loans (apps.core.errors renders them as problem+json).

Every input a calculator refuses is a 422 `invalid_loan_terms` naming the field in
`violacoes`, whether the text did not parse (the serializer) or a rule of the pricing
package said no (apps.loans.pricing raises PricingError with a rule code; the messages,
translated, live here).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.errors import Conflict, DomainError, NotFound

from .pricing import PricingError


class InvalidLoanTerms(DomainError):
    code = "invalid_loan_terms"
    title = "Loan terms out of range"


# One message per rule of apps.loans.pricing (limits, schedule, iof, cet, late_charges).
_RULE_MESSAGES = {
    "not_a_number": gettext_lazy("Enter a number."),
    "not_positive": gettext_lazy("The value must be greater than zero."),
    "negative": gettext_lazy("The value cannot be negative."),
    "too_large": gettext_lazy("The value must be at most %(maximum)s."),
    "too_many_places": gettext_lazy("Use at most %(places)s decimal places."),
    "rate_too_large": gettext_lazy("The monthly rate must be at most %(maximum)s%%."),
    "not_an_integer": gettext_lazy("Enter a whole number."),
    "below_minimum": gettext_lazy("The value must be at least %(minimum)s."),
    "above_maximum": gettext_lazy("The value must be at most %(maximum)s."),
    "unknown_system": gettext_lazy("Choose PRICE or SAC."),
    "unknown_borrower": gettext_lazy("Choose natural_person, company or company_simples."),
    "before_iof_table": gettext_lazy(
        "The release date must be on or after %(earliest)s, the first day of the IOF rates on file."
    ),
    "release_too_late": gettext_lazy("The release date must be on or before %(latest)s."),
    "due_date_past_calendar": gettext_lazy("The due dates would run past the year 9999."),
    "before_release": gettext_lazy("The first due date cannot be before the release date."),
    "too_far": gettext_lazy(
        "The first due date must be at most %(days)s days after the release date."
    ),
    "not_amortizable": gettext_lazy(
        "These terms cannot be paid off in %(installments)s installments to the centavo: "
        "the roundings would take the balance below zero or leave an installment of zero. "
        "Choose fewer installments, a lower rate or a larger principal."
    ),
    "charges_exceed_principal": gettext_lazy(
        "The fees plus the IOF (%(iof)s) must be less than the principal: nothing would be "
        "released."
    ),
    "cet_undefined": gettext_lazy(
        "No CET equates these payments to the amount released: what falls due on the "
        "release date already covers it."
    ),
    "cet_too_large": gettext_lazy(
        "These terms give a CET above 1,000,000,000%% a year (a month's interest for a few "
        "days, or fees that leave almost nothing released)."
    ),
    "charges_too_large": gettext_lazy(
        "The charges for this delay exceed the largest amount the API can express (%(maximum)s)."
    ),
}


def invalid_terms(error: PricingError, *, value: Any = None) -> InvalidLoanTerms:
    """The pricing package's refusal as the API's 422, in the reader's language."""
    template = _RULE_MESSAGES.get(error.rule)
    message = str(template) % error.params if template else _("The loan terms are invalid.")
    return InvalidLoanTerms(message, field=error.field, value=value)


def invalid_input(errors: dict) -> InvalidLoanTerms:
    """A serializer's field errors (text that is no number, no date, no choice) as a 422
    with one violation per message, like every refusal of these calculators."""
    violations = []
    for name, messages in errors.items():
        items = messages if isinstance(messages, list) else [messages]
        field = None if name == "non_field_errors" else name
        violations.extend(
            {"razao": str(message), "propriedade": field, "valor": None} for message in items
        )
    detail = (
        violations[0]["razao"] if len(violations) == 1 else _("The request has invalid fields.")
    )
    return InvalidLoanTerms(detail, violations=violations)


class LoanNotFound(NotFound):
    code = "loan_not_found"
    title = "Loan not found"


class LoanStateConflict(Conflict):
    code = "loan_state"
    title = "The loan is not in a state that allows this"


class NothingToPay(Conflict):
    code = "nothing_to_pay"
    title = "Nothing to pay"
