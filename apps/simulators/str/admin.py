"""The simulated STR's console: the accounts of the other banks behind it (add and edit
through `register_bank_account`, so testers can make a TED settle, or be returned for a
closed or fraud-flagged account), and, read-only, what the STR settled, the messages it
queued for us and the reserves accounts.

A CPF/CNPJ is never shown in clear: account holders are masked, and a queued message
(`StrDelivery.xml`, which names both sides with their documents) is shown by its code and
dates only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.core.admin_tools import ReadOnlyAdmin
from apps.core.documents import mask_tax_id, normalize_tax_id, tax_id_kind
from apps.core.money import format_brl
from apps.simulators.str.models import StrBankAccount, StrDelivery, StrReserves, StrSettlement
from apps.simulators.str.simulator import register_bank_account
from apps.wire import selectors as wire_selectors


class BankAccountForm(forms.ModelForm):
    """An account at another bank (apps.simulators.str.simulator.register_bank_account).
    The fields are named unlike the model's columns, so the model's own validation never
    runs on a row the simulator writes itself; on an existing account the bank, branch and
    number are fixed (they are its identity)."""

    bank = forms.CharField(
        label=_("bank (COMPE code or ISPB)"),
        max_length=8,
        initial="260",
        help_text=_("Three digits (260 Nubank, 341 Itaú, 001 BB) or the 8-digit ISPB."),
    )
    branch_number = forms.RegexField(label=_("branch"), regex=r"^\d{1,4}$", initial="0001")
    account = forms.RegexField(
        label=_("account"), regex=r"^\d{1,13}$", help_text=_("digits, check digit included")
    )
    holder = forms.CharField(label=_("holder name"), max_length=80)
    holder_document = forms.CharField(label=_("holder CPF/CNPJ"), max_length=18)
    account_state = forms.ChoiceField(
        label=_("state"), choices=StrBankAccount.State.choices, initial=StrBankAccount.State.OPEN
    )

    class Meta:
        model = StrBankAccount
        fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        row = self.instance
        if row.pk:
            self.initial.update(
                bank=row.ispb,
                branch_number=row.branch,
                account=row.number,
                holder=row.holder_name,
                holder_document="",
                account_state=row.state,
            )
            for name in ("bank", "branch_number", "account"):
                self.fields[name].disabled = True
            self.fields["holder_document"].required = False
            self.fields["holder_document"].help_text = _(
                "Stored: %(masked)s. Leave empty to keep it."
            ) % {"masked": mask_tax_id(row.holder_tax_id)}

    def clean_bank(self) -> str:
        bank = wire_selectors.bank_by_code(self.cleaned_data["bank"])
        if bank is None:
            raise forms.ValidationError(_("Not in the participant directory."))
        return bank.ispb

    def clean_holder_document(self) -> str:
        value = normalize_tax_id(self.cleaned_data.get("holder_document", ""))
        if not value and self.instance.pk:
            return self.instance.holder_tax_id
        if tax_id_kind(value) is None:
            raise forms.ValidationError(_("Not a valid CPF or CNPJ."))
        return value


@admin.register(StrBankAccount)
class StrBankAccountAdmin(admin.ModelAdmin):
    list_display = (
        "ispb",
        "bank_name",
        "branch",
        "number",
        "holder_name",
        "holder_masked",
        "state",
    )
    list_filter = ("state", "ispb")
    search_fields = ("=ispb", "=number")
    ordering = ("ispb", "branch", "number")
    form = BankAccountForm

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        kwargs["fields"] = ()
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj=None):
        return tuple(BankAccountForm.declared_fields)

    def save_model(self, request: HttpRequest, obj: StrBankAccount, form, change: bool) -> None:
        data = form.cleaned_data
        row = register_bank_account(
            ispb=obj.ispb if change else data["bank"],
            branch=obj.branch if change else data["branch_number"],
            number=obj.number if change else data["account"],
            holder_name=data["holder"],
            holder_tax_id=data["holder_document"],
            state=data["account_state"],
        )
        # The admin's own redirect and log entry need the row the simulator wrote.
        obj.pk, obj.ispb, obj.branch, obj.number = row.pk, row.ispb, row.branch, row.number

    def save_related(self, request, form, formsets, change) -> None:
        return None

    @admin.display(description=_("bank"))
    def bank_name(self, obj: StrBankAccount) -> str:
        bank = wire_selectors.bank_by_code(obj.ispb)
        return bank.name if bank else "-"

    @admin.display(description=_("holder CPF/CNPJ"))
    def holder_masked(self, obj: StrBankAccount) -> str:
        return mask_tax_id(obj.holder_tax_id) if obj.holder_tax_id else "-"


@admin.register(StrSettlement)
class StrSettlementAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "code",
        "sender_ispb",
        "receiver_ispb",
        "control_number",
        "str_control_number",
        "amount_display",
        "status",
        "error_code",
        "settled_on",
    )
    list_filter = ("code", "status", "error_code", "settled_on")
    search_fields = ("=control_number", "=str_control_number")
    ordering = ("-created_at", "-pk")
    # `answer` is the R1 or error we returned: it carries no documents.
    fields = (
        "created_at",
        "code",
        "sender_ispb",
        "receiver_ispb",
        "control_number",
        "str_control_number",
        "original_str_control_number",
        "amount_display",
        "status",
        "error_code",
        "settled_on",
        "answer",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: StrSettlement) -> str:
        return format_brl(obj.amount)


@admin.register(StrDelivery)
class StrDeliveryAdmin(ReadOnlyAdmin):
    """The message itself names both sides with their CPF/CNPJ: never shown here."""

    list_display = ("pk", "code", "acknowledged", "deliver_after", "created_at")
    list_filter = ("code", "acknowledged")
    ordering = ("-created_at", "-pk")
    fields = ("code", "acknowledged", "deliver_after", "created_at")
    readonly_fields = fields


@admin.register(StrReserves)
class StrReservesAdmin(ReadOnlyAdmin):
    list_display = ("ispb", "bank_name", "balance_display")
    search_fields = ("=ispb",)
    ordering = ("ispb",)
    fields = ("ispb", "bank_name", "balance_display")
    readonly_fields = fields

    @admin.display(description=_("bank"))
    def bank_name(self, obj: StrReserves) -> str:
        bank = wire_selectors.bank_by_code(obj.ispb)
        return bank.name if bank else "-"

    @admin.display(description=_("balance"), ordering="balance")
    def balance_display(self, obj: StrReserves) -> str:
        return format_brl(obj.balance)
