"""The simulated COMPE's console: the day's clearing items, the files exchanged with us
and the answers waiting for the next return file; read-only (the simulator writes them).
Payers' CPF/CNPJ in the CNAB text are starred out unless the viewer may see them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.boleto.adapters.cip import CipRefused
from apps.boleto.codecs import cnab240
from apps.core.admin_masking import sees_full_tax_ids
from apps.core.admin_tools import ReadOnlyAdmin, preformatted
from apps.core.errors import DomainError
from apps.core.money import format_brl
from apps.simulators.cip.admin import CipBoletoAdmin
from apps.simulators.cip.models import CipBoleto
from apps.simulators.compe.models import CompeFile, CompeItem, CompePendingAnswer
from apps.simulators.compe.simulator import pay_from_other_bank as _pay_from_other_bank


@admin.register(CompeItem)
class CompeItemAdmin(ReadOnlyAdmin):
    list_display = (
        "barcode",
        "paying_bank",
        "beneficiary_bank",
        "nosso_numero",
        "amount_display",
        "fee_display",
        "paid_on",
        "returned",
        "created_at",
    )
    list_filter = ("paid_on", "returned", "paying_bank", "beneficiary_bank")
    search_fields = ("=barcode", "=nosso_numero")
    ordering = ("-created_at", "-pk")
    fields = (
        "barcode",
        "paying_bank",
        "beneficiary_bank",
        "nosso_numero",
        "amount_display",
        "fee_display",
        "paid_on",
        "reference",
        "returned",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: CompeItem) -> str:
        return format_brl(obj.amount)

    @admin.display(description=_("fee"))
    def fee_display(self, obj: CompeItem) -> str:
        return format_brl(obj.fee)


@admin.register(CompeFile)
class CompeFileAdmin(ReadOnlyAdmin):
    list_display = ("name", "direction", "sequence", "delivered", "created_at")
    list_filter = ("direction", "delivered", "created_at")
    search_fields = ("=name",)
    ordering = ("-created_at", "-pk")
    fields = ("name", "direction", "sequence", "delivered", "created_at", "content_display")
    readonly_fields = fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if sees_full_tax_ids(request):
            return tuple("content_full" if f == "content_display" else f for f in fields)
        return fields

    def get_fields(self, request: HttpRequest, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("content"))
    def content_display(self, obj: CompeFile) -> str:
        return preformatted(cnab240.mask_tax_ids(obj.content))

    @admin.display(description=_("content"))
    def content_full(self, obj: CompeFile) -> str:
        return preformatted(obj.content)


@admin.register(CompePendingAnswer)
class CompePendingAnswerAdmin(ReadOnlyAdmin):
    list_display = (
        "nosso_numero",
        "seu_numero",
        "movement",
        "motive",
        "due_date",
        "amount_display",
        "answered",
        "created_at",
    )
    list_filter = ("answered", "movement", "motive")
    search_fields = ("=nosso_numero",)
    ordering = ("-created_at", "-pk")
    fields = (
        "nosso_numero",
        "seu_numero",
        "movement",
        "motive",
        "due_date",
        "amount_display",
        "answered",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: CompePendingAnswer) -> str:
        return format_brl(obj.amount)


@admin.action(description=_("Simulator: pay from another bank (COMPE)"), permissions=("simulate",))
def pay_from_other_bank(
    modeladmin: CipBoletoAdmin, request: HttpRequest, queryset: QuerySet[CipBoleto]
) -> None:
    """A payer at another bank pays each selected boleto (ours: it comes back to us in
    the next return file)."""
    for row in queryset:
        try:
            item = _pay_from_other_bank(row.barcode)
        except (CipRefused, DomainError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            modeladmin.message_user(request, f"{row}: {message}", messages.ERROR)
            continue
        modeladmin.log_change(request, row, f"Simulator: paid from bank {item.paying_bank}")
        modeladmin.message_user(
            request,
            gettext("%(row)s: paid %(amount)s at bank %(bank)s; in clearing.")
            % {"row": row, "amount": format_brl(item.amount), "bank": item.paying_bank},
            messages.SUCCESS,
        )


CipBoletoAdmin.actions = (*CipBoletoAdmin.actions, pay_from_other_bank)
