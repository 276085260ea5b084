"""Forms of the portal's verification pages: they parse; the services write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError
from apps.core.forms import parse_portal_amount

from .models import KycDocument
from .uploads import MAX_UPLOAD_BYTES, check_upload

LEVEL_CHOICES = [
    (1, _("Level 1 - CPF verified")),
    (2, _("Level 2 - documents and selfie")),
    (3, _("Level 3 - proof of address and income")),
]


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """A service's error onto the form: on its field when the form has one."""
    violations = exc.violations or [{"propriedade": exc.field, "razao": exc.message}]
    for violation in violations:
        name = violation.get("propriedade")
        form.add_error(name if name in form.fields else None, violation.get("razao"))


class DetailsForm(forms.Form):
    declared_name = forms.CharField(label=_("Full name as on your document"), max_length=150)
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
    )
    monthly_income = forms.CharField(
        label=_("Monthly income (R$)"),
        required=False,
        max_length=20,
        help_text=_("Level 3 only."),
    )
    address_line = forms.CharField(label=_("Address"), required=False, max_length=200)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    state_code = forms.CharField(label=_("State (UF)"), required=False, max_length=2)
    postal_code = forms.CharField(label=_("CEP"), required=False, max_length=9)

    def clean_monthly_income(self) -> int | None:
        text = self.cleaned_data["monthly_income"].strip()
        return parse_portal_amount(text) if text else None


class StartForm(DetailsForm):
    target_level = forms.TypedChoiceField(
        label=_("Level you want"), choices=LEVEL_CHOICES, coerce=int
    )
    field_order = ["target_level"]

    def __init__(self, *args, current_level: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_level"].choices = [
            (value, label) for value, label in LEVEL_CHOICES if value > current_level
        ]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=KycDocument.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PNG or JPEG photo up to 5 MB; proofs may also be PDF."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,application/pdf"}),
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        kind = cleaned.get("kind")
        if upload is None or kind is None:
            return cleaned
        if upload.size > MAX_UPLOAD_BYTES:
            self.add_error("file", _("The file is larger than 5 MB; send a smaller photo or scan."))
            return cleaned
        content = upload.read()
        try:
            check_upload(kind=kind, content=content)
        except DomainError as exc:
            self.add_error("file", exc.message)
            return cleaned
        cleaned["content"] = content
        return cleaned
