"""Forms of the customer portal's loan pages.

Forms parse what a person typed (pt-BR amounts, whole numbers, choices) and never write.
The services check everything again (apps.loans.services.applications.loan_apply): a
refusal there is a DomainError naming its field, which lands on the same field here
(`domain_fields`), in the customer's language.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Account
from apps.core.forms import AccountChoiceField, PortalForm, parse_portal_amount
from apps.core.money import format_brl

from ..models import Housing, Purpose, System
from ..services.applications import (
    MAX_INSTALLMENTS,
    MAX_PRINCIPAL,
    MIN_INSTALLMENTS,
    MIN_PRINCIPAL,
)

AMOUNT_WIDGET_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0,00"}
MAX_INCOME_CENTS = 100_000_000_000  # the service's bound: R$ 1 billion a month

MESSAGES = {
    "amount_required": _("Enter the amount."),
    "amount_range": _("Loans go from %(low)s to %(high)s."),
    "income_too_large": _("The amount is too large."),
}


def _amount(text: str | None) -> int:
    text = (text or "").strip()
    if not text:
        raise forms.ValidationError(MESSAGES["amount_required"], code="required")
    return parse_portal_amount(text)


def _principal(text: str | None) -> int:
    cents = _amount(text)
    if not MIN_PRINCIPAL <= cents <= MAX_PRINCIPAL:
        raise forms.ValidationError(
            MESSAGES["amount_range"],
            code="range",
            params={"low": format_brl(MIN_PRINCIPAL), "high": format_brl(MAX_PRINCIPAL)},
        )
    return cents


def _number_attrs(low: int, high: int) -> dict:
    return {"inputmode": "numeric", "min": low, "max": high, "autocomplete": "off"}


class TermsForm(PortalForm):
    """Amount, installments, system and due day: what a simulation needs and an
    application starts with."""

    amount = forms.CharField(
        label=_("Amount (R$)"), max_length=24, widget=forms.TextInput(attrs=AMOUNT_WIDGET_ATTRS)
    )
    installments = forms.IntegerField(
        label=_("Installments"),
        min_value=MIN_INSTALLMENTS,
        max_value=MAX_INSTALLMENTS,
        initial=12,
        widget=forms.NumberInput(attrs=_number_attrs(MIN_INSTALLMENTS, MAX_INSTALLMENTS)),
    )
    system = forms.ChoiceField(
        label=_("Amortization system"), choices=System.choices, initial=System.PRICE
    )
    due_day = forms.IntegerField(
        label=_("Due day of the month"),
        min_value=1,
        max_value=28,
        initial=10,
        widget=forms.NumberInput(attrs=_number_attrs(1, 28)),
    )

    domain_fields = {
        "amount": "amount",
        "principal": "amount",
        "installments": "installments",
        "system": "system",
        "due_day": "due_day",
        "first_due_date": "due_day",
    }

    def clean_amount(self) -> int:
        return _principal(self.cleaned_data.get("amount"))


class SimulateForm(TermsForm):
    """The simulation (a GET form: its URL can be shared and the back button works)."""


class ApplyForm(TermsForm):
    """The application: the terms, the account the money goes to (and the installments
    come from), and what the customer declares."""

    field_order = [
        "account",
        "amount",
        "installments",
        "system",
        "due_day",
        "purpose",
        "declared_income",
        "employment_years",
        "housing",
    ]

    account = AccountChoiceField(
        label=_("Account"),
        queryset=Account.objects.none(),
        empty_label=None,
        help_text=_("The money is credited to it and the installments are debited from it."),
    )
    purpose = forms.ChoiceField(label=_("What is it for?"), choices=Purpose.choices)
    declared_income = forms.CharField(
        label=_("Monthly income (R$)"),
        max_length=24,
        widget=forms.TextInput(attrs=AMOUNT_WIDGET_ATTRS),
    )
    employment_years = forms.IntegerField(
        label=_("Years in your current job"),
        min_value=0,
        max_value=60,
        widget=forms.NumberInput(attrs=_number_attrs(0, 60)),
    )
    housing = forms.ChoiceField(label=_("Where do you live?"), choices=Housing.choices)

    domain_fields = {
        **TermsForm.domain_fields,
        "account": "account",
        "account_id": "account",
        "purpose": "purpose",
        "declared_income": "declared_income",
        "employment_years": "employment_years",
        "housing": "housing",
    }

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = account_selectors.accounts_of_user(user=user).filter(
            state=Account.State.ACTIVE
        )

    def clean_declared_income(self) -> int:
        cents = _amount(self.cleaned_data.get("declared_income"))
        if cents > MAX_INCOME_CENTS:
            raise forms.ValidationError(MESSAGES["income_too_large"], code="max_value")
        return cents
