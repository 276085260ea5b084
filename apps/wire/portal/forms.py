"""Forms of the customer portal's TED pages.

Forms parse what a person typed (a bank by code, ISPB or name, pt-BR amounts, dates) and
never write. The services check the order again (apps.wire.services.send.wire_quote): a
refusal there is a DomainError naming its field, which lands on the same field here
(`domain_fields`), in the customer's language.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Account
from apps.core.documents import normalize_tax_id, tax_id_kind
from apps.core.errors import DomainError
from apps.core.forms import AccountChoiceField, ConfirmationForm, parse_portal_amount
from apps.core.forms import PortalForm as CorePortalForm
from apps.wire import selectors
from apps.wire.models import AccountType
from apps.wire.services.send import MAX_AMOUNT_CENTS

SCHEDULE_MAX_DAYS = 365
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
AMOUNT_WIDGET_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0,00"}
NUMERIC_ATTRS = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}

MESSAGES = {
    "bank_required": _("Type the bank's code or name and choose it from the list."),
    "bank_unknown": _(
        "Bank not found: type its 3-digit code (such as 260), its 8-digit ISPB or part of its "
        "name, and choose it from the list."
    ),
    "bank_ambiguous": _(
        "More than one bank matches %(term)s: type its code or choose it from the list."
    ),
    "branch_invalid": _("The branch has up to 4 digits, without its check digit."),
    "account_invalid": _("The account has up to 13 digits, its check digit included."),
    "tax_id_invalid": _("Enter a valid CPF or CNPJ."),
    "amount_required": _("Enter the amount."),
    "amount_too_large": _("The amount is too large."),
    "schedule_past": _("The date cannot be in the past."),
    "schedule_far": _("A TED can be scheduled at most one year ahead."),
}

# Errors of the services, by code, in the customer's language. A code not listed shows the
# service's own message, which the services translate when they raise it.
DOMAIN_MESSAGES = {
    "insufficient_funds": _("Insufficient available balance for this TED and its fee."),
    "account_unavailable": _(
        "This account does not allow this operation right now. Contact support if this persists."
    ),
    "limit_exceeded": _(
        "This TED is above your limits. Raise your verification level to send more."
    ),
}


def domain_error_message(exc: DomainError) -> str:
    message = DOMAIN_MESSAGES.get(exc.code)
    return str(message) if message is not None else exc.message


class TedPortalForm(CorePortalForm):
    """TED's portal form: domain errors read through the TED messages."""

    def domain_error_message(self, exc: DomainError) -> str:
        return domain_error_message(exc)


_LEADING_CODE = re.compile(r"^\s*([0-9A-Za-z]{8}|\d{1,3})(?:\s*[-–·]\s*|\s+|$)")


def resolve_bank(text: str) -> selectors.Bank:
    """A bank as a person gives it: "260", "18236120", "260 - NU PAGAMENTOS" (what the list
    fills in) or a name that matches one bank of the STR only. Raises ValidationError."""
    text = (text or "").strip()
    if not text:
        raise forms.ValidationError(MESSAGES["bank_required"], code="required")
    match = _LEADING_CODE.match(text)
    if match:
        bank = selectors.bank_by_code(match.group(1))
        if bank is not None:
            return bank
    found = selectors.banks_search(text, limit=2, str_only=True)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise forms.ValidationError(
            MESSAGES["bank_ambiguous"], code="ambiguous", params={"term": text[:40]}
        )
    raise forms.ValidationError(MESSAGES["bank_unknown"], code="invalid")


def bank_label(bank: selectors.Bank) -> str:
    """What the bank field shows once a bank is known: "260 - NU PAGAMENTOS - IP"."""
    return f"{bank.compe or bank.ispb} - {bank.name}"


def _digits(value: str, *, max_length: int, message) -> str:
    text = re.sub(r"[\s.\-]", "", value or "")
    if not text.isascii() or not text.isdigit() or len(text) > max_length or int(text) == 0:
        raise forms.ValidationError(message, code="invalid")
    return text


class SendForm(TedPortalForm):
    """Step 1 of a TED: from which account, to whom (bank, branch, account, holder), how
    much, and optionally on which day."""

    account = AccountChoiceField(
        label=_("From account"), queryset=Account.objects.none(), empty_label=None
    )
    bank = forms.CharField(
        label=_("Destination bank"),
        max_length=140,
        help_text=_("Type the bank's code (such as 260) or part of its name and choose it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "ted-banks"}),
    )
    branch = forms.CharField(
        label=_("Branch"),
        max_length=8,
        help_text=_("Without the check digit."),
        widget=forms.TextInput(attrs=NUMERIC_ATTRS),
    )
    account_number = forms.CharField(
        label=_("Account"),
        max_length=20,
        help_text=_("With its check digit, digits only."),
        widget=forms.TextInput(attrs=NUMERIC_ATTRS),
    )
    account_type = forms.ChoiceField(
        label=_("Account type"), choices=AccountType.choices, initial=AccountType.CHECKING
    )
    holder_name = forms.CharField(label=_("Holder's name"), max_length=80)
    holder_tax_id = forms.CharField(
        label=_("Holder's CPF or CNPJ"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    amount = forms.CharField(
        label=_("Amount (R$)"), max_length=24, widget=forms.TextInput(attrs=AMOUNT_WIDGET_ATTRS)
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=140)
    scheduled_for = forms.DateField(
        label=_("Send on (optional)"),
        required=False,
        input_formats=DATE_FORMATS,
        help_text=_(
            "Leave empty to send now. Outside business hours (06:30 to 17:00, Brasília time, "
            "on bank business days) the TED goes at the next opening."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    domain_fields = {
        "account": "account",
        "bank": "bank",
        "branch": "branch",
        "account_number": "account_number",
        "account_type": "account_type",
        "holder_name": "holder_name",
        "holder_tax_id": "holder_tax_id",
        "amount": "amount",
        "amount_cents": "amount",
        "note": "note",
        "scheduled_for": "scheduled_for",
    }

    def __init__(self, *args, user, today: date, bank_search_url: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["account"].queryset = account_selectors.accounts_of_user(user=user)
        self.fields["scheduled_for"].widget.attrs.update(
            min=today.isoformat(), max=(today + timedelta(days=SCHEDULE_MAX_DAYS)).isoformat()
        )
        if bank_search_url:  # htmx narrows the list as the customer types
            self.fields["bank"].widget.attrs.update(
                {
                    "hx-get": bank_search_url,
                    "hx-trigger": "input changed delay:250ms",
                    "hx-target": "#ted-banks",
                    "hx-swap": "innerHTML",
                }
            )
        self.bank: selectors.Bank | None = None

    def clean_bank(self) -> str:
        self.bank = resolve_bank(self.cleaned_data["bank"])
        return self.bank.ispb

    def clean_branch(self) -> str:
        return _digits(
            self.cleaned_data["branch"], max_length=4, message=MESSAGES["branch_invalid"]
        )

    def clean_account_number(self) -> str:
        return _digits(
            self.cleaned_data["account_number"], max_length=13, message=MESSAGES["account_invalid"]
        )

    def clean_holder_name(self) -> str:
        return " ".join(self.cleaned_data["holder_name"].split())

    def clean_holder_tax_id(self) -> str:
        tax_id = normalize_tax_id(self.cleaned_data["holder_tax_id"])
        if tax_id_kind(tax_id) is None:
            raise forms.ValidationError(MESSAGES["tax_id_invalid"], code="invalid")
        return tax_id

    def clean_amount(self) -> int:
        text = (self.cleaned_data.get("amount") or "").strip()
        if not text:
            raise forms.ValidationError(MESSAGES["amount_required"], code="required")
        cents = parse_portal_amount(text)
        if cents > MAX_AMOUNT_CENTS:
            raise forms.ValidationError(MESSAGES["amount_too_large"], code="max_value")
        return cents

    def clean_note(self) -> str:
        return " ".join(self.cleaned_data["note"].split())

    def clean_scheduled_for(self) -> date | None:
        day = self.cleaned_data.get("scheduled_for")
        if day is None:
            return None
        if day < self.today:
            raise forms.ValidationError(MESSAGES["schedule_past"], code="min_value")
        if day > self.today + timedelta(days=SCHEDULE_MAX_DAYS):
            raise forms.ValidationError(MESSAGES["schedule_far"], code="max_value")
        return day


class ConfirmForm(ConfirmationForm, TedPortalForm):
    """Step 2: nothing about the order can change here (the amount included: the values
    shown travel back signed, see ConfirmationForm); the customer may save the
    destination as a favourite."""

    save_favourite = forms.BooleanField(label=_("Save as a favourite"), required=False)
    nickname = forms.CharField(
        label=_("Favourite's name"),
        required=False,
        max_length=60,
        help_text=_('Such as "Rent" or "Mum". Empty: the holder\'s name.'),
    )

    domain_fields = {"nickname": "nickname"}

    def clean_nickname(self) -> str:
        return " ".join(self.cleaned_data["nickname"].split())
