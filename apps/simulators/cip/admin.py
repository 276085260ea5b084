"""The simulated CIP registry's console: every bank's registered boletos, read-only, plus
two ways for operators and testers to play the other banks: "add" registers a boleto of
another bank against a payer (it then shows in that payer's DDA), and the action "Pay from
another bank" pays one of our boletos at another bank through the simulated COMPE."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.core.admin_masking import FullTaxIdSwapMixin
from apps.core.admin_tools import NoAddDeleteMixin, pretty_json
from apps.core.documents import mask_tax_id, normalize_tax_id, tax_id_kind
from apps.core.money import AmountError, format_brl, parse_amount
from apps.simulators.cip.models import CipBoleto
from apps.simulators.cip.simulator import last_payable_date, register_third_party_boleto


def _beneficiary_tax_id(obj: CipBoleto) -> str:
    return obj.beneficiary_tax_id or ""


class ThirdPartyBoletoForm(forms.ModelForm):
    """Another bank registers a boleto at CIP (apps.simulators.cip.simulator). The fields
    are named unlike the model's columns, so the model's own validation never runs on a
    row the simulator writes itself."""

    bank = forms.RegexField(
        label=_("bank code (COMPE)"),
        regex=r"^\d{3}$",
        initial="341",
        help_text=_("Three digits: another bank's code (341 Itaú, 237 Bradesco, 001 BB)."),
    )
    beneficiary = forms.CharField(label=_("beneficiary name"), max_length=140)
    beneficiary_document = forms.CharField(label=_("beneficiary CNPJ/CPF"), max_length=18)
    payer = forms.CharField(label=_("payer name"), max_length=140)
    payer_document = forms.CharField(label=_("payer CPF/CNPJ"), max_length=18)
    amount_brl = forms.CharField(label=_("amount (R$)"), max_length=20, help_text="1234.56")
    due = forms.DateField(label=_("due date"), widget=forms.DateInput(attrs={"type": "date"}))
    payable_days_after_due = forms.IntegerField(
        label=_("days payable after the due date"), min_value=0, max_value=3650, initial=30
    )

    class Meta:
        model = CipBoleto
        fields: tuple[str, ...] = ()

    def _tax_id(self, name: str) -> str:
        value = normalize_tax_id(self.cleaned_data.get(name, ""))
        if tax_id_kind(value) is None:
            raise forms.ValidationError(_("Not a valid CPF or CNPJ."))
        return value

    def clean_beneficiary_document(self) -> str:
        return self._tax_id("beneficiary_document")

    def clean_payer_document(self) -> str:
        return self._tax_id("payer_document")

    def clean_amount_brl(self) -> int:
        try:
            cents = parse_amount(self.cleaned_data["amount_brl"], strict=False)
        except AmountError as exc:
            raise forms.ValidationError(str(exc)) from None
        if cents > 9_999_999_999:
            raise forms.ValidationError(_("The amount is above what a boleto can carry."))
        return cents

    def clean_bank(self) -> str:
        code = self.cleaned_data["bank"]
        if code == settings.ATHENA_BANK_CODE:
            raise forms.ValidationError(_("Our own boletos are issued through the boleto API."))
        return code


@admin.register(CipBoleto)
class CipBoletoAdmin(FullTaxIdSwapMixin, NoAddDeleteMixin, admin.ModelAdmin):
    list_display = (
        "barcode",
        "bank_code",
        "beneficiary_name",
        "payer_name",
        "amount_display",
        "due_date",
        "status",
        "paid_on",
        "paid_by_bank",
    )
    list_filter = ("status", "bank_code", "due_date")
    search_fields = ("=barcode",)
    ordering = ("-registered_at", "-pk")
    show_full_result_count = False
    fields = (
        "barcode",
        "bank_code",
        "beneficiary_name",
        "beneficiary_tax_id_masked",
        "payer_name",
        "payer_tax_id_masked",
        "amount_display",
        "due_date",
        "valid_days_after_due",
        "last_payable",
        "value_terms_display",
        "status",
        "paid_amount_display",
        "paid_on",
        "paid_by_bank",
        "closed_reason",
        "registered_at",
    )
    readonly_fields = fields
    full_tax_id_swaps = {
        "beneficiary_tax_id_masked": "beneficiary_tax_id_full",
        "payer_tax_id_masked": "payer_tax_id_full",
    }
    # "Pay from another bank" is added by the COMPE simulator's console (compe/admin.py):
    # COMPE reads CIP, never the other way round.
    actions: tuple = ()

    # Rows are written by the simulator only: viewing, the add form (a registration by
    # another bank) and the action; never an edit.
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.has_perm("simulators.add_cipboleto")

    def has_simulate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("simulators.change_cipboleto")

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ThirdPartyBoletoForm
            kwargs["fields"] = ()
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return tuple(ThirdPartyBoletoForm.declared_fields)
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ()
        return super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: CipBoleto, form, change: bool) -> None:
        if change:
            return
        data = form.cleaned_data
        title = register_third_party_boleto(
            bank_code=data["bank"],
            beneficiary_name=data["beneficiary"],
            beneficiary_tax_id=data["beneficiary_document"],
            payer_name=data["payer"],
            payer_tax_id=data["payer_document"],
            amount_cents=data["amount_brl"],
            due_date=data["due"],
            valid_days_after_due=data["payable_days_after_due"],
        )
        row = CipBoleto.objects.get(barcode=title.barcode)
        # The admin's own redirect and log entry need the row the simulator wrote.
        obj.pk, obj.barcode, obj.bank_code = row.pk, row.barcode, row.bank_code

    def save_related(self, request, form, formsets, change) -> None:
        return None

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: CipBoleto) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("paid amount"))
    def paid_amount_display(self, obj: CipBoleto) -> str:
        return "-" if obj.paid_amount is None else format_brl(obj.paid_amount)

    @admin.display(description=_("last payable date"))
    def last_payable(self, obj: CipBoleto) -> dt.date | str:
        return last_payable_date(obj) or "-"

    @admin.display(description=_("terms"))
    def value_terms_display(self, obj: CipBoleto) -> str:
        return pretty_json(obj.value_terms) if obj.value_terms else "-"

    @admin.display(description=_("beneficiary CNPJ/CPF"))
    def beneficiary_tax_id_masked(self, obj: CipBoleto) -> str:
        value = _beneficiary_tax_id(obj)
        return mask_tax_id(value) if value else "-"

    @admin.display(description=_("beneficiary CNPJ/CPF"))
    def beneficiary_tax_id_full(self, obj: CipBoleto) -> str:
        return _beneficiary_tax_id(obj) or "-"

    @admin.display(description=_("payer CPF/CNPJ"))
    def payer_tax_id_masked(self, obj: CipBoleto) -> str:
        return mask_tax_id(obj.payer_tax_id) if obj.payer_tax_id else "-"

    @admin.display(description=_("payer CPF/CNPJ"))
    def payer_tax_id_full(self, obj: CipBoleto) -> str:
        return obj.payer_tax_id or "-"
