"""Forms of the customer portal's boleto pages.

Forms parse what a person typed (a pasted barcode or linha, pt-BR amounts, percentages,
dates) and never write. The code is checked here with the pure codec, so a mistyped digit
is a form error naming the rule before CIP is ever asked; the views hand the cleaned values
to the services, and a service's DomainError lands back on the form in the customer's
language (`add_domain_error`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Account
from apps.boleto.codecs.codes import CodeError, DecodedCode, decode
from apps.boleto.models import Boleto
from apps.core.documents import normalize_tax_id, tax_id_kind
from apps.core.errors import DomainError
from apps.core.forms import AccountChoiceField, parse_portal_amount
from apps.core.forms import PortalForm as CorePortalForm
from apps.core.timezones import brasilia_today

SCHEDULE_MAX_DAYS = 365
MAX_AMOUNT_CENTS = 9_999_999_999  # ten digits in a barcode

# Each rule of the FEBRABAN layout the codec names, said to a customer.
RULE_MESSAGES = {
    "characters": _("it may hold only digits, dots, dashes and spaces"),
    "length": _(
        "it must have 44 digits (barcode), 47 (bank boleto linha) or 48 (utilities and taxes)"
    ),
    "field_1_check_digit": _("the check digit of field 1 is wrong"),
    "field_2_check_digit": _("the check digit of field 2 is wrong"),
    "field_3_check_digit": _("the check digit of field 3 is wrong"),
    "general_check_digit": _("the general check digit is wrong"),
    "currency": _("the currency digit must be 9 (real)"),
    "collection_value_id": _("the third digit of a utilities or tax code must be 6, 7, 8 or 9"),
    "block_1_check_digit": _("the check digit of block 1 is wrong"),
    "block_2_check_digit": _("the check digit of block 2 is wrong"),
    "block_3_check_digit": _("the check digit of block 3 is wrong"),
    "block_4_check_digit": _("the check digit of block 4 is wrong"),
    "product_id": _("a 48-digit code must start with 8"),
    "due_factor": _("its due date is outside the accepted window"),
}

MESSAGES = {
    "code_required": _("Paste or type the boleto's code."),
    "code_invalid": _("This code is not valid: %(rule)s. Check it and type it again."),
    "amount_required": _("Enter the amount."),
    "amount_choose": _("This boleto lets the payer choose the amount: type it."),
    "amount_fixed": _(
        "This boleto asks %(amount)s on %(date)s: leave the amount empty to pay what it asks."
    ),
    "amount_too_large": _("The amount is too large."),
    "schedule_past": _("The date cannot be in the past."),
    "schedule_far": _("A payment can be scheduled at most one year ahead."),
    "percent_invalid": _("Enter a percentage such as 2,00 (at most two decimals)."),
    "tax_id_invalid": _("Enter a valid CPF or CNPJ."),
    "discount_until_required": _("Give the last day of the discount."),
    "discount_until_alone": _("Give the discount amount, or leave the date empty."),
    "due_date_past": _("The due date cannot be in the past."),
}

# Errors of the services, by code, in the customer's language. A code not listed shows the
# service's own message, which the services translate when they raise it.
DOMAIN_MESSAGES = {
    "insufficient_funds": _("Insufficient available balance for this payment."),
    "account_unavailable": _(
        "This account does not allow this operation right now. Contact support if this persists."
    ),
    "limit_exceeded": _(
        "This payment is above your boleto limits. Raise your verification level to pay more."
    ),
    "kyc_level_required": _("Boleto payments need a higher verification level."),
}


def code_error_message(rule: str) -> str:
    reason = RULE_MESSAGES.get(rule, rule.replace("_", " "))
    return str(MESSAGES["code_invalid"]) % {"reason": reason, "rule": reason}


def domain_error_message(exc: DomainError) -> str:
    if exc.code.startswith("invalid_boleto_code."):
        return code_error_message(exc.code.removeprefix("invalid_boleto_code."))
    message = DOMAIN_MESSAGES.get(exc.code)
    return str(message) if message is not None else exc.message


_PERCENT = re.compile(r"^(\d{1,3})(?:[.,](\d{1,2}))?$")


def parse_percent(text: str) -> int:
    """A percentage in hundredths: "2" -> 200, "2,5" -> 250, "0,33%" -> 33."""
    value = (text or "").strip().removesuffix("%").strip()
    if not value:
        return 0
    match = _PERCENT.match(value)
    if match is None:
        raise forms.ValidationError(MESSAGES["percent_invalid"], code="invalid")
    whole, fraction = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(fraction)


class BoletoPortalForm(CorePortalForm):
    """Boletos' portal form: domain errors read through the boleto messages."""

    def domain_error_message(self, exc: DomainError) -> str:
        return domain_error_message(exc)


def _amount(text: str, *, required: bool) -> int | None:
    text = (text or "").strip()
    if not text:
        if required:
            raise forms.ValidationError(MESSAGES["amount_required"], code="required")
        return None
    cents = parse_portal_amount(text)
    if cents > MAX_AMOUNT_CENTS:
        raise forms.ValidationError(MESSAGES["amount_too_large"], code="max_value")
    return cents


AMOUNT_WIDGET_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0,00"}
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# --- Pay -------------------------------------------------------------------------------


class PayForm(BoletoPortalForm):
    """Step 1: the code as pasted, the account, the amount when the boleto lets the payer
    choose it and the day; the codec checks every digit."""

    account = AccountChoiceField(
        label=_("From account"), queryset=Account.objects.none(), empty_label=None
    )
    code = forms.CharField(
        label=_("Barcode or linha digitável"),
        max_length=80,
        strip=True,
        help_text=_("Paste the numbers as they are, with or without dots and spaces."),
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "spellcheck": "false",
                "class": "codes",
            }
        ),
        error_messages={"required": MESSAGES["code_required"]},
    )

    # Chosen here: the confirmation shows the amount and the day as fixed text.
    amount = forms.CharField(
        label=_("Amount to pay (R$, only if the boleto lets you choose)"),
        required=False,
        max_length=24,
        help_text=_("Leave it empty: a boleto with an amount is paid with what it asks."),
        widget=forms.TextInput(attrs=AMOUNT_WIDGET_ATTRS),
    )
    scheduled_for = forms.DateField(
        label=_("Schedule for (optional)"),
        required=False,
        input_formats=DATE_FORMATS,
        help_text=_("Leave empty to pay now, or choose a later business day."),
        widget=_date_widget(),
    )

    domain_fields = {
        "code": "code",
        "account": "account",
        "amount": "amount",
        "scheduled_for": "scheduled_for",
    }

    def __init__(self, *args, user, today: date | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = account_selectors.accounts_of_user(user=user)
        self.today = today or brasilia_today()
        self.fields["scheduled_for"].widget.attrs.update(
            min=(self.today + timedelta(days=1)).isoformat(),
            max=(self.today + timedelta(days=SCHEDULE_MAX_DAYS)).isoformat(),
        )
        self.decoded: DecodedCode | None = None

    def clean_code(self) -> str:
        text = self.cleaned_data["code"]
        try:
            self.decoded = decode(text, today=self.today)
        except CodeError as error:
            raise forms.ValidationError(code_error_message(error.rule), code="invalid") from None
        return self.decoded.barcode

    def clean_amount(self) -> int | None:
        return _amount(self.cleaned_data.get("amount", ""), required=False)

    def clean_scheduled_for(self) -> date | None:
        day = self.cleaned_data.get("scheduled_for")
        if day is None or day == self.today:
            return None  # today is now
        if day < self.today:
            raise forms.ValidationError(MESSAGES["schedule_past"], code="min_value")
        if day > self.today + timedelta(days=SCHEDULE_MAX_DAYS):
            raise forms.ValidationError(MESSAGES["schedule_far"], code="max_value")
        return day


# --- Issue -----------------------------------------------------------------------------


class IssueForm(BoletoPortalForm):
    """A boleto to issue; the service checks the legal caps of fine and interest."""

    account = AccountChoiceField(
        label=_("Account to receive in"), queryset=Account.objects.none(), empty_label=None
    )
    payer_name = forms.CharField(label=_("Payer's name"), min_length=2, max_length=140)
    payer_tax_id = forms.CharField(
        label=_("Payer's CPF or CNPJ"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    amount = forms.CharField(
        label=_("Amount (R$)"), max_length=24, widget=forms.TextInput(attrs=AMOUNT_WIDGET_ATTRS)
    )
    due_date = forms.DateField(
        label=_("Due date"), input_formats=DATE_FORMATS, widget=_date_widget()
    )
    fine_percent = forms.CharField(
        label=_("Late fine (%)"),
        required=False,
        max_length=8,
        help_text=_("Charged once after the due date. For a person, at most 2,00 %."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0,00"}),
    )
    interest_monthly_percent = forms.CharField(
        label=_("Interest per month (%)"),
        required=False,
        max_length=8,
        help_text=_("Charged per day late. For a person, at most 1,00 % per month."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0,00"}),
    )
    discount = forms.CharField(
        label=_("Discount (R$, optional)"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs=AMOUNT_WIDGET_ATTRS),
    )
    discount_until = forms.DateField(
        label=_("Discount until"),
        required=False,
        input_formats=DATE_FORMATS,
        widget=_date_widget(),
    )
    valid_days_after_due = forms.IntegerField(
        label=_("Days payable after the due date"),
        min_value=0,
        max_value=3650,
        initial=30,
    )
    seu_numero = forms.CharField(
        label=_("Your reference (optional)"),
        required=False,
        max_length=15,
        help_text=_("Up to 15 characters, such as your invoice number."),
    )
    description = forms.CharField(label=_("Description (optional)"), required=False, max_length=140)
    hybrid = forms.BooleanField(label=_("Also payable by Pix"), required=False, initial=True)

    domain_fields = {
        "amount": "amount",
        "due_date": "due_date",
        "payer_name": "payer_name",
        "payer_tax_id": "payer_tax_id",
        "fine_percent": "fine_percent",
        "interest_monthly_percent": "interest_monthly_percent",
        "discount_cents": "discount",
        "discount_until": "discount_until",
        "valid_days_after_due": "valid_days_after_due",
        "seu_numero": "seu_numero",
        "description": "description",
        "account": "account",
    }

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = account_selectors.accounts_of_user(user=user)
        self.fields["due_date"].widget.attrs["min"] = brasilia_today().isoformat()

    def clean_payer_name(self) -> str:
        return " ".join(self.cleaned_data["payer_name"].split())

    def clean_payer_tax_id(self) -> str:
        tax_id = normalize_tax_id(self.cleaned_data["payer_tax_id"])
        if not tax_id.isdigit() or tax_id_kind(tax_id) is None:
            raise forms.ValidationError(MESSAGES["tax_id_invalid"], code="invalid")
        return tax_id

    def clean_amount(self) -> int:
        return _amount(self.cleaned_data.get("amount", ""), required=True)

    def clean_due_date(self) -> date:
        day = self.cleaned_data["due_date"]
        if day < brasilia_today():
            raise forms.ValidationError(MESSAGES["due_date_past"], code="min_value")
        return day

    def clean_fine_percent(self) -> int:
        return parse_percent(self.cleaned_data.get("fine_percent", ""))

    def clean_interest_monthly_percent(self) -> int:
        return parse_percent(self.cleaned_data.get("interest_monthly_percent", ""))

    def clean_discount(self) -> int:
        return _amount(self.cleaned_data.get("discount", ""), required=False) or 0

    def clean_description(self) -> str:
        return " ".join(self.cleaned_data["description"].split())

    def clean(self):
        data = super().clean()
        discount, until = data.get("discount"), data.get("discount_until")
        if discount and until is None and "discount_until" not in self.errors:
            self.add_error("discount_until", MESSAGES["discount_until_required"])
        if until is not None and not discount and "discount" not in self.errors:
            self.add_error("discount", MESSAGES["discount_until_alone"])
        return data


class IssuedFilterForm(forms.Form):
    """Filters of the issued boletos list (read with GET)."""

    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All"))] + list(Boleto.State.choices),
    )
    due_from = forms.DateField(
        label=_("Due from"), required=False, input_formats=DATE_FORMATS, widget=_date_widget()
    )
    due_to = forms.DateField(
        label=_("Due until"), required=False, input_formats=DATE_FORMATS, widget=_date_widget()
    )
    q = forms.CharField(label=_("Payer or reference"), required=False, max_length=60)
