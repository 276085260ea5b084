"""Customer sign-up fields added to allauth's sign-up form.

allauth builds its `SignupForm` on top of this class (ACCOUNT_SIGNUP_FORM_CLASS): the fields
below appear next to email and password, `clean_*` runs with allauth's own validation, and
`signup()` runs once allauth has saved the user, before the verification email goes out.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.models import Group
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.accounts import dashboard, selectors
from apps.accounts.models import Account
from apps.accounts.services import customer_register, customer_tax_id_taken
from apps.core import roles
from apps.core.documents import normalize_tax_id, tax_id_kind
from apps.core.errors import Conflict, DomainError
from apps.core.forms import (
    AMOUNT_MESSAGES,
    AccountChoiceField,
    PortalForm,
    parse_portal_amount,
)

MESSAGES = {
    "full_name_required": _("Enter your full name, or the company's legal name."),
    "tax_id_invalid": _(
        "Enter a valid CPF (11 digits) or CNPJ (14 characters). Dots, dashes and slashes are fine."
    ),
    "tax_id_repeated": _("This CPF is not valid: its digits cannot all be the same."),
    "tax_id_taken": _(
        "This CPF or CNPJ is already registered. Sign in instead, or contact support."
    ),
}


class CustomerSignupForm(forms.Form):
    field_order = ["full_name", "tax_id", "email", "password1", "password2"]

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        help_text=_("For a company, its legal name (razão social)."),
        widget=forms.TextInput(attrs={"autocomplete": "name", "autocapitalize": "words"}),
    )
    tax_id = forms.CharField(
        label=_("CPF or CNPJ"),
        max_length=24,
        help_text=_("Numbers only or with punctuation, e.g. 123.456.789-09."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "000.000.000-00",
            }
        ),
    )

    def clean_full_name(self) -> str:
        full_name = " ".join(self.cleaned_data["full_name"].split())
        if len(full_name) < 3:
            raise forms.ValidationError(MESSAGES["full_name_required"], code="required")
        return full_name

    def clean_tax_id(self) -> str:
        tax_id = normalize_tax_id(self.cleaned_data["tax_id"])
        if tax_id_kind(tax_id) is None:
            if len(tax_id) == 11 and tax_id.isdigit() and len(set(tax_id)) == 1:
                raise forms.ValidationError(MESSAGES["tax_id_repeated"], code="invalid")
            raise forms.ValidationError(MESSAGES["tax_id_invalid"], code="invalid")
        if customer_tax_id_taken(tax_id):
            raise forms.ValidationError(MESSAGES["tax_id_taken"], code="taken")
        return tax_id

    def signup(self, request, user) -> None:
        """Called by allauth after it saved `user`: create the customer behind it."""
        try:
            with transaction.atomic():
                customer_register(
                    user=user,
                    full_name=self.cleaned_data["full_name"],
                    tax_id=self.cleaned_data["tax_id"],
                )
                group, _created = Group.objects.get_or_create(name=roles.CUSTOMER)
                user.groups.add(group)
        except DomainError as exc:
            # Only a concurrent sign-up with the same document gets here (clean_tax_id
            # checked it): undo the user allauth just saved and show the form again.
            self._abort_signup(request, user, exc)

    def _abort_signup(self, request, user, exc: DomainError):
        from allauth.core.exceptions import ImmediateHttpResponse

        user.delete()
        field = exc.field if exc.field in self.fields else None
        if field == "tax_id":
            key = "tax_id_taken" if isinstance(exc, Conflict) else "tax_id_invalid"
            message = MESSAGES[key]
        elif field == "full_name":
            message = MESSAGES["full_name_required"]
        else:
            message = exc.message
        self.add_error(field, message)
        context = {
            "form": self,
            "login_url": reverse("account_login"),
            "signup_url": reverse("account_signup"),
        }
        raise ImmediateHttpResponse(render(request, "account/signup.html", context))


# --- Book transfer (portal) -------------------------------------------------------------

ATHENA_BRANCH = "0001"

TRANSFER_MESSAGES = {
    **AMOUNT_MESSAGES,
    "branch_invalid": _("Athena Pay has a single branch: 0001."),
    "number_invalid": _("Enter the account number with digits only, e.g. 001000014."),
    "number_unknown": _("There is no Athena Pay account with this number."),
    "same_account": _("Choose an account other than the one the money leaves from."),
}


class BookTransferForm(PortalForm):
    """Step 1 of a transfer between Athena accounts: what, from where, to whom.

    Nothing moves here: a valid form becomes a pending transfer the customer confirms on
    the next page (see views.transfer_confirm), where the ledger has the last word.
    """

    source = AccountChoiceField(
        label=_("From account"), queryset=Account.objects.none(), empty_label=None
    )
    destination_branch = forms.CharField(
        label=_("Destination branch"),
        initial=ATHENA_BRANCH,
        max_length=4,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    destination_number = forms.CharField(
        label=_("Destination account number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    amount = forms.CharField(
        label=_("Amount (R$)"),
        max_length=24,
        help_text=_("For example 1.234,56"),
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0,00"}
        ),
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        max_length=140,
        help_text=_("Shown on both statements."),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = selectors.accounts_of_user(user=user)
        self.destination = None

    def clean_destination_branch(self) -> str:
        branch = self.cleaned_data["destination_branch"].strip()
        if branch.isdigit():
            branch = branch.zfill(4)  # "1" and "001" are branch 0001 too
        if branch != ATHENA_BRANCH:
            raise forms.ValidationError(TRANSFER_MESSAGES["branch_invalid"], code="invalid")
        return branch

    def clean_destination_number(self) -> str:
        number = re.sub(r"[\s.\-]", "", self.cleaned_data["destination_number"])
        if not re.fullmatch(r"[0-9]{1,12}", number):
            raise forms.ValidationError(TRANSFER_MESSAGES["number_invalid"], code="invalid")
        return number

    def clean_amount(self) -> int:
        return parse_portal_amount(self.cleaned_data["amount"])

    def clean_description(self) -> str:
        return " ".join(self.cleaned_data["description"].split())

    def clean(self):
        data = super().clean()
        branch, number = data.get("destination_branch"), data.get("destination_number")
        if branch and number:
            destination = dashboard.customer_account_by_number(branch=branch, number=number)
            if destination is None:
                self.add_error("destination_number", TRANSFER_MESSAGES["number_unknown"])
            elif data.get("source") is not None and destination.pk == data["source"].pk:
                self.add_error("destination_number", TRANSFER_MESSAGES["same_account"])
            else:
                self.destination = destination
        return data

    def pending_transfer(self) -> dict:
        """What the confirmation step needs, JSON-serializable for the session."""
        source, destination = self.cleaned_data["source"], self.destination
        return {
            "source_id": source.pk,
            "source_branch": source.branch,
            "source_number": source.number,
            "destination_id": destination.pk,
            "destination_branch": destination.branch,
            "destination_number": destination.number,
            "payee": dashboard.payee_display_name(destination),
            "amount": self.cleaned_data["amount"],
            "description": self.cleaned_data["description"],
            # As typed, to refill the form when the customer goes back.
            "form": {name: self.data.get(name, "") for name in self.fields},
        }
