"""The TED console: TEDs sent (with their STR messages and transitions), TEDs received, the
STR messages, the participant directory (reloaded from the shipped list by an action) and
the customers' favourite destinations.

Everything is read-only: rows come from the services. A CPF/CNPJ is never shown in clear
here, to anyone: holder and sender documents are masked (`mask_tax_id`), the STR messages
are stored with documents already masked, and history deltas are masked too.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from apps.core.admin_masking import mask_tax_ids_in_text
from apps.core.admin_tools import (
    HistoryViewOnlyMixin,
    ReadOnlyAdmin,
    ReadOnlyMixin,
    admin_link,
    brl_or_dash,
    entry_link,
    masked_tax_id_or_dash,
    preformatted,
    transitions_table,
)
from apps.core.documents import mask_tax_id
from apps.core.errors import DomainError
from apps.wire import services
from apps.wire.ledger_lines import reason_text
from apps.wire.models import InboundWire, Participant, StrMessage, Wire, WireFavourite

_brl = brl_or_dash


_masked = masked_tax_id_or_dash


_entry_link = entry_link


class _MaskedHistory(HistoricalRecordContextHelper):
    """History deltas with every CPF/CNPJ masked (the holder's document is a column)."""

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        if change.field == "holder_tax_id" and isinstance(value, str):
            return mask_tax_id(value)
        return mask_tax_ids_in_text(value) if isinstance(value, str) else value


# --- STR messages -------------------------------------------------------------------------


class StrMessageInline(admin.TabularInline):
    model = StrMessage
    fk_name = "wire"
    fields = ("created_at", "direction", "code", "str_control_number", "error_code", "body_display")
    readonly_fields = fields
    ordering = ("created_at", "pk")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("message"))
    def body_display(self, obj: StrMessage) -> str:
        # Stored masked; masked again on the way out, should a document ever slip through.
        return preformatted(mask_tax_ids_in_text(obj.body))


class InboundStrMessageInline(StrMessageInline):
    fk_name = "inbound"


@admin.register(StrMessage)
class StrMessageAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "direction",
        "code",
        "control_number",
        "str_control_number",
        "error_code",
    )
    list_filter = ("direction", "code")
    search_fields = ("=control_number", "=str_control_number")
    search_help_text = _("Exact NumCtrlIF or NumCtrlSTR.")
    ordering = ("-created_at", "-pk")
    fields = (
        "created_at",
        "direction",
        "code",
        "control_number",
        "str_control_number",
        "error_code",
        "wire_link",
        "inbound_link",
        "body_display",
    )
    readonly_fields = fields

    @admin.display(description=_("TED sent"))
    def wire_link(self, obj: StrMessage) -> str:
        return admin_link(obj.wire) if obj.wire_id else "-"

    @admin.display(description=_("TED received"))
    def inbound_link(self, obj: StrMessage) -> str:
        return admin_link(obj.inbound) if obj.inbound_id else "-"

    @admin.display(description=_("message"))
    def body_display(self, obj: StrMessage) -> str:
        return preformatted(mask_tax_ids_in_text(obj.body))


# --- Wire ---------------------------------------------------------------------------------


@admin.register(Wire)
class WireAdmin(HistoryViewOnlyMixin, ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = (
        "created_at",
        "account_display",
        "bank_display",
        "holder_name",
        "amount_display",
        "fee_display",
        "state",
        "scheduled_for",
    )
    list_filter = ("state", "bank_name", "created_at")
    list_select_related = ("account",)
    search_fields = ("=control_number", "=str_control_number")
    search_help_text = _("Exact NumCtrlIF or NumCtrlSTR.")
    ordering = ("-created_at", "-pk")
    date_hierarchy = "created_at"
    show_full_result_count = False
    history_list_display = ("state",)
    inlines = (StrMessageInline,)
    fields = (
        "public_id",
        "account_link",
        "state",
        "amount_display",
        "fee_display",
        "bank_display",
        "bank_ispb",
        "branch",
        "account_number",
        "account_type",
        "holder_name",
        "holder_tax_id_masked",
        "purpose",
        "note",
        "scheduled_for",
        "control_number",
        "str_control_number",
        "sent_at",
        "settled_at",
        "settlement_date",
        "return_display",
        "returned_at",
        "rejection_code",
        "debit_entry_display",
        "refund_entry_display",
        "created_by",
        "transitions_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_historical_record_context_helper(self, request: HttpRequest, historical_record):
        return _MaskedHistory(self.model, historical_record)

    @admin.display(description=_("account"), ordering="account")
    def account_display(self, obj: Wire) -> str:
        return f"{obj.account.branch}/{obj.account.number}"

    @admin.display(description=_("account"))
    def account_link(self, obj: Wire) -> str:
        return admin_link(obj.account, f"{obj.account.branch}/{obj.account.number}")

    @admin.display(description=_("bank"), ordering="bank_compe")
    def bank_display(self, obj: Wire) -> str:
        return f"{obj.bank_compe} {obj.bank_name}".strip()

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: Wire) -> str:
        return _brl(obj.amount)

    @admin.display(description=_("fee"), ordering="fee")
    def fee_display(self, obj: Wire) -> str:
        return _brl(obj.fee)

    @admin.display(description=_("holder CPF/CNPJ"))
    def holder_tax_id_masked(self, obj: Wire) -> str:
        return _masked(obj.holder_tax_id)

    @admin.display(description=_("return reason"))
    def return_display(self, obj: Wire) -> str:
        if not obj.return_code:
            return "-"
        return f"{obj.return_code} - {reason_text(obj.return_code)}"

    @admin.display(description=_("debit entry"))
    def debit_entry_display(self, obj: Wire) -> str:
        return _entry_link(obj.debit_entry_id)

    @admin.display(description=_("refund entry"))
    def refund_entry_display(self, obj: Wire) -> str:
        return _entry_link(obj.refund_entry_id)

    @admin.display(description=_("transitions"))
    def transitions_display(self, obj: Wire) -> str:
        return transitions_table(obj) if obj.pk else "-"


# --- InboundWire --------------------------------------------------------------------------


@admin.register(InboundWire)
class InboundWireAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "str_control_number",
        "sender_bank_display",
        "sender_name",
        "account_display",
        "amount_display",
        "state",
        "return_code",
    )
    list_filter = ("state", "return_code", "created_at")
    list_select_related = ("account",)
    search_fields = ("=str_control_number", "=return_control_number")
    search_help_text = _("Exact NumCtrlSTR or the return's NumCtrlIF.")
    ordering = ("-created_at", "-pk")
    inlines = (InboundStrMessageInline,)
    fields = (
        "str_control_number",
        "state",
        "amount_display",
        "sender_ispb",
        "sender_bank_name",
        "sender_branch",
        "sender_account",
        "sender_name",
        "sender_tax_id_masked",
        "branch",
        "account_number",
        "holder_tax_id_masked",
        "account_link",
        "purpose",
        "return_display",
        "return_control_number",
        "settlement_date",
        "entry_display",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("sender bank"))
    def sender_bank_display(self, obj: InboundWire) -> str:
        return obj.sender_bank_name or obj.sender_ispb

    @admin.display(description=_("account"))
    def account_display(self, obj: InboundWire) -> str:
        return f"{obj.branch}/{obj.account_number}"

    @admin.display(description=_("credited account"))
    def account_link(self, obj: InboundWire) -> str:
        return admin_link(obj.account) if obj.account_id else "-"

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj: InboundWire) -> str:
        return _brl(obj.amount)

    @admin.display(description=_("sender CPF/CNPJ"))
    def sender_tax_id_masked(self, obj: InboundWire) -> str:
        return _masked(obj.sender_tax_id)

    @admin.display(description=_("holder CPF/CNPJ as sent"))
    def holder_tax_id_masked(self, obj: InboundWire) -> str:
        return _masked(obj.holder_tax_id)

    @admin.display(description=_("return reason"))
    def return_display(self, obj: InboundWire) -> str:
        if not obj.return_code:
            return "-"
        return f"{obj.return_code} - {reason_text(obj.return_code)}"

    @admin.display(description=_("journal entry"))
    def entry_display(self, obj: InboundWire) -> str:
        return _entry_link(obj.entry_id)


# --- Participant directory ----------------------------------------------------------------


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ("compe", "ispb", "name", "in_str", "pix_type", "updated_at")
    list_filter = ("in_str", "pix_type")
    search_fields = ("compe", "ispb", "name", "long_name")
    ordering = ("compe", "ispb")
    show_full_result_count = True  # five hundred rows
    fields = ("compe", "ispb", "name", "long_name", "cnpj", "in_str", "pix_type", "updated_at")
    readonly_fields = fields
    actions = ("reload_directory",)

    def has_reload_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("wire.change_participant")

    @admin.action(
        description=_("Reload the directory from the shipped list"), permissions=("reload",)
    )
    def reload_directory(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        # The selection does not matter: the whole directory is replaced by the list.
        try:
            result = services.directory_load(actor=request.user)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            gettext(
                "Directory reloaded: %(created)s added, %(updated)s updated, %(removed)s removed."
            )
            % {"created": result.created, "updated": result.updated, "removed": result.removed},
            messages.SUCCESS,
        )


# --- Favourites ---------------------------------------------------------------------------


@admin.register(WireFavourite)
class WireFavouriteAdmin(ReadOnlyAdmin):
    list_display = (
        "nickname",
        "customer_link",
        "bank_ispb",
        "branch",
        "account_number",
        "holder_name",
        "holder_tax_id_masked",
        "created_at",
    )
    list_select_related = ("customer",)
    search_fields = ("=bank_ispb", "=account_number")
    ordering = ("-created_at", "-pk")
    fields = (
        "nickname",
        "customer_link",
        "bank_ispb",
        "branch",
        "account_number",
        "account_type",
        "holder_name",
        "holder_tax_id_masked",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description=_("customer"))
    def customer_link(self, obj: WireFavourite) -> str:
        return admin_link(obj.customer, obj.customer.full_name)

    @admin.display(description=_("holder CPF/CNPJ"))
    def holder_tax_id_masked(self, obj: WireFavourite) -> str:
        return _masked(obj.holder_tax_id)
