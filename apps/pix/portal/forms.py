"""Forms of the customer portal's Pix pages.

Forms parse and check what a person typed (pt-BR amounts, keys, BR Codes, an uploaded QR
image) with the pure codecs of this app; they never write. The views hand the cleaned
values to the services, and a service's DomainError comes back onto the form through
`add_domain_error`, in the customer's language.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts import selectors as account_selectors
from apps.accounts.models import Account, Customer
from apps.core.documents import mask_tax_id
from apps.core.errors import DomainError
from apps.core.forms import AccountChoiceField, parse_portal_amount
from apps.core.forms import PortalForm as CorePortalForm
from apps.core.money import format_brl
from apps.pix.codecs.brcode import (
    MAX_AMOUNT_CENTS,
    BRCode,
    BRCodeError,
    decode,
    max_description_length,
)
from apps.pix.codecs.keys import KeyType, infer_key_type, mask_key, normalize_key, parse_any_key
from apps.pix.codecs.qr_image import MAX_IMAGE_BYTES, QRImageError, read_qr_texts
from apps.pix.models import PixKey

SCHEDULE_MAX_DAYS = 365

MESSAGES = {
    "required": _("This field is required."),
    "key_required": _("Enter the payee's Pix key."),
    "key_invalid": _(
        "This is not a Pix key. Enter a CPF, CNPJ, mobile phone with DDD, e-mail or random key."
    ),
    "key_CPF": _("This CPF is not valid: check the digits."),
    "key_CNPJ": _("This CNPJ is not valid: check the characters."),
    "key_PHONE": _("Enter a Brazilian mobile number with DDD, e.g. (11) 98765-4321."),
    "key_EMAIL": _("Enter a valid e-mail address (at most 77 characters)."),
    "key_EVP": _("A random key looks like 123e4567-e89b-42d3-a456-426614174000."),
    "amount_required": _("Enter the amount."),
    "amount_too_large": _("The amount is too large."),
    "brcode_required": _("Paste the Pix Copia e Cola code."),
    "brcode_invalid": _(
        "This is not a valid Pix code (%(reason)s). Copy it again, whole, from the payee."
    ),
    "qr_required": _("Choose an image of the QR code."),
    "qr_too_large": _("The image is too large: send a PNG or JPEG of up to 2 MB."),
    "qr_not_image": _("This file is not a PNG or JPEG image."),
    "qr_no_code": _("No QR code was found in this image. Try a sharper picture."),
    "qr_not_pix": _("The QR code in this image is not a Pix code."),
    "schedule_past": _("The date cannot be in the past."),
    "schedule_far": _("A Pix can be scheduled at most one year ahead."),
    "code_format": _("The code has 6 digits."),
    "description_long": _(
        "The description is too long for this key: at most %(max)s characters fit."
    ),
    "refund_exceeds": _("At most %(left)s can still be refunded."),
    "refund_id": _("This form expired. Reload the page and try again."),
    "limit_invalid": _("Enter an amount such as 1.000,00 (zero blocks Pix at night)."),
}

# Errors of the services, by code, in the customer's language. A code not listed shows the
# service's own message (English): better a precise English sentence than a vague one.
DOMAIN_MESSAGES = {
    "insufficient_funds": _("Insufficient available balance for this Pix."),
    "account_unavailable": _(
        "This account does not allow this operation right now. Contact support if this persists."
    ),
    "pix_account_not_found": _("The payee's account could not be found."),
    "key_not_found": _("There is no Pix key like this in the directory. Check it and try again."),
    "rate_limited": _("Too many key look-ups in a short time. Wait a few minutes and try again."),
    "dict_unavailable": _("The Pix directory is not answering. Try again in a few minutes."),
    "key_limit_reached": _(
        "This account already has the most Pix keys allowed (5 for a person, 20 for a "
        "company). Delete a key before registering another."
    ),
    "key_already_registered": _("This key is already registered for you."),
    "key_ownership_claim_available": _(
        "This key is registered for another person in the Pix directory. To bring it here, "
        "an ownership claim must be opened (contact support)."
    ),
    "key_portability_available": _(
        "This key is registered in your name at another institution. To bring it here, ask "
        "for its portability (contact support)."
    ),
    "key_not_allowed": _("This key cannot be registered for you."),
    "ownership_code_invalid": _("Wrong code. Check the message we sent and try again."),
    "code_not_sent": _("No code was sent for this key: ask for one."),
    "code_expired": _("The code has expired: ask for a new one."),
    "code_attempts": _("Too many wrong codes: the registration was cancelled. Start again."),
    "code_recently_sent": _("A code was just sent: wait a minute before asking for another."),
    "key_not_pending": _("This key is not waiting for a code any more."),
    "key_locked_by_claim": _(
        "Another institution claimed this key: answer the claim before deleting it."
    ),
    "key_claim_in_progress": _("Your claim for this key is in progress."),
    "pix_refund_not_allowed": _(
        "This Pix can no longer be refunded (only Pix received in the last 90 days can)."
    ),
    "pix_refund_exceeds_original": _("Refunds cannot add up to more than the Pix received."),
    "pix_refund_id_conflict": _("This form was already used. Reload the page and try again."),
}


def domain_error_message(exc: DomainError) -> str:
    message = DOMAIN_MESSAGES.get(exc.code)
    return str(message) if message is not None else exc.message


def pt_br_amount(cents: int | None) -> str:
    """12345 -> "123,45", as the amount inputs expect it back."""
    if cents is None:
        return ""
    return format_brl(cents).removeprefix("R$ ")


class PortalForm(CorePortalForm):
    """Pix's portal form: domain errors read through Pix's messages."""

    def domain_error_message(self, exc: DomainError) -> str:
        return domain_error_message(exc)


def _amount_or_none(text: str) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    cents = parse_portal_amount(text)
    if cents > MAX_AMOUNT_CENTS:
        raise forms.ValidationError(MESSAGES["amount_too_large"], code="max_value")
    return cents


def _key_error(raw: str) -> str:
    try:
        key_type = infer_key_type(raw)
    except DomainError:
        return str(MESSAGES["key_invalid"])
    return str(MESSAGES.get(f"key_{key_type}", MESSAGES["key_invalid"]))


def brcode_error_message(error: BRCodeError) -> str:
    return str(MESSAGES["brcode_invalid"]) % {"reason": error.rule.replace("_", " ")}


AMOUNT_WIDGET = forms.TextInput(
    attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0,00"}
)


# --- Send ------------------------------------------------------------------------------


class SendForm(PortalForm):
    """Step 1 of a Pix: from which account, and to whom, given one of three ways. Nothing
    moves here: the view looks the payee up (payee_preview) and shows the confirmation."""

    KEY, CODE, QR = "key", "code", "qr"

    source = AccountChoiceField(
        label=_("From account"), queryset=Account.objects.none(), empty_label=None
    )
    method = forms.ChoiceField(
        label=_("Pay with"),
        choices=[
            (KEY, _("Pix key")),
            (CODE, _("Pix Copia e Cola")),
            (QR, _("QR code image")),
        ],
        initial=KEY,
        widget=forms.RadioSelect,
    )
    key = forms.CharField(
        label=_("Payee's Pix key"),
        required=False,
        max_length=200,
        help_text=_("CPF, CNPJ, mobile phone, e-mail or random key."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}
        ),
    )
    brcode = forms.CharField(
        label=_("Pix Copia e Cola code"),
        required=False,
        max_length=2000,
        strip=True,
        help_text=_("The code that starts with 000201, as the payee sent it."),
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
    )
    qr_image = forms.FileField(
        label=_("Image of the QR code"),
        required=False,
        help_text=_("A PNG or JPEG of up to 2 MB, such as a screenshot."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    amount = forms.CharField(
        label=_("Amount (R$)"),
        required=False,
        max_length=24,
        help_text=_("For example 1.234,56. With a code that has an amount, leave it empty."),
        widget=AMOUNT_WIDGET,
    )
    description = forms.CharField(
        label=_("Message to the payee (optional)"),
        required=False,
        max_length=140,
    )
    # Chosen here, with the amount: the confirmation shows both as fixed text.
    scheduled_for = forms.DateField(
        label=_("Pay on (optional)"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("Leave empty to pay now, or choose a later day (dd/mm/aaaa)."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    domain_fields = {
        "key": "key",
        "brcode": "brcode",
        "amount": "amount",
        "account": "source",
        "scheduled_for": "scheduled_for",
    }

    def __init__(self, *args, user, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = account_selectors.accounts_of_user(user=user)
        self.today = today
        self.fields["scheduled_for"].widget.attrs.update(_schedule_widget_attrs(today))
        self.payment: dict = {}

    def clean_scheduled_for(self) -> date | None:
        return clean_schedule_day(self.cleaned_data.get("scheduled_for"), self.today)

    def clean_amount(self) -> int | None:
        return _amount_or_none(self.cleaned_data.get("amount", ""))

    def clean_description(self) -> str:
        return " ".join(self.cleaned_data["description"].split())

    def clean_qr_image(self):
        upload = self.cleaned_data.get("qr_image")
        if upload and upload.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError(MESSAGES["qr_too_large"], code="too_large")
        return upload

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if method == self.KEY:
            self._clean_key(data)
        elif method == self.CODE:
            self._clean_code(data.get("brcode", ""), field="brcode")
        elif method == self.QR:
            self._clean_qr(data.get("qr_image"))
        return data

    def _clean_key(self, data: dict) -> None:
        raw = (data.get("key") or "").strip()
        if not raw:
            self.add_error("key", MESSAGES["key_required"])
        else:
            try:
                key_type, key = parse_any_key(raw)
            except DomainError:
                self.add_error("key", _key_error(raw))
            else:
                self.payment = {"key": key, "key_type": key_type}
        if "amount" in data and data["amount"] is None:
            self.add_error("amount", MESSAGES["amount_required"])

    def _clean_code(self, text: str, *, field: str) -> BRCode | None:
        if not text:
            self.add_error(field, MESSAGES["brcode_required"])
            return None
        try:
            code = decode(text, strict_limits=False)
        except BRCodeError as error:
            self.add_error(field, brcode_error_message(error))
            return None
        self.payment = {"brcode": text.strip(), "code": code}
        return code

    def _clean_qr(self, upload) -> None:
        if not upload:
            if "qr_image" not in self.errors:
                self.add_error("qr_image", MESSAGES["qr_required"])
            return
        try:
            upload.seek(0)
            texts = read_qr_texts(upload.read(MAX_IMAGE_BYTES + 1))
        except QRImageError as error:
            key = {"too_large": "qr_too_large", "not_image": "qr_not_image"}.get(
                error.reason, "qr_no_code"
            )
            self.add_error("qr_image", MESSAGES[key])
            return
        for text in texts:  # an image may hold other QR codes besides the Pix one
            try:
                code = decode(text, strict_limits=False)
            except BRCodeError:
                continue
            self.payment = {"brcode": text.strip(), "code": code}
            return
        self.add_error("qr_image", MESSAGES["qr_not_pix"])

    def typed(self) -> dict[str, str]:
        """The text fields as typed, to refill the form when the customer goes back."""
        return {
            name: str(self.data.get(name, ""))
            for name in (
                "source",
                "method",
                "key",
                "brcode",
                "amount",
                "description",
                "scheduled_for",
            )
        }


def _schedule_widget_attrs(today: date) -> dict[str, str]:
    return {
        "min": (today + timedelta(days=1)).isoformat(),
        "max": (today + timedelta(days=SCHEDULE_MAX_DAYS)).isoformat(),
    }


def clean_schedule_day(day: date | None, today: date) -> date | None:
    """A day to pay on, as a Pix schedule takes it: empty or today is now."""
    if day is None or day == today:
        return None
    if day < today:
        raise forms.ValidationError(MESSAGES["schedule_past"], code="min_value")
    if day > today + timedelta(days=SCHEDULE_MAX_DAYS):
        raise forms.ValidationError(MESSAGES["schedule_far"], code="max_value")
    return day


# --- Receive ---------------------------------------------------------------------------


class KeyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PixKey) -> str:
        return f"{obj.get_key_type_display()} · {mask_key(obj.key_type, obj.key)}"


class ReceiveForm(PortalForm):
    """A static BR Code for one of the customer's keys (read with GET: nothing is stored)."""

    key = KeyChoiceField(label=_("Key to receive on"), queryset=PixKey.objects.none())
    amount = forms.CharField(
        label=_("Amount (R$, optional)"),
        required=False,
        max_length=24,
        help_text=_("Leave empty to let the payer choose."),
        widget=AMOUNT_WIDGET,
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        max_length=72,
        help_text=_("Shown to the payer. Accents are written without them in the code."),
    )

    def __init__(self, *args, keys, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].queryset = keys
        self.fields["key"].empty_label = None

    def clean_amount(self) -> int | None:
        return _amount_or_none(self.cleaned_data.get("amount", ""))

    def clean_description(self) -> str:
        return " ".join(self.cleaned_data["description"].split())

    def clean(self):
        data = super().clean()
        pix_key, description = data.get("key"), data.get("description")
        if pix_key is not None and description:
            room = max_description_length(pix_key.key)
            if len(description) > room:
                self.add_error("description", str(MESSAGES["description_long"]) % {"max": room})
        return data


# --- Keys ------------------------------------------------------------------------------


class AccountField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Account) -> str:
        return str(_("Account %(number)s")) % {"number": obj.number}


class KeyRegisterForm(PortalForm):
    """A new key: the customer's own CPF/CNPJ, a mobile phone or e-mail (a code follows),
    or a random key the directory generates."""

    account = AccountField(label=_("Account"), queryset=Account.objects.none(), empty_label=None)
    key_type = forms.ChoiceField(label=_("Key type"), widget=forms.RadioSelect)
    key = forms.CharField(
        label=_("Mobile phone or e-mail"),
        required=False,
        max_length=200,
        help_text=_(
            "Only for a phone or e-mail key: we send a 6-digit code to it. Phone with DDD, "
            "e.g. (11) 98765-4321."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )

    domain_fields = {"key": "key", "type": "key_type", "account": "account"}

    def __init__(self, *args, customer: Customer, accounts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.fields["account"].queryset = accounts
        document = KeyType.CNPJ if customer.kind == Customer.Kind.COMPANY else KeyType.CPF
        self.document_type = document
        self.fields["key_type"].choices = [
            (
                document,
                str(_("My %(document)s (%(masked)s)"))
                % {"document": document, "masked": mask_tax_id(customer.tax_id)},
            ),
            (KeyType.PHONE, _("Mobile phone")),
            (KeyType.EMAIL, _("E-mail")),
            (KeyType.EVP, _("Random key")),
        ]

    def clean(self):
        data = super().clean()
        key_type = data.get("key_type")
        raw = (data.get("key") or "").strip()
        data["key_value"] = None
        if key_type in KeyType.NEEDS_POSSESSION_PROOF:
            if not raw:
                self.add_error("key", MESSAGES["required"])
            else:
                try:
                    data["key_value"] = normalize_key(key_type, raw)
                except DomainError:
                    self.add_error("key", MESSAGES[f"key_{key_type}"])
        elif key_type == self.document_type:
            data["key_value"] = self.customer.tax_id
        return data


class KeyCodeForm(PortalForm):
    code = forms.CharField(
        label=_("Code received"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "class": "code-input",
                "size": "8",
            }
        ),
    )

    def clean_code(self) -> str:
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(MESSAGES["code_format"], code="invalid")
        return code


# --- Refunds and limits ----------------------------------------------------------------


class RefundForm(PortalForm):
    """A devolução of (part of) a Pix received. `refund_id` is minted when the form is
    shown, so a resent POST asks for the same refund (the service is idempotent on it)."""

    refund_id = forms.CharField(widget=forms.HiddenInput, max_length=35)
    amount = forms.CharField(label=_("Amount to refund (R$)"), max_length=24, widget=AMOUNT_WIDGET)
    description = forms.CharField(label=_("Reason (optional)"), required=False, max_length=140)

    domain_fields = {"amount": "amount"}

    def __init__(self, *args, left_cents: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.left_cents = left_cents

    def clean_refund_id(self) -> str:
        value = self.cleaned_data["refund_id"]
        if not re.fullmatch(r"[A-Za-z0-9]{1,35}", value):
            raise forms.ValidationError(MESSAGES["refund_id"], code="invalid")
        return value

    def clean_amount(self) -> int:
        cents = parse_portal_amount(self.cleaned_data["amount"])
        if cents > self.left_cents:
            raise forms.ValidationError(
                str(MESSAGES["refund_exceeds"]) % {"left": format_brl(self.left_cents)},
                code="max_value",
            )
        return cents

    def clean_description(self) -> str:
        return " ".join(self.cleaned_data["description"].split())


class NightLimitForm(PortalForm):
    limit = forms.CharField(
        label=_("Night limit (R$)"),
        max_length=24,
        help_text=_("The most you can send by Pix during the night, all Pix added up."),
        widget=AMOUNT_WIDGET,
    )
    starts_at_hour = forms.TypedChoiceField(
        label=_("The night starts at"),
        coerce=int,
        choices=[(20, "20:00"), (22, "22:00")],
        widget=forms.RadioSelect,
    )

    domain_fields = {"night_limit": "limit", "night_starts_at_hour": "starts_at_hour"}

    def clean_limit(self) -> int:
        text = self.cleaned_data["limit"]
        try:
            return parse_portal_amount(text)
        except forms.ValidationError as error:
            if error.code == "min_value":
                return 0  # a zero night limit is a choice: no Pix at night
            raise forms.ValidationError(MESSAGES["limit_invalid"], code="invalid") from None
