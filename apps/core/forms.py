"""Form pieces every portal page shares: money typed the Brazilian way, account pickers,
and the confirmation step of a payment (fixed values, signed)."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from apps.core.money import AmountError, format_brl, parse_amount

AMOUNT_MESSAGES = {
    "amount_invalid": _("Enter an amount such as 1.234,56 or 1234.56 (at most two decimals)."),
    "amount_zero": _("The amount must be greater than zero."),
}


# pt-BR writes thousands with dots and decimals with a comma: "1.234,56". The shared parser
# (apps.core.money.parse_amount, strict=False) reads one separator only, "1234,56" or
# "1234.56", and rightly refuses "1.234,56" (the API must stay strict). So the form drops
# the dots when, and only when, the text is a well-formed pt-BR grouping ("1.234",
# "12.345.678,90"): groups of exactly three digits after each dot. Read the other way,
# such a text would have three decimal places, which the parser refuses anyway, so no
# valid reading is lost; "1.234" is R$ 1.234,00, as a Brazilian means it, and the
# confirmation page shows the amount in full before anything moves. Everything else
# ("12.5", "1,234.56", "1.23.4") goes to the parser as typed. No float anywhere.
_PT_BR_GROUPED = re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d{1,2})?$")
_CURRENCY_PREFIX = re.compile(r"^R\$\s*", re.IGNORECASE)


def parse_portal_amount(text: str) -> int:
    """Centavos from what a person types: "1.234,56", "1234,56", "1234.56", "12.5", "12",
    "R$ 12,34".

    Raises `forms.ValidationError` (translated) for anything else, zero included.
    """
    value = _CURRENCY_PREFIX.sub("", text.strip())
    if not value.isascii():
        # `\d` also matches other scripts' digits ("١٢"), which Decimal would happily read.
        raise forms.ValidationError(AMOUNT_MESSAGES["amount_invalid"], code="invalid")
    if _PT_BR_GROUPED.match(value):
        value = value.replace(".", "")
    try:
        cents = parse_amount(value, strict=False, allow_zero=True)
    except AmountError:
        raise forms.ValidationError(AMOUNT_MESSAGES["amount_invalid"], code="invalid") from None
    if cents == 0:
        raise forms.ValidationError(AMOUNT_MESSAGES["amount_zero"], code="min_value")
    return cents


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        # Short enough for the narrow form; the branch is always 0001.
        return _("%(number)s · available %(available)s") % {
            "number": obj.number,
            "available": format_brl(obj.available_balance),
        }


class PortalForm(forms.Form):
    """A portal form that puts the keyboard focus on its first error, without JavaScript
    (the `autofocus` attribute), and can take a service's refusal as an error of its own.

    Subclasses say how a domain error reads (`domain_error_message`, in the reader's
    language) and where a service's `field` lands (`domain_fields`)."""

    #: Where an error of the service's `field` lands on this form (others: non-field).
    domain_fields: dict[str, str] = {}
    #: Set when the first error is not a field's: the template focuses the error summary.
    non_field_focus = False

    def full_clean(self) -> None:
        super().full_clean()
        self.focus_first_error()

    def focus_first_error(self) -> None:
        if not self.is_bound or not self._errors:
            return
        for field in self.fields.values():
            field.widget.attrs.pop("autofocus", None)
        for name, field in self.fields.items():
            if name in self._errors and not field.widget.is_hidden:
                field.widget.attrs["autofocus"] = True
                return
        self.non_field_focus = True

    def domain_error_message(self, exc) -> str:
        return exc.message

    def add_domain_error(self, exc, *, field: str | None = None) -> None:
        target = field or self.domain_fields.get(exc.field or "")
        if target not in self.fields:
            target = None
        self.add_error(target, self.domain_error_message(exc))
        self.focus_first_error()

    def add_check_error(self, exc) -> None:
        """A first-step check's refusal (`accounts.services.debit_precheck`: the balance,
        the limits, the KYC level) in the check's own words, which name the amount
        available or the limit left in the reader's language (a generic message per code
        would lose them), on the amount field when it names it, else above the form."""
        target = exc.field if exc.field in self.fields else None
        self.add_error(target, exc.message)
        self.focus_first_error()


# --- The confirmation step ----------------------------------------------------------------

CONFIRMATION_SALT = "athena.portal.confirmation"
CONFIRMATION_MESSAGES = {
    "altered": _(
        "What was confirmed is not what this page shows: nothing was paid. Check the values "
        "below and confirm again."
    ),
}


def _canonical(values: dict[str, Any]) -> Any:
    """The values as JSON reads them back (ints, strings, lists), so that what was signed
    compares equal to what is about to be paid."""
    return json.loads(json.dumps(values, sort_keys=True, default=str))


def sign_shown(*, token: str, values: dict[str, Any]) -> str:
    return signing.dumps({"token": token, "values": _canonical(values)}, salt=CONFIRMATION_SALT)


class ConfirmationForm(PortalForm):
    """The confirmation step of a portal payment. No field can change what is paid: the
    page shows the fixed values (amount, fee, total, payee masked, date) as text, and the
    same values travel back signed in one hidden field (`shown`). The view gives the values
    it is about to pay (from the session, never from the request); a POST whose signed
    values are not those, or not for this token, is refused and pays nothing: an altered
    hidden field, a confirmation of another payment, or a page shown before the payment
    was quoted again (the view calls `show()` with the new values, so the page asks again).
    """

    shown = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20_000)

    def __init__(self, *args, token: str, values: dict[str, Any], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.token = token
        self.show(values)

    def show(self, values: dict[str, Any]) -> None:
        """The values the page shows now (and signs for the next POST)."""
        self.values = _canonical(values)
        self.signed_shown = sign_shown(token=self.token, values=values)

    def clean(self):
        data = super().clean()
        try:
            signed = signing.loads(data.get("shown") or "", salt=CONFIRMATION_SALT)
        except signing.BadSignature:
            signed = None
        if signed != {"token": self.token, "values": self.values}:
            self.add_error(None, CONFIRMATION_MESSAGES["altered"])
        return data
