"""Forms of the customer portal's card pages.

Forms parse what a person typed (pt-BR amounts, four-digit PINs) and never write; the
services (apps.cards.services.issuing) check everything again and a refusal there, a
DomainError naming its field, lands on the same field here (`domain_fields`), in the
customer's language.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Account
from apps.cards.models import Card
from apps.cards.portal.labels import MCC_GROUP_LABELS
from apps.cards.services.issuing import MCC_GROUPS
from apps.core.errors import DomainError
from apps.core.forms import AccountChoiceField, parse_portal_amount
from apps.core.forms import PortalForm as CorePortalForm
from apps.core.money import format_brl

AMOUNT_WIDGET_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "placeholder": "0,00"}
PIN_WIDGET_ATTRS = {
    "inputmode": "numeric",
    "autocomplete": "off",
    "maxlength": "4",
    "pattern": "[0-9]{4}",
    "spellcheck": "false",
}
SWITCH = forms.CheckboxInput(attrs={"role": "switch"})
MAX_LIMIT_CENTS = 100_000_000  # R$ 1.000.000,00

MESSAGES = {
    "limit_too_large": _("A card limit can be at most R$ 1.000.000,00."),
    "daily_below_purchase": _("The daily limit cannot be lower than the per-purchase limit."),
    "pin_digits": _("The PIN has exactly four digits (0 to 9)."),
    "pin_mismatch": _("The two PINs are not the same: type the same four digits twice."),
}

# Errors of the services, by code, in the customer's language. A code not listed shows the
# service's own message, which the services translate when they raise it.
DOMAIN_MESSAGES = {
    "kyc_level_required": _(
        "Cards need identity verification level 1. Verify your identity to get a card."
    ),
    "account_unavailable": _(
        "This account does not allow this operation right now. Contact support if this persists."
    ),
}


def domain_error_message(exc: DomainError) -> str:
    message = DOMAIN_MESSAGES.get(exc.code)
    return str(message) if message is not None else exc.message


def pt_br_amount(cents: int | None) -> str:
    """12345 -> "123,45", as the amount inputs expect it back; None -> ""."""
    if cents is None:
        return ""
    return format_brl(cents).removeprefix("R$ ")


class CardsPortalForm(CorePortalForm):
    """The cards' portal form: domain errors read through the cards' messages."""

    def domain_error_message(self, exc: DomainError) -> str:
        return domain_error_message(exc)


class IssueForm(CardsPortalForm):
    account = AccountChoiceField(
        label=_("Account"), queryset=Account.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(
        label=_("Card"),
        choices=[
            (Card.Kind.VIRTUAL, _("Virtual: ready now, for purchases online")),
            (Card.Kind.PHYSICAL, _("Physical: sent to you, activate it when it arrives")),
        ],
        initial=Card.Kind.VIRTUAL,
        widget=forms.RadioSelect,
    )

    domain_fields = {"account": "account", "kind": "kind"}

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = account_selectors.accounts_of_user(user=user).filter(
            state=Account.State.ACTIVE
        )


class ControlsForm(CardsPortalForm):
    per_purchase_limit = forms.CharField(
        label=_("Limit per purchase (R$)"),
        required=False,
        max_length=24,
        help_text=_("Empty: no limit of the card's own (your account's limits still apply)."),
        widget=forms.TextInput(attrs=AMOUNT_WIDGET_ATTRS),
    )
    daily_limit = forms.CharField(
        label=_("Daily limit (R$)"),
        required=False,
        max_length=24,
        help_text=_("All the card's purchases of a day (Brasília time) added up. Empty: none."),
        widget=forms.TextInput(attrs=AMOUNT_WIDGET_ATTRS),
    )
    blocked_mcc_groups = forms.MultipleChoiceField(
        label=_("Block purchases at"),
        required=False,
        choices=[(group, MCC_GROUP_LABELS[group]) for group in MCC_GROUPS],
        widget=forms.CheckboxSelectMultiple,
    )
    online_enabled = forms.BooleanField(label=_("Online purchases"), required=False, widget=SWITCH)
    contactless_enabled = forms.BooleanField(
        label=_("Contactless payments"), required=False, widget=SWITCH
    )
    abroad_enabled = forms.BooleanField(label=_("Purchases abroad"), required=False, widget=SWITCH)

    domain_fields = {
        "per_purchase_limit": "per_purchase_limit",
        "daily_limit": "daily_limit",
        "blocked_mcc_groups": "blocked_mcc_groups",
        "online_enabled": "online_enabled",
        "contactless_enabled": "contactless_enabled",
        "abroad_enabled": "abroad_enabled",
    }

    @classmethod
    def initial_of(cls, card: Card) -> dict:
        return {
            "per_purchase_limit": pt_br_amount(card.per_purchase_limit),
            "daily_limit": pt_br_amount(card.daily_limit),
            "blocked_mcc_groups": list(card.blocked_mcc_groups),
            "online_enabled": card.online_enabled,
            "contactless_enabled": card.contactless_enabled,
            "abroad_enabled": card.abroad_enabled,
        }

    def _limit(self, name: str) -> int | None:
        text = (self.cleaned_data.get(name) or "").strip()
        if not text:
            return None
        cents = parse_portal_amount(text)
        if cents > MAX_LIMIT_CENTS:
            raise forms.ValidationError(MESSAGES["limit_too_large"], code="max_value")
        return cents

    def clean_per_purchase_limit(self) -> int | None:
        return self._limit("per_purchase_limit")

    def clean_daily_limit(self) -> int | None:
        return self._limit("daily_limit")

    def clean(self) -> dict:
        data = super().clean()
        purchase, daily = data.get("per_purchase_limit"), data.get("daily_limit")
        if purchase is not None and daily is not None and daily < purchase:
            self.add_error("daily_limit", MESSAGES["daily_below_purchase"])
        return data

    def controls(self) -> dict:
        """The keyword arguments of card_controls_update."""
        data = self.cleaned_data
        return {
            "per_purchase_limit": data["per_purchase_limit"],
            "daily_limit": data["daily_limit"],
            "blocked_mcc_groups": list(data["blocked_mcc_groups"]),
            "online_enabled": data["online_enabled"],
            "contactless_enabled": data["contactless_enabled"],
            "abroad_enabled": data["abroad_enabled"],
        }


class PinForm(CardsPortalForm):
    pin = forms.CharField(
        label=_("New PIN"),
        max_length=4,
        strip=True,
        help_text=_("Four digits; avoid sequences and repeated digits such as 1234 or 1111."),
        widget=forms.PasswordInput(attrs=PIN_WIDGET_ATTRS),
    )
    pin_confirm = forms.CharField(
        label=_("New PIN again"),
        max_length=4,
        strip=True,
        widget=forms.PasswordInput(attrs=PIN_WIDGET_ATTRS),
    )

    domain_fields = {"pin": "pin"}

    def _digits(self, name: str) -> str:
        pin = self.cleaned_data.get(name) or ""
        if not re.fullmatch(r"[0-9]{4}", pin):
            raise forms.ValidationError(MESSAGES["pin_digits"], code="invalid")
        return pin

    def clean_pin(self) -> str:
        return self._digits("pin")

    def clean_pin_confirm(self) -> str:
        return self._digits("pin_confirm")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("pin") and data.get("pin_confirm") and data["pin"] != data["pin_confirm"]:
            self.add_error("pin_confirm", MESSAGES["pin_mismatch"])
        return data


class ReportForm(CardsPortalForm):
    what = forms.ChoiceField(
        label=_("What happened?"),
        choices=[("lost", _("I lost the card")), ("stolen", _("The card was stolen"))],
        widget=forms.RadioSelect,
    )
